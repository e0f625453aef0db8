/**
 * `npm run bench -- api-lab`: the lab API's cost in real labs (root), against the same lab without
 * it, in the same run:
 * 1. `podnet up` of 100 pods (a Deployment of the built-in server, 2 nodes, no DNS) with the API,
 *    against `up --no-api`; runs alternate, median of RUNS each; target ≤ 1.15×. Also how long
 *    after `up` returns until the API lists the 100 pods Running (what a kubectl user waits for).
 * 2. The RSS of the API process with 500 pods in the store (the same lab scaled to 500 with
 *    `podnet apply`): target ≤ 150 MiB.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { timedRun as run } from './lib/sys.js';

const REPO = resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.RUNS ?? 3);
const RATIO_TARGET = 1.15;
const RSS_TARGET_MIB = 150;

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example/web:1, ports: [{containerPort: 8080}]}]
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Counts the Running pods the API lists, every 50 ms until `want` (or 60 s). */
async function untilListed(env: NodeJS.ProcessEnv, want: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < 60_000) {
    const r = await run(['kubectl', '--kubeconfig', env.KUBECONFIG!, 'get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name'], env);
    if (r.code === 0 && r.stdout.trim().split('\n').filter(Boolean).length >= want) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the API did not list ${want} Running pods within 60 s`);
}

export async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('api-lab: needs root (it runs labs)\n');
    return 2;
  }
  const root = mkdtempSync(join(tmpdir(), 'podnet-bench-api-lab-'));
  const env = { ...process.env, PODNET_STATE_ROOT: root, KUBECONFIG: join(root, 'kubeconfig') };
  const file = (n: number) => {
    const path = join(root, `web-${n}.yaml`);
    writeFileSync(path, deployment(n));
    return path;
  };
  const names: string[] = [];
  const podnet = (name: string, args: string[]) => run([process.execPath, join(REPO, 'dist/cli/main.js'), ...args, '--name', name], env);
  const row = (what: string, v: string, target = '', pass: boolean | null = null) => console.log(`${what.padEnd(62)} ${v.padStart(10)}  ${target.padEnd(10)} ${pass === null ? '' : pass ? 'PASS' : 'FAIL'}`);
  try {
    const withApi: number[] = [];
    const without: number[] = [];
    const listed: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const api of [false, true]) {
        const name = `ba${api ? 'y' : 'n'}${i}${Math.random().toString(36).slice(2, 5)}`;
        names.push(name);
        const up = await podnet(name, ['up', '--no-dns', ...(api ? [] : ['--no-api']), '-f', file(100)]);
        if (up.code !== 0) throw new Error(`podnet up: ${up.out}`);
        (api ? withApi : without).push(up.ms);
        if (api) listed.push(await untilListed(env, 100));
        await podnet(name, ['down']);
        names.pop();
      }
    }
    console.log(`podnet up of 100 pods (2 nodes, --no-dns), ${RUNS} runs each, alternating; runs: with API ${withApi.map((x) => x.toFixed(0)).join('/')} ms, without ${without.map((x) => x.toFixed(0)).join('/')} ms`);
    const ratio = median(withApi) / median(without);
    row('up --no-api (baseline), median', `${median(without).toFixed(0)} ms`);
    row('up with the API, median', `${median(withApi).toFixed(0)} ms`);
    row('with / without', ratio.toFixed(2), `≤ ${RATIO_TARGET}`, ratio <= RATIO_TARGET);
    row('after up: until kubectl lists the 100 pods Running, median', `${median(listed).toFixed(0)} ms`);

    const name = `bar${Math.random().toString(36).slice(2, 6)}`;
    names.push(name);
    const up = await podnet(name, ['up', '--no-dns', '-f', file(100)]);
    if (up.code !== 0) throw new Error(`podnet up: ${up.out}`);
    const scaled = await podnet(name, ['apply', '-f', file(500)]);
    if (scaled.code !== 0) throw new Error(`podnet apply: ${scaled.out}`);
    await untilListed(env, 500);
    await new Promise((r) => setTimeout(r, 3_000)); // a few follow ticks with 500 pods
    const { pid } = JSON.parse(readFileSync(join(root, name, 'api', 'server.json'), 'utf8')) as { pid: number };
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
    row('RSS of the API process, 500 pods in the store', `${rss.toFixed(0)} MiB`, `≤ ${RSS_TARGET_MIB} MiB`, rss <= RSS_TARGET_MIB);
    return ratio <= RATIO_TARGET && rss <= RSS_TARGET_MIB ? 0 : 1;
  } finally {
    for (const name of names) await podnet(name, ['down']);
    if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
  }
}
