/**
 * `podnet matrix` timing on a real lab made by the CLI: the upstream e2e netpol shape (namespaces
 * x, y, z × pods a, b, c: 9 pods on 2 nodes) with a default-deny policy in x, then the 9 × 9
 * probes, several times. The lab has its own state root and is removed with `podnet down`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNetnsPrefix } from '../../src/model/lab.js';
import { nowMs, run, type Resources } from './sys.js';

function manifest(): string {
  const docs: unknown[] = [];
  for (const ns of ['x', 'y', 'z']) docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  ['x', 'y', 'z'].forEach((ns, i) =>
    ['a', 'b', 'c'].forEach((pod, j) =>
      docs.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: ns, labels: { pod } },
        spec: { nodeName: (i * 3 + j) % 2 === 0 ? 'node-1' : 'node-2', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }] }] },
      }),
    ),
  );
  docs.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'x' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

/** Wall-clock milliseconds of each `podnet matrix --port 80` run (CLI start included). */
export async function timeMatrix(res: Resources, lab: string, runs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bench-matrix-'));
  res.dirs.add(dir);
  res.addNetnsPrefix(labNetnsPrefix(lab));
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, manifest());
  const env = { ...process.env, PODNET_STATE_ROOT: dir };
  const cli = (args: string[]) => run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args, '--name', lab], { env, timeoutMs: 120_000 });
  try {
    const up = await cli(['up', '--no-dns', '-f', file]);
    if (up.code !== 0) throw new Error(`podnet up: ${up.stderr}`);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = nowMs();
      const r = await cli(['matrix', '--port', '80', '-o', 'json']);
      times.push(nowMs() - t);
      if (r.code !== 0) throw new Error(`podnet matrix: exit ${r.code}: ${r.stdout}${r.stderr}`);
    }
    return times;
  } finally {
    await cli(['down']);
  }
}
