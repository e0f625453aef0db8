/**
 * A node whose agent (its kubelet) dies: `get nodes` shows it NotReady at once; after the node
 * monitor grace period (`podnet up --node-monitor-grace-period`, 2 s here) its pods stop being
 * ready endpoints, so a Service's packets go only to the pod on the healthy node; `podnet apply`
 * starts the agent again and the node and its pod come back. Needs root; unique lab, cleaned up
 * on failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, TestLab, until } from './helpers.js';

const T = 120_000;
const server = '{name: server, image: registry.example/web:1, ports: [{containerPort: 8080}]}';
const pod = (name: string, app: string, node: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: ${app}}}\nspec:\n  nodeName: ${node}\n  containers: [${server}]\n`;
const MANIFESTS = [
  pod('client', 'client', 'node-1'),
  pod('web-1', 'web', 'node-1'),
  pod('web-2', 'web', 'node-2'),
  'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n',
].join('---\n');

interface SliceItem { metadata: { labels: Record<string, string> }; endpoints: { conditions: { ready: boolean }; targetRef?: { name: string } }[] }

describe.skipIf(!CAN_RUN_LAB)('node failure (root, real namespaces)', () => {
  const lab = new TestLab('nf');
  const dir = mkdtempSync(join(tmpdir(), 'podnet-node-failure-'));
  const file = join(dir, 'lab.yaml');

  async function ready(podName: string): Promise<boolean | undefined> {
    const list = JSON.parse(await lab.ok('get', ['endpointslices', '-o', 'json'])) as { items: SliceItem[] };
    return list.items.flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === podName)?.conditions.ready;
  }
  async function nodeStatus(name: string): Promise<string | undefined> {
    const rows = (await lab.ok('get', ['nodes'])).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    return rows.find((r) => r[0] === name)?.[1];
  }

  beforeAll(async () => {
    writeFileSync(file, MANIFESTS);
    await lab.up(['--nodes', '2', '--node-monitor-grace-period', '2s', '-f', file]);
    await lab.ok('wait', ['pods', '--all', '--for', 'condition=Ready', '--timeout', '30s']);
  }, T);
  afterAll(async () => {
    const problems = await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  }, T);

  it('a dead agent: node NotReady, its pod leaves the Service after the grace period; apply brings both back', async () => {
    expect([await nodeStatus('node-1'), await nodeStatus('node-2'), await ready('web-2')]).toEqual(['Ready', 'Ready', true]);
    const pid = Number(readFileSync(join(lab.stateDir, 'agents', 'node-2.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL'); // the agent this lab started for node-2
    const killed = Date.now();
    await until('node-2 to be NotReady', async () => (await nodeStatus('node-2')) === 'NotReady', 10_000);
    expect(await nodeStatus('node-1')).toBe('Ready');
    await until('web-2 to be a not-ready endpoint', async () => (await ready('web-2')) === false, 20_000);
    // Not at once: the 2 s grace period counts from the agent's last answer (at most a 500 ms tick before the kill).
    expect(Date.now() - killed).toBeGreaterThanOrEqual(1_500);
    const svc = JSON.parse(await lab.ok('get', ['svc', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = svc.items.find((s) => s.metadata.name === 'web')!.spec.clusterIP;
    const hits = await lab.probeFromPod('default/client', Array.from({ length: 10 }, () => ({ proto: 'http' as const, host: vip, port: 80 })));
    expect(hits.map((h) => (h.ok ? h.body?.pod : h.error))).toEqual(Array(10).fill('web-1'));
    // The agent starts again with the next apply, and the node's pod is served and ready again.
    await lab.ok('apply', ['-f', file]);
    expect(await nodeStatus('node-2')).toBe('Ready');
    await until('web-2 to be ready again', async () => (await ready('web-2')) === true, 20_000);
  }, T);
});
