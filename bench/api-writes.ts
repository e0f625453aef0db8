/**
 * `npm run bench -- api-writes`: writes through a lab's Kubernetes API against the lab's own
 * direct path, in the same run, on one real lab (root): 200 objects (a Namespace, 149 ConfigMaps,
 * 50 Services) applied with `podnet apply -f` (the baseline: returns when the lab has them) and
 * the same 200 in another namespace with the real `kubectl apply -f` (returns when all are
 * stored: target ≤ 2 s), then until the lab has applied them too (no write pending).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pendingWrites } from '../src/apiserver/lab-door.js';
import { timedRun as run } from './lib/sys.js';

const REPO = resolve(import.meta.dirname, '..');
const TARGET_MS = 2_000;

function objects(ns: string): string {
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`];
  for (let i = 0; i < 149; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: ${ns}}\ndata: {index: "${i}"}`);
  for (let i = 0; i < 50; i++) docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: ${ns}}\nspec:\n  selector: {app: app-${i}}\n  ports: [{port: 80, targetPort: 8080}]`);
  return `${docs.join('\n---\n')}\n`;
}

export async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('api-writes: needs root (it runs a lab)\n');
    return 2;
  }
  const name = `bw${Math.random().toString(36).slice(2, 7)}`;
  const root = mkdtempSync(join(tmpdir(), `podnet-bench-${name}-`));
  const env = { ...process.env, PODNET_STATE_ROOT: root, KUBECONFIG: join(root, 'kubeconfig') };
  const podnet = (args: string[]) => run([process.execPath, join(REPO, 'dist/cli/main.js'), ...args, '--name', name], env);
  const a = join(root, 'a.yaml');
  const b = join(root, 'b.yaml');
  writeFileSync(a, objects('bench-a'));
  writeFileSync(b, objects('bench-b'));
  writeFileSync(join(root, 'empty.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n');
  try {
    const up = await podnet(['up', '--no-dns', '-f', join(root, 'empty.yaml')]);
    if (up.code !== 0) throw new Error(`podnet up: ${up.out}`);
    const direct = await podnet(['apply', '-f', a]);
    if (direct.code !== 0) throw new Error(`podnet apply: ${direct.out}`);
    const viaApi = await run(['kubectl', '--kubeconfig', env.KUBECONFIG, 'apply', '-f', b], env);
    if (viaApi.code !== 0) throw new Error(`kubectl apply: ${viaApi.out}`);
    const t0 = performance.now();
    while (pendingWrites(join(root, name)) > 0) await new Promise((r) => setTimeout(r, 20));
    const applied = viaApi.ms + (performance.now() - t0);
    const row = (what: string, v: string, target = '', pass: boolean | null = null) => console.log(`${what.padEnd(58)} ${v.padStart(10)}  ${target.padEnd(8)} ${pass === null ? '' : pass ? 'PASS' : 'FAIL'}`);
    console.log('200 objects (1 Namespace, 149 ConfigMaps, 50 Services) into a running lab, this run');
    row('podnet apply -f (baseline: until the lab has them)', `${direct.ms.toFixed(0)} ms`);
    row('kubectl apply -f through the lab API (until all stored)', `${viaApi.ms.toFixed(0)} ms`, '≤ 2 s', viaApi.ms <= TARGET_MS);
    row('kubectl apply -f, until the lab has applied them all', `${applied.toFixed(0)} ms`);
    row('kubectl (stored) / podnet apply', (viaApi.ms / direct.ms).toFixed(2));
    row('kubectl (applied) / podnet apply', (applied / direct.ms).toFixed(2));
    return viaApi.ms <= TARGET_MS ? 0 : 1;
  } finally {
    await podnet(['down']);
    if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
  }
}
