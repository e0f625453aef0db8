/**
 * The endpoints controller on a real lab: Services follow pod readiness without any podnet
 * command — a container that exits takes its pod out of the ready endpoints (and the packets
 * go to the other pod), a pod that finished (restartPolicy Never, exit 0) leaves the slice, a
 * crash-looping container flips its pod not ready and back — and the lab lock: two applies at
 * once both succeed, a SIGKILLed holder does not block `podnet down`. Containers hold on while a
 * file of the test exists, so each exit happens when the test says. Needs root and `ip`, `nft`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, sleep, TestLab, until } from './helpers.js';

const T = 120_000;
const HOLD_PODS = ['m-0', 'm-1', 'm-2'];

interface SliceItem {
  metadata: { labels: Record<string, string> };
  endpoints: { addresses: string[]; conditions: { ready: boolean }; targetRef?: { name: string } }[];
}
interface Applied {
  ready: string[];
  terminal: string[];
  at: string;
  syncs: number;
  by: string;
}

const server = '{name: server, image: registry.example/web:1, ports: [{containerPort: 8080}]}';
/** A command container that runs while its /tmp/hold exists (the test removes it with podnet exec), then exits 0. */
const holder = () => `{name: holder, image: x, command: [sh, -c, 'touch /tmp/hold; while [ -e /tmp/hold ]; do sleep 0.1; done']}`;
const pod = (name: string, app: string, node: string, containers: string[], restartPolicy = 'Never') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: ${app}}}\nspec:\n  nodeName: ${node}\n  restartPolicy: ${restartPolicy}\n  containers: [${containers.join(', ')}]\n`;
const service = (name: string, app: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  selector: {app: ${app}}\n  ports: [{port: 80, targetPort: 8080}]\n`;

function manifests(): string {
  return [
    pod('client', 'client', 'node-1', [server]),
    pod('web-a', 'web', 'node-1', [server]),
    pod('web-b', 'web', 'node-2', [server, holder()]),
    service('web', 'web'),
    pod('job', 'job', 'node-2', [holder()]),
    service('job', 'job'),
    pod('crash', 'crash', 'node-1', [server, `{name: crasher, image: x, command: [sh, -c, 'sleep 1; exit 1']}`], 'Always'),
    service('crash', 'crash'),
    ...HOLD_PODS.map((name, i) => pod(name, 'm', `node-${(i % 2) + 1}`, [server, holder()])),
    service('m', 'm'),
    service('mh', 'm').replace('spec:\n', 'spec:\n  clusterIP: None\n'),
  ].join('---\n');
}

