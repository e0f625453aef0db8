/**
 * Services for real (issue 4): podnet's kube-proxy on nftables in a 2-node routed lab, proved with
 * real packets through the CLI — ClusterIP spread (numeric and named targetPort) without SNAT,
 * ClientIP affinity, UDP and stale conntrack flushing, NodePort and LoadBalancer from the host
 * (masqueraded for externalTrafficPolicy Cluster, source kept for Local, DROP on a node without a
 * local endpoint), internalTrafficPolicy Local, hairpin, reject without endpoints, headless and
 * ExternalName, incremental apply/delete/scale, and `get svc` / `get endpointslices`.
 * Needs root, `ip`, `nft` and `conntrack`; one lab with a unique name and its own state root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCidr, parseIPv4 } from '../../src/model/ip.js';
import { CAN_RUN_LAB, podsNamed, REPO, spawnCollect, TestLab, type NodeInfo, type PodInfo } from './helpers.js';

const T = 120_000;
const NS = 'svc';
const FIX = join(REPO, 'test', 'fixtures', 'services');
const fx = (name: string): string => join(FIX, name);
const HAVE_TOOLS = ['nft', 'conntrack'].every((t) => spawnSync(t, ['--version']).status === 0);

/** One answer (or failure) of the built-in server, with how long it took. */
interface Hit {
  ok: boolean;
  ms: number;
  error?: string;
  pod?: string;
  node?: string;
  podIP?: string;
  remoteAddress?: string;
}

type Op =
  | { kind: 'http'; host: string; port: number; count?: number; timeoutMs?: number }
  | { kind: 'tcp'; host: string; port: number; timeoutMs?: number }
  | { kind: 'udp'; host: string; port: number; localPort?: number; timeoutMs?: number };

/**
 * Runs inside a pod (podnet exec) or a node namespace: each op in turn — `count` sequential HTTP
 * GETs on fresh connections, a bare TCP connect, or a UDP datagram (optionally from a fixed source
 * port, resent every 100 ms) — and prints one JSON array of Hit arrays, one per op.
 */
const CLIENT = `
const http = require('http'), net = require('net'), dgram = require('dgram');
const ops = JSON.parse(process.argv[1]);
const now = () => Number(process.hrtime.bigint() / 1000000n);
const attempt = (o, start) => new Promise((res) => {
  const t0 = now(); let over = false, cleanup = () => {};
  const fin = (r) => { if (over) return; over = true; clearTimeout(timer); cleanup(); res({ ...r, ms: now() - t0 }); };
  const timer = setTimeout(() => fin({ ok: false, error: 'timeout' }), o.timeoutMs || 3000);
  const answer = (text) => { try { const j = JSON.parse(text); fin({ ok: true, pod: j.pod, node: j.node, podIP: j.podIP, remoteAddress: j.remoteAddress }); } catch { fin({ ok: false, error: 'not JSON: ' + text }); } };
  start(o, fin, answer, (f) => (cleanup = f));
});
const kinds = {
  http: (o, fin, answer, onCleanup) => {
    const req = http.get({ host: o.host, port: o.port, path: '/svc', agent: false }, (r) => {
      let b = ''; r.setEncoding('utf8'); r.on('data', (d) => (b += d)); r.on('end', () => answer(b));
    });
    req.on('error', (e) => fin({ ok: false, error: e.code || e.message }));
    onCleanup(() => req.destroy());
  },
  tcp: (o, fin, answer, onCleanup) => {
    const c = net.connect(o.port, o.host, () => fin({ ok: true }));
    c.on('error', (e) => fin({ ok: false, error: e.code || e.message }));
    onCleanup(() => c.destroy());
  },
  udp: (o, fin, answer, onCleanup) => {
    const s = dgram.createSocket('udp4'); let again;
    s.on('error', (e) => fin({ ok: false, error: e.code || e.message }));
    s.on('message', (m) => answer(m.toString()));
    s.bind(o.localPort || 0, () => { const send = () => s.send('svc', o.port, o.host, () => {}); send(); again = setInterval(send, 100); });
    onCleanup(() => { clearInterval(again); try { s.close(); } catch {} });
  },
};
(async () => {
  const out = [];
  for (const o of ops) { const hits = []; for (let i = 0; i < (o.count || 1); i++) hits.push(await attempt(o, kinds[o.kind])); out.push(hits); }
  process.stdout.write(JSON.stringify(out) + '\\n'); process.exit(0);
})();
`;

