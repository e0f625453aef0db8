/**
 * The node agent for real: two pods in their own network namespaces (joined by a veth pair),
 * built-in servers answering HTTP and UDP, command containers as supervised processes, sync
 * semantics, restarts, and cleanup after the agent is SIGKILLed. Needs root and `ip`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentRequest } from '../../src/lab/agent/client.js';
import { killRecordedProcesses } from '../../src/lab/agent/cleanup.js';
import type { AgentReply, PodSpec, PodStatus } from '../../src/lab/agent/protocol.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const canRun = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;

const tag = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
const ns = { node: `pnt-${tag}-node`, p1: `pnt-${tag}-p1`, p2: `pnt-${tag}-p2` };
const octet = 1 + Math.floor(Math.random() * 250);
const ip1 = `10.250.${octet}.1`;
const ip2 = `10.250.${octet}.2`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Runs a node script inside a namespace and returns its stdout. */
function nodeIn(netns: string, script: string): string {
  return execFileSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
}

const httpGet = (host: string, port: number): string =>
  `require('http').get('http://${host}:${port}/hello?x=1',{headers:{'x-test':'yes'}},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(b))}).on('error',e=>{console.error(e.message);process.exit(1)})`;

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const pod = (name: string, netns: string, podIP: string, containers: PodSpec['containers'], hash = 'h1'): PodSpec => ({
  key: `default/${name}`, hash, namespace: 'default', name, node: 'node-a', ip: podIP, netns, containers,
});

const p1 = pod('p1', ns.p1, ip1, [
  { name: 'web', ports: [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 5353, protocol: 'UDP' }] },
  { name: 'hello', command: ['sh', '-c', 'while true; do echo hello; sleep 1; done'], ports: [] },
  // Reaches its sibling container over the pod's loopback; a failed request (the sibling not yet
  // listening, on a loaded machine) is logged, not fatal: a crash would wait out kubelet's 10 s back-off.
  { name: 'local', command: [process.execPath, '-e', `setInterval(()=>{${httpGet('127.0.0.1', 8080).replace('process.exit(1)', 'void 0')}},500)`], ports: [] },
]);
const p2 = pod('p2', ns.p2, ip2, [
  { name: 'client', command: [process.execPath, '-e', `setInterval(()=>{${httpGet(ip1, 8080).replace('process.exit(1)', 'void 0')}},500)`], ports: [] },
]);

