/**
 * podnet trace, flows and metrics in real labs (issue 8): every path kind traced and confirmed by
 * a real probe from the source pod (same node, routed, VXLAN, Service by name and URL, denied by
 * egress, denied by ingress, no endpoints, an outside address that is never probed), the flows
 * the monitor collected for allowed and denied connections with the deciding policy, `--follow`,
 * and /metrics. Needs root, `ip` and `nft`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, REPO, TestLab, until } from './helpers.js';
import { policy, removeManifests, writeManifest, type Obj } from './policy-lab.js';

const T = 120_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;

const pod = (name: string, node: string, app: string, port = 8080): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app } },
  spec: { nodeName: node, containers: [{ name: 'main', image: 'podnet/http', ports: [{ containerPort: port }] }] },
});
const service = (name: string, app: string): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] } });

interface TraceJson {
  verdict: string;
  address: string | null;
  port: number | null;
  dns: { attempts: { name: string; result: string }[] } | null;
  service: { service: string | null; result: { verdict: string; destinations: string[] } } | null;
  paths: { to: string; pod: string | null; route: { kind: string }[]; egress: { allowed: boolean; selectedBy: { policy: string }[] }; ingress: { allowed: boolean; selectedBy: { policy: string }[] }; allowed: boolean }[];
  probe: { target: string; outcome: { verdict: string }; agrees: boolean } | null;
}

interface FlowJson {
  node: string;
  src: { pod: string | null };
  dst: { pod: string | null };
  protocol: string;
  port: number;
  verdict: string;
  direction?: string;
  policies: string[];
}

// The file's manifests (written while the suites are collected) go once every suite is done.
afterAll(() => removeManifests());

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('podnet trace, flows and metrics (routed lab with DNS)', () => {
  const lab = new TestLab('tr');
  const manifest = writeManifest([
    pod('client', 'node-1', 'client'),
    pod('web-a', 'node-1', 'web'),
    pod('web-b', 'node-2', 'web'),
    pod('db', 'node-2', 'db', 5432),
    pod('locked', 'node-1', 'locked'),
    service('web', 'web'),
    service('empty', 'nothing'),
    policy('default', 'db-from-api', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }),
    policy('default', 'locked-egress', { podSelector: { matchLabels: { app: 'locked' } }, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] }),
    policy('default', 'web-open', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] }),
  ]);
  const trace = async (from: string, to: string, rest: string[] = []): Promise<{ t: TraceJson; code: number | null }> => {
    const r = await lab.cli('trace', [from, to, '-o', 'json', ...rest]);
    if (r.code !== 0 && r.code !== 1) throw new Error(`trace ${from} ${to}: exit ${r.code}: ${r.stderr}`);
    return { t: JSON.parse(r.stdout) as TraceJson, code: r.code };
  };
  const flows = async (): Promise<FlowJson[]> =>
    (await lab.ok('flows', ['-o', 'json'])).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as FlowJson);

  beforeAll(async () => {
    await lab.up(['--dns', '-f', manifest]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('pod -> pod on the same node: bridge, allowed, and the probe connects', async () => {
    const { t, code } = await trace('default/client', 'default/web-a');
    expect(t.verdict).toBe('ALLOWED');
    expect(t.paths[0].route.map((r) => r.kind)).toEqual(['same-node']);
    expect(t.probe).toMatchObject({ outcome: { verdict: 'open' }, agrees: true });
    expect(code).toBe(0);
  }, T);

  it('pod -> pod across nodes: routed, ingress allowed by web-open', async () => {
    const { t } = await trace('default/client', 'default/web-b');
    expect(t.paths[0].route.map((r) => r.kind)).toEqual(['routed']);
    expect(t.paths[0].ingress.selectedBy.map((p) => p.policy)).toEqual(['default/web-open']);
    expect(t.probe).toMatchObject({ outcome: { verdict: 'open' }, agrees: true });
  }, T);

  it('pod -> Service name: the DNS answer, DNAT to both endpoints, the probe to the VIP connects', async () => {
    const { t } = await trace('client', 'web');
    expect(t.dns!.attempts[0]).toEqual(expect.objectContaining({ name: 'web.default.svc.cluster.local', result: 'answer' }));
    expect(t.service).toMatchObject({ service: 'default/web', result: { verdict: 'DNAT' } });
    expect(t.paths.map((p) => p.pod).sort()).toEqual(['default/web-a', 'default/web-b']);
    expect(t.probe).toMatchObject({ target: `${t.address}:80`, outcome: { verdict: 'open' }, agrees: true });
    // The DNS answer is the one the pod's own resolver gets from the lab's DNS server.
    const r = await lab.exec('default/client', ['getent', 'hosts', 'web']);
    expect(r.stdout.split(/\s+/)[0]).toBe(t.address);
  }, T);

  it('pod -> URL: the search list, the URL\'s port', async () => {
    const { t } = await trace('default/client', 'http://web.default/index.html');
    expect(t.dns!.attempts.map((a) => a.result)).toEqual(['nxdomain', 'answer']);
    expect(t.port).toBe(80);
    expect(t.probe).toMatchObject({ agrees: true });
  }, T);

  it('denied by egress at the source: the probe is refused with admin-prohibited', async () => {
    const { t, code } = await trace('default/locked', 'default/web-a');
    expect(t.verdict).toBe('DENIED');
    expect(t.paths[0].egress).toMatchObject({ allowed: false, selectedBy: [{ policy: 'default/locked-egress' }] });
    expect(t.probe).toMatchObject({ outcome: { verdict: 'denied' }, agrees: true });
    expect(code).toBe(0);
  }, T);

  it('denied by ingress at the destination, on another node', async () => {
    const { t } = await trace('default/client', 'default/db');
    expect(t.verdict).toBe('DENIED');
    expect(t.port).toBe(5432);
    expect(t.paths[0].ingress).toMatchObject({ allowed: false, selectedBy: [{ policy: 'default/db-from-api' }] });
    expect(t.probe).toMatchObject({ outcome: { verdict: 'denied' }, agrees: true });
  }, T);

  it('a Service without endpoints: rejected by the proxy, the probe is refused', async () => {
    const { t } = await trace('default/client', 'empty');
    expect(t.verdict).toBe('NO ENDPOINTS');
    expect(t.probe).toMatchObject({ outcome: { verdict: 'refused' }, agrees: true });
  }, T);

  it('an address outside the lab: no route, and no probe is sent', async () => {
    const { t } = await trace('default/client', '192.0.2.1:443');
    expect(t.verdict).toBe('UNREACHABLE');
    expect(t.probe).toBeNull();
  }, T);

  it('text output: every step with its verdict', async () => {
    const out = await lab.ok('trace', ['default/client', 'web']);
    expect(out).toMatch(/^dns {7}web via \S+ \(search default\.svc\.cluster\.local/m);
    expect(out).toMatch(/^service {3}\S+:80 \(default\/web\) on node-1: DNAT /m);
    expect(out).toMatch(/^ {2}route {3}node-1 -> node-2: routed over the node network/m);
    expect(out).toMatch(/^verdict {3}ALLOWED$/m);
    expect(out).toMatch(/^probe {5}\S+:80: open in \d+ ms: agrees with the trace$/m);
  }, T);

  it('flows: the allowed and denied connections above, with the deciding policy', async () => {
    const want = (f: FlowJson[]) => ({
      deniedIngress: f.find((x) => x.verdict === 'denied' && x.src.pod === 'default/client' && x.dst.pod === 'default/db'),
      deniedEgress: f.find((x) => x.verdict === 'denied' && x.src.pod === 'default/locked' && x.dst.pod === 'default/web-a'),
      allowed: f.find((x) => x.verdict === 'allowed' && x.src.pod === 'default/client' && x.dst.pod === 'default/web-b' && x.port === 8080),
    });
    const got = await until('the flows of the traces', async () => {
      const w = want(await flows());
      return w.deniedIngress && w.deniedEgress && w.allowed ? w : null;
    });
    expect(got.deniedIngress).toMatchObject({ node: 'node-2', protocol: 'TCP', port: 5432, direction: 'ingress', policies: ['default/db-from-api'] });
    expect(got.deniedEgress).toMatchObject({ node: 'node-1', protocol: 'TCP', port: 8080, direction: 'egress', policies: ['default/locked-egress'] });
    expect(got.allowed).toMatchObject({ node: 'node-2', policies: ['default/web-open spec.ingress[0]'] });
    // One record per connection: the denied probe's SYN retransmissions are folded.
    const all = await flows();
    expect(all.filter((x) => x.verdict === 'denied' && x.src.pod === 'default/client' && x.dst.pod === 'default/db').length).toBe(1);
  }, T);

  it('flows --follow prints a new connection as it happens', async () => {
    const [cmd, ...args] = lab.argv('flows', ['--follow', '-o', 'json', '--verdict', 'denied']);
    const child = spawn(cmd, args, { cwd: REPO, env: lab.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until('flows --follow to start', () => child.pid !== undefined);
      const before = out.split('\n').filter((l) => l.includes('"default/db"')).length;
      await lab.cli('probe', ['default/web-a', 'default/db', '--port', '5432']);
      const lines = await until('a new denied flow', () => {
        const l = out.split('\n').filter((x) => x.includes('"default/db"') && x.includes('"default/web-a"'));
        return l.length > 0 && out.split('\n').filter((x) => x.includes('"default/db"')).length > before ? l : null;
      });
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ verdict: 'denied', direction: 'ingress', policies: ['default/db-from-api'] });
    } finally {
      child.kill('SIGINT');
    }
  }, T);

  it('/metrics: sync durations, rule counts, drops per policy', async () => {
    const text = await lab.ok('metrics');
    expect(text).toMatch(/^podnet_sync_duration_seconds\{lab="[^"]+",part="services"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^podnet_sync_duration_seconds\{lab="[^"]+",part="policy_apply"\} [0-9.e-]+$/m);
    expect(text).toMatch(/^podnet_nft_rules\{lab="[^"]+",node="node-1",table="podnet"\} [1-9]\d*$/m);
    expect(text).toMatch(/^podnet_nft_rules\{lab="[^"]+",node="node-2",table="podnet-policy"\} [1-9]\d*$/m);
    const drops = /^podnet_policy_drops_total\{lab="[^"]+",policy="default\/db-from-api",direction="ingress"\} (\d+)$/m.exec(text);
    expect(Number(drops?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^podnet_flows_total\{lab="[^"]+",verdict="denied",tier="NetworkPolicy",policy="default\/locked-egress"\} [1-9]\d*$/m);
  }, T);

  it('a monitor that died is started again by apply, and collects again', async () => {
    const state = () => JSON.parse(readFileSync(join(lab.stateDir, 'lab.json'), 'utf8')) as { monitor: { pid: number; port: number } };
    const before = state().monitor;
    process.kill(before.pid, 'SIGKILL'); // this test's own lab's process, by its recorded PID
    await until('the monitor gone', () => !existsSync(`/proc/${before.pid}`) || readFileSync(`/proc/${before.pid}/stat`, 'utf8').includes(') Z'));
    const down = await lab.cli('metrics');
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/does not answer/);
    await lab.ok('apply', ['-f', manifest]);
    expect(state().monitor.pid).not.toBe(before.pid);
    expect(await lab.ok('metrics')).toMatch(/^podnet_syncs_total\{lab="[^"]+"\} 2$/m);
    await lab.cli('probe', ['default/locked', 'default/web-b', '--port', '8080']);
    await until('the new monitor records a denial', async () => (await flows()).some((f) => f.src.pod === 'default/locked' && f.dst.pod === 'default/web-b'));
  }, T);
});

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('podnet trace in a VXLAN lab', () => {
  const lab = new TestLab('trx');
  const manifest = writeManifest([pod('a', 'node-1', 'a'), pod('b', 'node-2', 'b')]);
  beforeAll(async () => {
    await lab.up(['--mode', 'vxlan', '-f', manifest]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('pod -> pod across nodes goes over flannel.1, and the probe connects', async () => {
    const t = JSON.parse(await lab.ok('trace', ['default/a', 'default/b', '-o', 'json'])) as TraceJson;
    expect(t.paths[0].route.map((r) => r.kind)).toEqual(['vxlan']);
    expect(t.probe).toMatchObject({ outcome: { verdict: 'open' }, agrees: true });
    // Without cluster DNS a name is not looked up in the cluster at all; a bare one is a pod.
    const byName = JSON.parse(await lab.ok('trace', ['default/a', 'b.default', '-o', 'json'])) as TraceJson & { dns: { skipped?: string } };
    expect(byName.verdict).toBe('UNRESOLVED');
    expect(byName.dns.skipped).toMatch(/without cluster DNS/);
    expect(byName.probe).toBeNull();
    const bare = JSON.parse(await lab.ok('trace', ['a', 'b', '-o', 'json'])) as TraceJson;
    expect(bare.paths.map((p) => p.pod)).toEqual(['default/b']);
  }, T);
});