function parseHits(r: { code: number | null; stdout: string; stderr: string }, where: string): Hit[][] {
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Hit[][];
  } catch {
    throw new Error(`client in ${where} printed no result (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}

/** HTTP GET from the host itself (this process, root namespace). */
function hostGet(host: string, port: number, timeoutMs = 3000): Promise<Hit> {
  return new Promise((res) => {
    const t0 = Date.now();
    let over = false;
    const fin = (h: Omit<Hit, 'ms'>) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      res({ ...h, ms: Date.now() - t0 });
    };
    const req = http.get({ host, port, path: '/from-host', agent: false }, (r) => {
      let b = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (b += d));
      r.on('end', () => {
        try {
          const j = JSON.parse(b) as Record<string, string>;
          fin({ ok: true, pod: j.pod, node: j.node, podIP: j.podIP, remoteAddress: j.remoteAddress });
        } catch {
          fin({ ok: false, error: `not JSON: ${b}` });
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => fin({ ok: false, error: e.code ?? e.message }));
    const timer = setTimeout(() => {
      req.destroy();
      fin({ ok: false, error: 'timeout' });
    }, timeoutMs);
  });
}

async function hostGets(host: string, port: number, count: number): Promise<Hit[]> {
  const out: Hit[] = [];
  for (let i = 0; i < count; i++) out.push(await hostGet(host, port));
  return out;
}

function allOk(hits: readonly Hit[], what: string): void {
  const bad = hits.filter((h) => !h.ok);
  expect(bad, `${what}: ${bad.length}/${hits.length} failed: ${JSON.stringify(bad.slice(0, 3))}`).toEqual([]);
}

/** pod name → how many hits it answered. */
function tally(hits: readonly Hit[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of hits) if (h.pod) m.set(h.pod, (m.get(h.pod) ?? 0) + 1);
  return m;
}

function inCidr(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr)!;
  const n = parseIPv4(ip);
  return n !== null && n >= c.start && n <= c.end;
}

/** A node's pod-bridge address (its pod CIDR's first host): masquerade's source towards local pods. */
function gatewayOf(n: NodeInfo): string {
  return n.podCidr.replace(/\.0\/24$/, '.1');
}

interface SvcItem {
  metadata: { name: string; namespace: string };
  spec: { type: string; clusterIP?: string; externalName?: string; ports: { name?: string; port: number; nodePort?: number; protocol: string }[] };
  status: { loadBalancer: { ingress?: { ip: string }[] } };
}

interface SliceItem {
  metadata: { name: string; labels: Record<string, string> };
  ports: { name?: string; port: number; protocol: string }[];
  endpoints: { addresses: string[]; conditions: { ready: boolean }; nodeName?: string; targetRef?: { name: string } }[];
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_TOOLS)('Services in a lab (root, nftables, real packets)', () => {
  const lab = new TestLab('sv');
  let nodes: NodeInfo[] = [];
  let pods: PodInfo[] = [];
  let svcs = new Map<string, SvcItem>();
  let backends: PodInfo[] = [];
  let client: PodInfo;
  let solo: PodInfo;
  let hostAddr = '';
  let upOutput = '';

  const vip = (name: string): string => svcs.get(name)!.spec.clusterIP!;
  const nodePort = (name: string): number => svcs.get(name)!.spec.ports[0].nodePort!;
  const lbIP = (name: string): string => svcs.get(name)!.status.loadBalancer.ingress![0].ip;
  const node = (name: string): NodeInfo => nodes.find((n) => n.name === name)!;

  async function fromPod(pod: PodInfo, ops: Op[]): Promise<Hit[][]> {
    return parseHits(await lab.exec(pod.key, ['node', '-e', CLIENT, JSON.stringify(ops)]), `pod ${pod.key}`);
  }
  async function fromNode(name: string, ops: Op[]): Promise<Hit[][]> {
    const r = await spawnCollect(['ip', 'netns', 'exec', lab.nodeNetns(name), process.execPath, '-e', CLIENT, JSON.stringify(ops)], { timeoutMs: 60_000 });
    return parseHits(r, `node ${name}`);
  }
  const inNode = (name: string, argv: string[]): string => execFileSync('ip', ['netns', 'exec', lab.nodeNetns(name), ...argv], { encoding: 'utf8' });
  const serviceIpsMap = (name: string): string => inNode(name, ['nft', 'list', 'map', 'ip', 'podnet', 'service-ips']);
  /** The table's handle: a full sync deletes and re-creates the table, a delta keeps it. */
  const tableHandle = (name: string): string => /table ip podnet \{ # handle (\d+)/.exec(inNode(name, ['nft', '-a', 'list', 'table', 'ip', 'podnet']))![1];

  async function refresh(): Promise<void> {
    [nodes, pods] = await Promise.all([lab.nodes(), lab.pods()]);
    const list = JSON.parse(await lab.ok('get', ['svc', '-n', NS, '-o', 'json'])) as { items: SvcItem[] };
    svcs = new Map(list.items.map((s) => [s.metadata.name, s]));
    backends = podsNamed(pods, 'backend', NS);
    client = podsNamed(pods, 'client', NS)[0];
    solo = podsNamed(pods, 'solo', NS)[0];
  }

  beforeAll(async () => {
    upOutput = await lab.up(['--mode', 'routed', '--nodes', '2', ...['base.yaml', 'udp-a.yaml', 'udp-b.yaml', 'flow.yaml'].flatMap((f) => ['-f', fx(f)])]);
    await refresh();
    // The host's address on the lab link pn-<lab>: the first address of the node network.
    const addr = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', `pn-${lab.name}`], { encoding: 'utf8' })) as { addr_info: { local: string }[] }[];
    hostAddr = addr[0].addr_info[0].local;
  }, T);

  afterAll(async () => {
    const problems = await lab.cleanup();
    expect(problems).toEqual([]);
    expect(spawnSync('ip', ['link', 'show', `pn-${lab.name}`]).status).not.toBe(0);
  }, T);

  it('places the lab as the tests assume: 3 backends over both nodes, client on node-1, solo on node-2', () => {
    expect(pods.every((p) => p.phase === 'Running'), JSON.stringify(pods)).toBe(true);
    expect(backends).toHaveLength(3);
    expect(new Set(backends.map((p) => p.node))).toEqual(new Set(['node-1', 'node-2']));
    expect(client.node).toBe('node-1');
    expect(solo.node).toBe('node-2');
    expect(hostAddr).toBe(node('node-1').ip.replace(/\.\d+$/, '.1'));
    // Every Service was accepted (no allocation problems reported by `up`).
    expect(upOutput).toMatch(/7\/7 pods ready/);
    expect(upOutput).not.toMatch(/warning:/);
  });

  it('get svc: columns TYPE, CLUSTER-IP (in 10.96.0.0/12; None for headless), EXTERNAL-IP, PORT(S)', async () => {
    for (const name of ['web', 'web-named', 'sticky', 'dns', 'web-np', 'web-lb', 'solo-lb', 'web-itp-local', 'hairpin', 'empty', 'flow']) {
      expect(inCidr(vip(name), '10.96.0.0/12'), `${name}: ${vip(name)}`).toBe(true);
    }
    expect(new Set([...svcs.values()].map((s) => s.spec.clusterIP).filter((ip) => ip && ip !== 'None')).size).toBe(11); // all distinct
    expect(svcs.get('headless')!.spec.clusterIP).toBe('None');
    expect(svcs.get('ext')!.spec).not.toHaveProperty('clusterIP');
    expect(svcs.get('ext')!.spec.externalName).toBe('db.example.com');
    for (const name of ['web-np', 'web-lb', 'solo-lb']) expect(nodePort(name)).toBeGreaterThanOrEqual(30000);
    // LoadBalancer Services get an address from the lab's pool (the /24 after the node network).
    const pool = `${node('node-1').ip.split('.').slice(0, 2).join('.')}.${Number(node('node-1').ip.split('.')[2]) + 1}.0/24`;
    for (const name of ['web-lb', 'solo-lb']) expect(inCidr(lbIP(name), pool), `${name}: ${lbIP(name)} in ${pool}`).toBe(true);
    expect(svcs.get('web')!.status.loadBalancer).toEqual({});

    const table = (await lab.ok('get', ['svc', '-n', NS])).trim().split('\n');
    expect(table[0].trim().split(/\s+/)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const rows = new Map(table.slice(1).map((l) => l.trim().split(/\s+/)).map((c) => [c[0], c.slice(1, 5)]));
    expect(rows.get('web')).toEqual(['ClusterIP', vip('web'), '<none>', '80/TCP']);
    expect(rows.get('dns')).toEqual(['ClusterIP', vip('dns'), '<none>', '53/UDP']);
    expect(rows.get('web-np')).toEqual(['NodePort', vip('web-np'), '<none>', `80:${nodePort('web-np')}/TCP`]);
    expect(rows.get('web-lb')).toEqual(['LoadBalancer', vip('web-lb'), lbIP('web-lb'), `8000:${nodePort('web-lb')}/TCP`]);
    expect(rows.get('solo-lb')).toEqual(['LoadBalancer', vip('solo-lb'), lbIP('solo-lb'), `80:${nodePort('solo-lb')}/TCP`]);
    expect(rows.get('web-np')![3]).toMatch(/^80:3\d{4}\/TCP$/);
    expect(rows.get('headless')).toEqual(['ClusterIP', 'None', '<none>', '8080/TCP']);
    expect(rows.get('ext')).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
  }, T);

  it('get endpointslices: one slice per Service with a selector, holding the ready pod IPs', async () => {
    const list = JSON.parse(await lab.ok('get', ['endpointslices', '-n', NS, '-o', 'json'])) as { items: SliceItem[] };
    const bySvc = new Map<string, SliceItem[]>();
    for (const sl of list.items) {
      const svc = sl.metadata.labels['kubernetes.io/service-name'];
      bySvc.set(svc, [...(bySvc.get(svc) ?? []), sl]);
    }
    const withSelector = [...svcs.keys()].filter((n) => n !== 'ext').sort();
    expect([...bySvc.keys()].sort()).toEqual(withSelector); // ExternalName gets none
    const ips = (svc: string) => bySvc.get(svc)!.flatMap((sl) => sl.endpoints.filter((e) => e.conditions.ready).flatMap((e) => e.addresses)).sort();
    const backendIPs = backends.map((p) => p.ip).sort();
    for (const svc of ['web', 'web-named', 'sticky', 'dns', 'web-np', 'web-lb', 'web-itp-local', 'headless']) expect(ips(svc), svc).toEqual(backendIPs);
    for (const svc of ['solo-lb', 'hairpin']) expect(ips(svc), svc).toEqual([solo.ip]);
    expect(ips('flow')).toEqual(podsNamed(pods, 'udp', NS).map((p) => p.ip).sort());
    expect(bySvc.get('empty')!.flatMap((sl) => sl.endpoints)).toEqual([]);
    // Ports: a numeric targetPort as is, a named one resolved against the pods' container ports.
    expect(bySvc.get('web')![0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(bySvc.get('web-named')![0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(bySvc.get('dns')![0].ports).toEqual([{ name: 'dns', port: 5353, protocol: 'UDP' }]);
    // Endpoints say where they run (what the Local traffic policies go by).
    const web = bySvc.get('web')!.flatMap((sl) => sl.endpoints);
    for (const e of web) expect(e.nodeName).toBe(backends.find((p) => p.ip === e.addresses[0])!.node);

    const table = (await lab.ok('get', ['endpointslices', '-n', NS])).trim().split('\n');
    expect(table[0].trim().split(/\s+/)).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    const row = table.slice(1).map((l) => l.trim().split(/\s+/)).find((c) => c[0].startsWith('web-named-'))!;
    expect(row.slice(1, 3)).toEqual(['IPv4', '8080']);
    expect(row[3].split(',').sort()).toEqual(backendIPs);
  }, T);

  it('ClusterIP from a pod: spread over all 3 backends (numeric and named targetPort), no SNAT', async () => {
    const [web, named] = await fromPod(client, [
      { kind: 'http', host: vip('web'), port: 80, count: 30 },
      { kind: 'http', host: vip('web-named'), port: 80, count: 30 },
    ]);
    for (const [what, hits] of [['web', web], ['web-named', named]] as const) {
      allOk(hits, what);
      const t = tally(hits);
      expect(new Set(t.keys()), `${what}: ${JSON.stringify([...t])}`).toEqual(new Set(backends.map((p) => p.name)));
      // pod → Service is not masqueraded: the backend sees the client pod's own address.
      expect(new Set(hits.map((h) => h.remoteAddress))).toEqual(new Set([client.ip]));
      for (const h of hits) expect(h.podIP).toBe(backends.find((p) => p.name === h.pod)!.ip);
    }
  }, T);

  it('sessionAffinity ClientIP (timeoutSeconds 600): every request from one client lands on one backend', async () => {
    const [hits] = await fromPod(client, [{ kind: 'http', host: vip('sticky'), port: 80, count: 10 }]);
    allOk(hits, 'sticky');
    expect(tally(hits).size, JSON.stringify([...tally(hits)])).toBe(1);
    expect(backends.map((p) => p.name)).toContain(hits[0].pod);
    // The affinity sets carry the Service's timeout.
    expect(inNode('node-1', ['nft', 'list', 'table', 'ip', 'podnet'])).toMatch(/set aff-[^\n]*svc\/sticky\/[^{]*\{[^}]*timeout 10m/);
  }, T);

  it('UDP ClusterIP: a datagram to VIP:53 is answered by a backend on 5353', async () => {
    const [[r]] = await fromPod(client, [{ kind: 'udp', host: vip('dns'), port: 53 }]);
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, remoteAddress: client.ip });
    expect(backends.map((p) => p.name)).toContain(r.pod);
  }, T);

  it('NodePort from the host: both nodes answer; externalTrafficPolicy Cluster masquerades to the node', async () => {
    const port = nodePort('web-np');
    const hits = new Map<string, Hit[]>();
    for (const n of nodes) {
      const h = await hostGets(n.ip, port, 20);
      allOk(h, `${n.ip}:${port}`);
      hits.set(n.name, h);
      // The source the backend sees is the node the host reached (its underlay address, or its
      // pod-bridge address for a backend on that node) — never the host's own address.
      for (const x of h) expect([n.ip, gatewayOf(n)], JSON.stringify(x)).toContain(x.remoteAddress);
    }
    const all = [...hits.values()].flat();
    expect(new Set(all.map((h) => h.pod))).toEqual(new Set(backends.map((p) => p.name)));
    expect(all.some((h) => nodes.some((n) => n.ip === h.remoteAddress)), 'some backend saw a node InternalIP').toBe(true);
  }, T);

  it('LoadBalancer from the host: EXTERNAL-IP answers; eTP Cluster masquerades, eTP Local keeps the host address', async () => {
    const viaCluster = await hostGets(lbIP('web-lb'), 8000, 12);
    allOk(viaCluster, `web-lb ${lbIP('web-lb')}:8000`);
    expect(viaCluster.every((h) => h.remoteAddress !== hostAddr)).toBe(true);
    expect(new Set(viaCluster.map((h) => h.pod)).size).toBeGreaterThan(1);

    const viaLocal = await hostGets(lbIP('solo-lb'), 80, 5);
    allOk(viaLocal, `solo-lb ${lbIP('solo-lb')}:80`);
    for (const h of viaLocal) expect(h).toMatchObject({ pod: 'solo', node: 'node-2', remoteAddress: hostAddr });
    // The Local Service's address is announced by the node with its endpoint (a /32 on the lab link).
    const route = execFileSync('ip', ['-j', 'route', 'get', lbIP('solo-lb')], { encoding: 'utf8' });
    expect(JSON.parse(route)[0]).toMatchObject({ gateway: node('node-2').ip, dev: `pn-${lab.name}` });
  }, T);

  it('eTP Local NodePort: the node with the endpoint answers (source kept); the node without it drops', async () => {
    const port = nodePort('solo-lb');
    const [with2, without1] = await Promise.all([hostGet(node('node-2').ip, port), hostGet(node('node-1').ip, port, 1500)]);
    expect(with2, JSON.stringify(with2)).toMatchObject({ ok: true, pod: 'solo', remoteAddress: hostAddr });
    // DROP, not reject: the client hears nothing and gives up after its own timeout.
    expect(without1, JSON.stringify(without1)).toMatchObject({ ok: false, error: 'timeout' });
    expect(without1.ms).toBeGreaterThanOrEqual(1400);
    // Pods are not "external": from a pod on node-1 the same NodePort reaches solo on node-2.
    const [[fromPodHit]] = await fromPod(client, [{ kind: 'http', host: node('node-1').ip, port }]);
    expect(fromPodHit, JSON.stringify(fromPodHit)).toMatchObject({ ok: true, pod: 'solo' });
  }, T);

  it('internalTrafficPolicy Local: a pod on node-1 only reaches backends on node-1', async () => {
    const local = backends.filter((p) => p.node === 'node-1');
    expect(local.length).toBeGreaterThan(0);
    const [hits] = await fromPod(client, [{ kind: 'http', host: vip('web-itp-local'), port: 80, count: 20 }]);
    allOk(hits, 'web-itp-local');
    expect(new Set(hits.map((h) => h.node))).toEqual(new Set(['node-1']));
    expect([...tally(hits).keys()].every((name) => local.some((p) => p.name === name))).toBe(true);
    expect(hits.every((h) => h.remoteAddress === client.ip)).toBe(true);
  }, T);

  it('hairpin: a backend reaching its own Service is answered by every endpoint, itself included', async () => {
    const b = backends[0];
    const [viaWeb] = await fromPod(b, [{ kind: 'http', host: vip('web'), port: 80, count: 30, timeoutMs: 2000 }]);
    allOk(viaWeb, `${b.name} → web`);
    expect(new Set(tally(viaWeb).keys()), JSON.stringify([...tally(viaWeb)])).toEqual(new Set(backends.map((p) => p.name)));
  }, T);

  it('hairpin: a pod reaching a Service whose only endpoint is itself is answered (masqueraded to its node)', async () => {
    // Masqueraded to the node's bridge address, so the reply goes back through the node and is
    // un-NATed there.
    const [self] = await fromPod(solo, [{ kind: 'http', host: vip('hairpin'), port: 80, count: 5, timeoutMs: 2000 }]);
    allOk(self, 'solo → hairpin');
    for (const h of self) expect(h).toMatchObject({ pod: 'solo', remoteAddress: gatewayOf(node('node-2')) });
  }, T);

  it('ClusterIP from a node namespace: answered, masqueraded to the node', async () => {
    const [hits] = await fromNode('node-2', [{ kind: 'http', host: vip('web'), port: 80, count: 15 }]);
    allOk(hits, 'node-2 → web');
    for (const h of hits) expect([node('node-2').ip, gatewayOf(node('node-2'))], JSON.stringify(h)).toContain(h.remoteAddress);
    expect(new Set(hits.map((h) => h.pod)).size).toBeGreaterThan(1);
  }, T);

  it('no endpoints: TCP to the VIP is refused at once, from a pod and from both node namespaces', async () => {
    const op: Op = { kind: 'tcp', host: vip('empty'), port: 80, timeoutMs: 3000 };
    const results = [
      ['pod client', (await fromPod(client, [op]))[0][0]],
      ['node-1', (await fromNode('node-1', [op]))[0][0]],
      ['node-2', (await fromNode('node-2', [op]))[0][0]],
    ] as const;
    for (const [where, r] of results) {
      expect(r, `${where}: ${JSON.stringify(r)}`).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
      expect(r.ms, where).toBeLessThan(1000);
    }
    expect(inNode('node-1', ['nft', 'list', 'map', 'ip', 'podnet', 'no-endpoint-services'])).toContain(`${vip('empty')} . tcp . 80 : goto reject-chain`);
  }, T);

  it('headless and ExternalName Services get no VIP and nothing in the service maps', () => {
    for (const n of nodes) {
      const map = serviceIpsMap(n.name);
      const table = inNode(n.name, ['nft', 'list', 'table', 'ip', 'podnet']);
      expect(map).toContain(`${vip('web')} . tcp . 80 :`);
      expect(table).not.toMatch(/svc\/headless\//);
      expect(table).not.toMatch(/svc\/ext\//);
      // Every element of service-ips is a ClusterIP or LoadBalancer IP of a proxied Service.
      const keys = [...map.matchAll(/(\d+\.\d+\.\d+\.\d+) \. (tcp|udp) \. (\d+) :/g)].map((m) => m[1]);
      const known = new Set([...svcs.values()].flatMap((s) => [s.spec.clusterIP, s.status.loadBalancer.ingress?.[0]?.ip]));
      expect(keys.every((ip) => known.has(ip) && ip !== 'None'), keys.join(' ')).toBe(true);
    }
  });

  it('incremental: apply adds a Service with a delta (existing elements, chains and affinity state untouched)', async () => {
    const before = new Map(nodes.map((n) => [n.name, { handle: tableHandle(n.name), web: webChain(n.name), sticky: stickyMembers(n.name) }]));
    // The affinity test left the client in one of sticky's affinity sets on node-1.
    expect(before.get('node-1')!.sticky).toContain(client.ip);
    await lab.ok('apply', ['-f', fx('added.yaml')]);
    await refresh();
    expect(inCidr(vip('added'), '10.96.0.0/12')).toBe(true);
    for (const n of nodes) {
      const b = before.get(n.name)!;
      expect(tableHandle(n.name), `${n.name}: the table was not re-created`).toBe(b.handle);
      expect(webChain(n.name), `${n.name}: web's elements and shared chain (rules, handles) are kept`).toBe(b.web);
      expect(stickyMembers(n.name)).toEqual(b.sticky);
      expect(serviceIpsMap(n.name)).toContain(`${vip('added')} . tcp . 80 :`);
      expect(serviceIpsMap(n.name)).toContain(`${vip('web')} . tcp . 80 :`);
    }
    const [added, web] = await fromPod(client, [
      { kind: 'http', host: vip('added'), port: 80, count: 15 },
      { kind: 'http', host: vip('web'), port: 80, count: 15 },
    ]);
    allOk(added, 'added');
    allOk(web, 'web after apply');
    expect(new Set(added.map((h) => h.pod)).size).toBeGreaterThan(1);

    /** web's elements (dispatch and endpoints) and the shared chain it is dispatched to, with
     *  rule handles. */
    function webChain(name: string): string {
      const table = inNode(name, ['nft', '-a', 'list', 'table', 'ip', 'podnet']);
      const key = `${vip('web').replace(/\./g, '\\.')} \\. tcp \\. 80 : `;
      const values = [...table.matchAll(new RegExp(`${key}([^,}\\n]+)`, 'g'))].map((m) => m[1].trim());
      const chain = values.find((v) => v.startsWith('goto '))!.slice(5);
      return [...values, new RegExp(`chain ${chain} \\{[^}]*\\}`).exec(table)![0]].join('\n');
    }
    function stickyMembers(name: string): string[] {
      const table = inNode(name, ['nft', 'list', 'table', 'ip', 'podnet']);
      return [...table.matchAll(/set aff-[^ ]*svc\/sticky\/[^{]*\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/elements = \{([^}]*)/g)].flatMap((e) => [...e[1].matchAll(/\d+\.\d+\.\d+\.\d+/g)].map((x) => x[0]))).sort();
    }
  }, T);

  it('incremental: delete removes the VIP (no DNAT any more: refused)', async () => {
    const old = vip('added');
    await lab.ok('delete', ['-f', fx('added.yaml')]);
    for (const n of nodes) expect(serviceIpsMap(n.name)).not.toContain(`${old} . tcp . 80 :`);
    const [[r]] = await fromPod(client, [{ kind: 'http', host: old, port: 80, timeoutMs: 2000 }]);
    expect(r.ok, JSON.stringify(r)).toBe(false);
    expect(['ECONNREFUSED', 'EHOSTUNREACH', 'timeout']).toContain(r.error);
    const list = JSON.parse(await lab.ok('get', ['svc', '-n', NS, '-o', 'json'])) as { items: SvcItem[] };
    expect(list.items.map((s) => s.metadata.name)).not.toContain('added');
  }, T);

  it('incremental: scaling the backend up adds the new pod to the spread; down to 1 moves UDP flows to it', async () => {
    await lab.ok('apply', ['-f', fx('scale-4.yaml')]);
    await refresh();
    expect(backends).toHaveLength(4);
    const [hits] = await fromPod(client, [{ kind: 'http', host: vip('web'), port: 80, count: 48 }]);
    allOk(hits, 'web with 4 backends');
    expect(new Set(tally(hits).keys()), JSON.stringify([...tally(hits)])).toEqual(new Set(backends.map((p) => p.name)));

    // A UDP flow from a fixed source port, then the Deployment scaled down to 1 replica.
    const flow: Op = { kind: 'udp', host: vip('dns'), port: 53, localPort: 40054, timeoutMs: 3000 };
    const [[first]] = await fromPod(client, [flow]);
    expect(first.ok, JSON.stringify(first)).toBe(true);
    await lab.ok('apply', ['-f', fx('scale-1.yaml')]);
    await refresh();
    expect(backends).toHaveLength(1);
    const [[after]] = await fromPod(client, [{ ...flow, timeoutMs: 1000 }]);
    expect(after, JSON.stringify({ first, after })).toMatchObject({ ok: true, pod: backends[0].name });
  }, T);
  it('UDP: after `delete` of the pod a flow was bound to, the same flow moves to the other pod within 1 s', async () => {
    const flow: Op = { kind: 'udp', host: vip('flow'), port: 53, localPort: 40053, timeoutMs: 3000 };
    const [[first]] = await fromPod(client, [flow]);
    expect(first, JSON.stringify(first)).toMatchObject({ ok: true });
    const gone = first.pod!;
    const stays = gone === 'udp-a' ? 'udp-b' : 'udp-a';
    expect(['udp-a', 'udp-b']).toContain(gone);
    // The binding is in conntrack on the client's node (it would outlive the pod for 30 s+).
    const goneIP = podsNamed(pods, gone, NS)[0].ip;
    expect(inNode('node-1', ['conntrack', '-L', '-p', 'udp', '--orig-dst', vip('flow'), '--sport', '40053'])).toContain(`src=${goneIP}`);

    await lab.ok('delete', ['-f', fx(`${gone}.yaml`)]);
    const [[after]] = await fromPod(client, [{ ...flow, timeoutMs: 1000 }]);
    expect(after, JSON.stringify(after)).toMatchObject({ ok: true, pod: stays, remoteAddress: client.ip });
    expect(inNode('node-1', ['conntrack', '-L', '-p', 'udp', '--orig-dst', vip('flow'), '--sport', '40053'])).not.toContain(`src=${goneIP}`);
  }, T);
});