describe.skipIf(!canRun)('node agent (root, network namespaces)', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'podnet-agent-'));
  const sock = path.join(stateDir, 'agents', 'node-a.sock');
  let agent: ChildProcess | undefined;
  const request = (r: Parameters<typeof agentRequest>[1]): Promise<AgentReply> => agentRequest(sock, r, 60_000);
  const statusOf = async (key: string): Promise<PodStatus | undefined> => {
    const reply = await request({ op: 'status' });
    return reply.ok ? reply.pods.find((p) => p.key === key) : undefined;
  };
  const log = (podName: string, container: string): string => {
    try {
      return fs.readFileSync(path.join(stateDir, 'logs', `default_${podName}_${container}.log`), 'utf8');
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    for (const n of Object.values(ns)) {
      ip('netns', 'add', n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    ip('-n', ns.p1, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.p2);
    ip('-n', ns.p1, 'addr', 'add', `${ip1}/24`, 'dev', 'eth0');
    ip('-n', ns.p2, 'addr', 'add', `${ip2}/24`, 'dev', 'eth0');
    ip('-n', ns.p1, 'link', 'set', 'eth0', 'up');
    ip('-n', ns.p2, 'link', 'set', 'eth0', 'up');
    // From source through tsx, so the test does not depend on a fresh `npm run build`.
    const args = ['--import', 'tsx', 'src/lab/agent/main.ts', '--state-dir', stateDir, '--node', 'node-a', '--node-netns', ns.node];
    const errLog = fs.openSync(path.join(stateDir, 'agent.log'), 'a');
    agent = spawn(process.execPath, args, { cwd: repo, detached: true, stdio: ['ignore', errLog, errLog] });
    await until('agent pid file', () => fs.existsSync(path.join(stateDir, 'agents', 'node-a.pid')), 20_000);
  });

  afterAll(async () => {
    if (agent?.pid !== undefined && alive(agent.pid)) {
      await request({ op: 'shutdown' }).catch(() => agent?.kill('SIGKILL'));
    }
    killRecordedProcesses(stateDir, { graceMs: 500 });
    for (const n of Object.values(ns)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('writes its pid file and answers status', async () => {
    const pid = Number(fs.readFileSync(path.join(stateDir, 'agents', 'node-a.pid'), 'utf8'));
    expect(pid).toBe(agent?.pid);
    expect(await request({ op: 'status' })).toEqual({ ok: true, pods: [] });
  });

  it('rejects invalid requests', async () => {
    const reply = await request({ op: 'sync', pods: [{ ...p1, key: 'wrong' }] });
    expect(reply.ok).toBe(false);
  });

  it('serves only root peers: uid 65534 holding CAP_DAC_OVERRIDE (which passes the socket\'s modes) is refused', () => {
    const client = `const c=require('net').connect(${JSON.stringify(sock)});c.on('connect',()=>c.write('{"op":"status"}\\n'));let b='';c.on('data',d=>{b+=d;if(b.includes('\\n')){console.log(b.trim());c.destroy()}});c.on('error',e=>{console.log('error '+e.code);})`;
    const run = (prefix: string[]) => execFileSync(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length > 0 ? [process.execPath] : []), '-e', client], { encoding: 'utf8', timeout: 10_000 }).trim();
    expect(JSON.parse(run([]))).toEqual({ ok: true, pods: [] }); // the same client, as root
    const other = run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=+dac_override', '--ambient-caps=+dac_override']);
    expect(JSON.parse(other)).toMatchObject({ ok: false, error: expect.stringMatching(/^only root may use this socket \(peer pid \d+, uid 65534\)$/) });
    // Without the capability the socket's modes stop it before the agent sees it.
    expect(run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'])).toBe('error EACCES');
  });

  it('syncs two pods and replies once they are ready', async () => {
    const reply = await request({ op: 'sync', pods: [p1, p2] });
    expect(reply).toMatchObject({ ok: true });
    if (!reply.ok) return;
    expect(reply.pods.map((p) => [p.key, p.ready])).toEqual([['default/p1', true], ['default/p2', true]]);
    const web = reply.pods[0].containers[0];
    expect(web).toEqual({ name: 'web', kind: 'builtin', state: 'running', restarts: 0, ready: true, started: true, startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(reply.pods[0].containers[1]).toMatchObject({ name: 'hello', kind: 'command', state: 'running', restarts: 0 });
  });

  it('serves HTTP from p1 to p2, showing p2 as the client', () => {
    const body = JSON.parse(nodeIn(ns.p2, httpGet(ip1, 8080)));
    expect(body).toMatchObject({
      pod: 'p1', namespace: 'default', podIP: ip1, node: 'node-a', container: 'web', port: 8080,
      remoteAddress: ip2, method: 'GET', path: '/hello?x=1',
    });
    expect(body.headers['x-test']).toBe('yes');
  });

  it('answers UDP with the pod name', () => {
    const script = `const s=require('dgram').createSocket('udp4');s.on('message',m=>{console.log(String(m));process.exit(0)});s.send('ping',5353,'${ip1}');setTimeout(()=>process.exit(1),3000)`;
    expect(JSON.parse(nodeIn(ns.p2, script))).toMatchObject({ pod: 'p1', namespace: 'default', podIP: ip1, remoteAddress: ip2 });
  });

  it('does not listen outside the pod namespace', () => {
    const ss = spawnSync('ss', ['-Hltn', 'sport = :8080'], { encoding: 'utf8' });
    if (ss.status === 0) expect(ss.stdout).not.toContain(`0.0.0.0:8080`);
  });

  it('lets containers of a pod reach each other on localhost, and logs', async () => {
    await until('localhost client output', () => log('p1', 'local').includes('"remoteAddress":"127.0.0.1"'));
    await until('p2 client output', () => log('p2', 'client').includes(`"podIP":"${ip1}"`));
    await until('hello lines', () => log('p1', 'hello').split('\n').filter((l) => l === 'hello').length >= 2);
    expect(log('p1', 'web')).toMatch(/TCP\/8080 127\.0\.0\.1:\d+ "GET \/hello\?x=1" 200/);
    expect(log('p1', 'web')).toMatch(/UDP\/5353 /);
  });

  it('leaves unchanged pods alone on a repeated sync', async () => {
    const before = await request({ op: 'status' });
    const again = await request({ op: 'sync', pods: [p1, p2] });
    expect(again.ok).toBe(true);
    const pids = (r: AgentReply): (number | undefined)[] => (r.pods ?? []).flatMap((p) => p.containers.map((c) => c.pid));
    expect(pids(again)).toEqual(pids(before));
    expect(pids(again).filter((p) => p !== undefined)).toHaveLength(3);
  });

  it('stops removed pods, killing their processes', async () => {
    const p2pid = (await statusOf('default/p2'))?.containers[0].pid;
    expect(p2pid).toBeGreaterThan(0);
    const reply = await request({ op: 'sync', pods: [p1] });
    expect(reply.ok && reply.pods.map((p) => p.key)).toEqual(['default/p1']);
    expect(alive(p2pid!)).toBe(false);
    expect(fs.existsSync(path.join(stateDir, 'pids', String(p2pid)))).toBe(false);
  });

  it('terminates a pod in the background when a sync says so: reported terminating, then stopped once its process exits on SIGTERM', async () => {
    const polite = pod('p3', ns.p2, ip2, [{ name: 'polite', command: ['sh', '-c', "trap 'sleep 1; exit 0' TERM; while true; do sleep 0.2; done"], ports: [] }]);
    expect((await request({ op: 'sync', pods: [p1, polite] })).ok).toBe(true);
    const pid = (await statusOf('default/p3'))!.containers[0].pid!;
    const start = Date.now();
    const reply = await request({ op: 'sync', pods: [p1], terminate: [{ key: 'default/p3', graceMs: 20_000 }] });
    expect(Date.now() - start).toBeLessThan(900); // not waited for
    expect(reply.ok && reply.pods.find((p) => p.key === 'default/p3')).toMatchObject({ terminating: true });
    const stopped = await until('p3 to stop', async () => ((await statusOf('default/p3'))?.stopped ? true : undefined), 10_000);
    expect(stopped).toBe(true);
    expect(Date.now() - start).toBeGreaterThan(900); // the trap's sleep 1
    expect(alive(pid)).toBe(false);
    // A sync that names it no more forgets it.
    expect((await request({ op: 'sync', pods: [p1] })).pods!.map((p) => p.key)).toEqual(['default/p1']);
  });

  it('a terminating pod that ignores SIGTERM is killed at once when a sync names it no more', async () => {
    const stubborn = pod('p4', ns.p2, ip2, [{ name: 'stubborn', command: ['sh', '-c', "trap '' TERM; while true; do sleep 0.2; done"], ports: [] }]);
    expect((await request({ op: 'sync', pods: [p1, stubborn] })).ok).toBe(true);
    const pid = (await statusOf('default/p4'))!.containers[0].pid!;
    await request({ op: 'sync', pods: [p1], terminate: [{ key: 'default/p4', graceMs: 60_000 }] });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(alive(pid)).toBe(true); // SIGTERM ignored, its grace period not over
    expect((await statusOf('default/p4'))?.stopped).toBeUndefined();
    const start = Date.now();
    expect((await request({ op: 'sync', pods: [p1] })).pods!.map((p) => p.key)).toEqual(['default/p1']);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(alive(pid)).toBe(false);
  });

  it('restarts a killed command container', async () => {
    const hello = (await statusOf('default/p1'))!.containers[1];
    process.kill(hello.pid!, 'SIGKILL');
    // kubelet's back-off: the first restart comes 10 s after the exit.
    const c = await until('restart', async () => {
      const now = (await statusOf('default/p1'))?.containers[1];
      return now && now.state === 'running' && now.pid !== hello.pid ? now : undefined;
    }, 25_000);
    expect(c).toMatchObject({ name: 'hello', state: 'running', restarts: 1 });
    expect(alive(hello.pid!)).toBe(false);
  }, 40_000);

  it('replaces a pod whose hash changed, reopening its ports', async () => {
    const old = (await statusOf('default/p1'))!.containers[1].pid!;
    const reply = await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }] });
    expect(reply.ok).toBe(true);
    const now = reply.pods!.find((p) => p.key === 'default/p1')!;
    expect(now.ready).toBe(true);
    expect(now.containers[1].pid).not.toBe(old);
    expect(alive(old)).toBe(false);
    expect(JSON.parse(nodeIn(ns.p1, httpGet('127.0.0.1', 8080)))).toMatchObject({ pod: 'p1' });
  });

  it('runs hostNetwork pods in the node namespace', async () => {
    const host = { ...pod('hostnet', ns.node, '', [{ name: 'web', ports: [{ containerPort: 9090, protocol: 'TCP' as const }] }]), netns: null };
    const reply = await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }, host] });
    expect(reply.ok && reply.pods.map((p) => p.ready)).toEqual([true, true]);
    expect(JSON.parse(nodeIn(ns.node, httpGet('127.0.0.1', 9090)))).toMatchObject({ pod: 'hostnet' });
  });

  it('reports a port conflict as a failed sync', async () => {
    const clash = pod('clash', ns.node, '', [{ name: 'web', ports: [{ containerPort: 9090, protocol: 'TCP' as const }] }]);
    const host = { ...pod('hostnet', ns.node, '', [{ name: 'web', ports: [{ containerPort: 9090, protocol: 'TCP' as const }] }]), netns: null };
    const reply = await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }, host, clash] });
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error).toContain('default/clash: TCP/9090');
    expect(reply.pods?.find((p) => p.key === 'default/clash')?.ready).toBe(false);
    const back = await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }] });
    expect(back.ok && back.pods.map((p) => p.key)).toEqual(['default/p1']);
  });

  it("probes from the node's namespace: 127.0.0.1 is the node's loopback, not the pod's", async () => {
    const tcpReady = (port: number) => ({
      handler: { kind: 'tcpSocket' as const, port, host: '127.0.0.1' },
      initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1,
    });
    // Listens in the node's namespace (hostNetwork): the probe connects.
    const onNode = { ...pod('onnode', ns.node, '', [{ name: 'web', ports: [{ containerPort: 9191, protocol: 'TCP' as const }], readinessProbe: tcpReady(9191) }]), netns: null };
    // Listens in its own namespace only: from the node, 127.0.0.1:8181 is closed.
    const inPod = pod('inpod', ns.p2, ip2, [{ name: 'web', ports: [{ containerPort: 8181, protocol: 'TCP' as const }], readinessProbe: tcpReady(8181) }]);
    await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }, onNode, inPod] });
    await until('onnode ready', async () => (await statusOf('default/onnode'))?.ready === true, 10_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await statusOf('default/inpod')).toMatchObject({ ready: false, containers: [{ name: 'web', state: 'running', ready: false, started: true }] });
    expect(log('inpod', 'web')).toContain('readiness probe failed');
    const back = await request({ op: 'sync', pods: [{ ...p1, hash: 'h2' }] });
    expect(back.ok && back.pods.map((p) => p.key)).toEqual(['default/p1']);
  });

  it('takes its containers with it when SIGKILLed (none runs unsupervised); killRecordedProcesses clears the records left', async () => {
    const status = (await statusOf('default/p1'))!;
    const pids = status.containers.flatMap((c) => (c.pid !== undefined ? [c.pid] : []));
    expect(pids).toHaveLength(2);
    process.kill(agent!.pid!, 'SIGKILL');
    await until('agent gone', () => !alive(agent!.pid!));
    // the launcher's PDEATHSIG: each sandbox ends with the agent that started it, 'hello'
    // (which does not depend on the agent) included, so a restarted agent starts them afresh.
    await until('containers gone with their agent', () => pids.every((pid) => !alive(pid)), 5_000);
    // The agent had no chance to forget them: the records are still there, and name no live process.
    const recorded = fs.readdirSync(path.join(stateDir, 'pids')).map(Number);
    expect(recorded).toEqual(expect.arrayContaining(pids));
    // The node's probe helper (started by the probe test above) is recorded too; it exits by
    // itself when its IPC channel to the agent closes, which can take a moment under load.
    await until('every recorded process gone by itself', () => recorded.every((pid) => !alive(pid)), 5_000);
    expect(killRecordedProcesses(stateDir)).toBe(0);
    expect(fs.readdirSync(path.join(stateDir, 'pids'))).toEqual([]);
    // Nothing is left running inside the pod namespaces.
    expect(execFileSync('ip', ['netns', 'pids', ns.p1], { encoding: 'utf8' }).trim()).toBe('');
  });
});