describe.skipIf(!CAN_RUN_LAB)('endpoints controller and lab lock (root, real namespaces)', () => {
  const lab = new TestLab('ep');
  const dir = mkdtempSync(join(tmpdir(), 'podnet-endpoints-test-'));
  const applied = (): Applied => (JSON.parse(readFileSync(join(lab.stateDir, 'lab.json'), 'utf8')) as { endpoints: Applied }).endpoints;
  const latencies: number[] = [];

  async function slices(service: string): Promise<SliceItem[]> {
    const list = JSON.parse(await lab.ok('get', ['endpointslices', '-o', 'json'])) as { items: SliceItem[] };
    return list.items.filter((s) => s.metadata.labels['kubernetes.io/service-name'] === service);
  }
  const endpoint = async (service: string, pod: string) => (await slices(service)).flatMap((s) => s.endpoints).find((e) => e.targetRef?.name === pod);

  /** Ends a holder container; returns ms from then until the controller's sync had taken it in. */
  async function exitAndMeasure(pod: string, taken: (a: Applied) => boolean): Promise<number> {
    const start = Date.now();
    expect((await lab.exec(`default/${pod}`, ['rm', '/tmp/hold'])).code).toBe(0);
    const a = await until(`the controller to apply ${pod}'s exit`, () => (taken(applied()) ? applied() : null), 15_000);
    expect(a.by).toBe('controller');
    const ms = Date.parse(a.at) - start;
    latencies.push(ms);
    return ms;
  }

  beforeAll(async () => {
    writeFileSync(join(dir, 'lab.yaml'), manifests());
    await lab.up(['--nodes', '2', '--dns', '-f', join(dir, 'lab.yaml')]);
  }, T);
  afterAll(async () => {
    const problems = await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
    if (latencies.length > 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      process.stdout.write(`endpoints controller: container exit → rules updated: ${sorted.join(', ')} ms (median ${sorted[Math.floor(sorted.length / 2)]} ms)\n`);
    }
    expect(problems).toEqual([]);
  }, T);

  it('a container that exits makes its pod a not-ready endpoint, and traffic goes to the other pod', async () => {
    expect(await endpoint('web', 'web-b')).toMatchObject({ conditions: { ready: true } });
    await exitAndMeasure('web-b', (a) => !a.ready.includes('default/web-b'));
    expect(await endpoint('web', 'web-b')).toMatchObject({ conditions: { ready: false } });
    const svc = JSON.parse(await lab.ok('get', ['svc', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = svc.items.find((s) => s.metadata.name === 'web')!.spec.clusterIP;
    const hits = await lab.probeFromPod('default/client', Array.from({ length: 20 }, () => ({ proto: 'http' as const, host: vip, port: 80 })));
    expect(hits.map((h) => (h.ok ? h.body?.pod : h.error))).toEqual(Array(20).fill('web-a'));
  }, T);

  it('a pod whose only container exited 0 under restartPolicy Never leaves the slice entirely', async () => {
    expect(await endpoint('job', 'job')).toMatchObject({ conditions: { ready: true } });
    await exitAndMeasure('job', (a) => a.terminal.includes('default/job'));
    const after = await slices('job');
    expect(after.flatMap((s) => s.endpoints)).toEqual([]);
    expect(after).toHaveLength(1); // the placeholder slice stays
  }, T);

  it('container exit to rules updated, a few more times; the headless name drops each pod', async () => {
    const ips = new Map((await lab.pods()).map((p) => [p.name, p.ip]));
    const headless = async () => {
      const r = await lab.exec('default/client', ['getent', 'ahostsv4', 'mh.default.svc.cluster.local']);
      return [...new Set(r.stdout.split('\n').map((l) => l.split(/\s+/)[0]).filter(Boolean))].sort();
    };
    expect(await headless()).toEqual(HOLD_PODS.map((n) => ips.get(n)!).sort());
    for (const [i, name] of HOLD_PODS.entries()) {
      await sleep(700); // not in the same tick as the previous one
      await exitAndMeasure(name, (a) => !a.ready.includes(`default/${name}`));
      const left = HOLD_PODS.slice(i + 1).map((n) => ips.get(n)!).sort();
      if (left.length > 0) await until(`mh to answer ${left.join(', ')}`, async () => JSON.stringify(await headless()) === JSON.stringify(left), 10_000);
    }
    expect(latencies.every((ms) => ms < 5_000)).toBe(true);
  }, T);

  it('a crash-looping container makes its pod flip not ready and back', async () => {
    const seen = new Set<string>();
    await until('crash to be applied not ready and then ready again', () => {
      const ready = applied().ready.includes('default/crash');
      if (!ready) seen.add('notReady');
      else if (seen.has('notReady')) seen.add('readyAgain');
      return seen.has('readyAgain');
    }, 60_000);
    // Between runs the container waits in back-off: kubectl's STATUS for that is CrashLoopBackOff.
    await until('get pods to show crash in CrashLoopBackOff', async () => (await lab.readyColumn()).get('default/crash')?.status === 'CrashLoopBackOff', 30_000);
  }, T);

  it('two applies at once both succeed and the lab ends with both', async () => {
    writeFileSync(join(dir, 'x.yaml'), pod('x', 'x', 'node-1', [server]) + '---\n' + service('x', 'x'));
    writeFileSync(join(dir, 'y.yaml'), pod('y', 'y', 'node-2', [server]) + '---\n' + service('y', 'y'));
    const [rx, ry] = await Promise.all([lab.cli('apply', ['-f', join(dir, 'x.yaml')]), lab.cli('apply', ['-f', join(dir, 'y.yaml')])]);
    expect([rx.code, ry.code, rx.stderr + ry.stderr]).toEqual([0, 0, '']);
    const svc = JSON.parse(await lab.ok('get', ['svc', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = (name: string) => svc.items.find((s) => s.metadata.name === name)?.spec.clusterIP;
    expect([vip('x'), vip('y')].every(Boolean)).toBe(true);
    const hits = await lab.probeFromPod('default/client', [{ proto: 'http', host: vip('x')!, port: 80 }, { proto: 'http', host: vip('y')!, port: 80 }]);
    expect(hits.map((h) => h.body?.pod)).toEqual(['x', 'y']);
    expect(existsSync(join(lab.stateDir, 'lock'))).toBe(false);
  }, T);

  it('a lock left by a SIGKILLed apply does not block podnet down', async () => {
    // The crash loop out first: else the controller, syncing it, may break the stale lock before down does.
    writeFileSync(join(dir, 'crash.yaml'), pod('crash', 'crash', 'node-1', [server]) + '---\n' + service('crash', 'crash'));
    await lab.ok('delete', ['-f', join(dir, 'crash.yaml')]);
    writeFileSync(join(dir, 'z.yaml'), pod('z', 'z', 'node-1', [server]));
    const child = lab.spawn('apply', ['-f', join(dir, 'z.yaml')]);
    const lock = join(lab.stateDir, 'lock');
    await until('the apply to hold the lock', () => existsSync(lock) && readFileSync(lock, 'utf8').includes(`"pid":${child.pid},`), 30_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect(readFileSync(lock, 'utf8')).toContain(`"command":"podnet apply"`);
    const start = Date.now();
    await lab.ok('down');
    expect(Date.now() - start).toBeLessThan(25_000);
    expect(existsSync(lab.stateDir)).toBe(false);
  }, T);
});
