/**
 * `npm run bench -- api`: the lab API server's read path, in this process, on a store of 500 pods
 * (objects shaped as the lab makes them), over real HTTPS with the lab's certificates:
 * 1. LIST pods as a Table (what `kubectl get pods -A` asks): server time, median of 30, target
 *    ≤ 50 ms; the same list as plain JSON is the baseline; then the real kubectl's wall time.
 * 2. A write reaching a watcher: 200 store writes, each timed from the write to its event parsed
 *    by a client on the watch stream; targets median ≤ 20 ms, p99 ≤ 100 ms.
 * 3. Heap used by the store of 500 pods (the process's RSS is the API process's minus Node's base).
 * Not measured here: `up` of 100 pods with and without the API (a lab run; see docs/benchmarks.md).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredentials } from '../src/apiserver/certs.js';
import { standaloneKubeconfig } from '../src/apiserver/kubeconfig-doc.js';
import { findResource } from '../src/apiserver/resources.js';
import { createApiServer } from '../src/apiserver/server.js';
import { serverStore, type Obj } from '../src/apiserver/store.js';
import { stringify } from 'yaml';

const PODS = 500;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

function podObject(i: number): Obj {
  const ns = `ns-${i % 20}`;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `web-${i}`, namespace: ns, labels: { app: `app-${i % 50}`, tier: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `app-${i % 50}`, uid: 'x', controller: true }] },
    spec: { nodeName: `node-${(i % 4) + 1}`, containers: [{ name: 'app', image: 'registry.example/web:1', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
    status: { phase: 'Running', podIP: `10.244.${i % 4}.${(i % 250) + 2}`, podIPs: [{ ip: `10.244.${i % 4}.${(i % 250) + 2}` }], hostIP: `100.64.0.${(i % 4) + 10}`, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, started: true, state: { running: {} } }] },
  };
}

export async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-bench-api-'));
  try {
    const creds = ensureCredentials(dir);
    const pods = findResource('', 'v1', 'pods')!;
    const heap0 = (globalThis.gc?.(), process.memoryUsage().heapUsed);
    const store = serverStore(); // as the lab's API process keeps it: with the server's defaults
    for (let i = 0; i < PODS; i++) store.create(pods, podObject(i), 'lab');
    const heapMiB = ((globalThis.gc?.(), process.memoryUsage().heapUsed) - heap0) / 2 ** 20;
    const server = createApiServer({ cert: creds.cert, key: creds.key, token: creds.token, store });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const get = (path: string, accept: string) =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        request({ host: '127.0.0.1', port, path, ca: creds.caCert, headers: { authorization: `Bearer ${creds.token}`, accept } }, (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(performance.now() - t0));
        }).on('error', reject).end();
      });
    const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    for (let i = 0; i < 5; i++) await get('/api/v1/pods', TABLE);
    const table: number[] = [];
    const json: number[] = [];
    for (let i = 0; i < 30; i++) {
      table.push(await get('/api/v1/pods?limit=500', TABLE));
      json.push(await get('/api/v1/pods?limit=500', 'application/json'));
    }
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, stringify(standaloneKubeconfig({ lab: 'bench', server: `https://127.0.0.1:${port}`, caCert: creds.caCert, token: creds.token })));
    const kubectl: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      // Asynchronously: the server answers from this process's event loop.
      const code = await new Promise<number | null>((resolve) => spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'pods', '-A'], { stdio: 'ignore' }).on('exit', resolve));
      kubectl.push(performance.now() - t0);
      if (code !== 0) throw new Error(`kubectl get pods -A: exit ${code}`);
    }

    // Watch latency: one client on the stream, writes timed until their event is parsed.
    const latencies: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let pending: { rv: string; t0: number } | null = null;
      let n = 0;
      const next = () => {
        if (n++ >= 200) return resolve();
        const e = store.get(pods, 'ns-0', 'web-0')!;
        const t0 = performance.now();
        const o = store.update(pods, { ...e.obj, metadata: { ...e.obj.metadata, labels: { ...e.obj.metadata.labels, n: String(n) } } });
        pending = { rv: o.metadata.resourceVersion!, t0 };
      };
      const req = request({ host: '127.0.0.1', port, path: `/api/v1/namespaces/ns-0/pods?watch=true&resourceVersion=${store.rv}`, ca: creds.caCert, headers: { authorization: `Bearer ${creds.token}` } }, (res) => {
        let buf = '';
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, i)) as { object: { metadata: { resourceVersion: string } } };
            buf = buf.slice(i + 1);
            if (pending && ev.object.metadata.resourceVersion === pending.rv) {
              latencies.push(performance.now() - pending.t0);
              pending = null;
              setImmediate(next);
            }
          }
        });
        setTimeout(next, 50);
      });
      req.on('error', reject);
      req.end();
      setTimeout(() => resolve(), 30_000);
    });
    server.closeAllConnections();
    server.close();
    const row = (what: string, v: string, target: string, pass: boolean | null) => console.log(`${what.padEnd(52)} ${v.padStart(12)}  ${target.padEnd(12)} ${pass === null ? '' : pass ? 'PASS' : 'FAIL'}`);
    console.log(`lab API server, ${PODS} pods, in this process over HTTPS (machine shared with other work)`);
    row('LIST pods as Table (median of 30)', `${median(table).toFixed(1)} ms`, '≤ 50 ms', median(table) <= 50);
    row('LIST pods as JSON, baseline (median of 30)', `${median(json).toFixed(1)} ms`, '', null);
    row('Table / JSON', (median(table) / median(json)).toFixed(2), '', null);
    row('kubectl get pods -A, wall time incl. client (median of 5)', `${median(kubectl).toFixed(0)} ms`, '', null);
    row(`write → watcher (median of ${latencies.length})`, `${median(latencies).toFixed(2)} ms`, '≤ 20 ms', median(latencies) <= 20);
    row(`write → watcher (p99 of ${latencies.length})`, `${pct(latencies, 0.99).toFixed(2)} ms`, '≤ 100 ms', pct(latencies, 0.99) <= 100);
    row(`heap of the store of ${PODS} pods`, `${heapMiB.toFixed(1)} MiB`, '', null);
    return median(table) <= 50 && median(latencies) <= 20 && pct(latencies, 0.99) <= 100 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
