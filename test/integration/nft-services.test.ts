// Services on nftables with real packets (root only): a "node" namespace with a bridge and two
// "pod" namespaces behind it, a "client" namespace outside the pod network, podnet's rendered
// ruleset loaded into the node with `nft -f -`, small node servers in the pods.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceEntry, ServiceTable } from '../../src/model/service-table.js';
import { traceServices, type TracePacket } from '../../src/proxy/trace.js';
import { renderServicesDelta } from '../../src/proxy/nft/delta.js';
import { renderServices, renderServicesFull } from '../../src/proxy/nft/full.js';
import { changedTable, NODE as REP_NODE, representativeTable } from '../unit/nft-fixture.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasNft = spawnSync('nft', ['--version']).status === 0;

const id = randomBytes(3).toString('hex');
const NS = { node: `pns-${id}-node`, a: `pns-${id}-a`, b: `pns-${id}-b`, client: `pns-${id}-cl` };
const NODE = { name: 'node-1', ip: '10.252.0.1' };
const OPTS = { tableName: 'podnet', podCidr: '10.252.1.0/24' };
const POD_IP = { a: '10.252.1.10', b: '10.252.1.11' };
const VIP = { web: '10.252.128.10', empty: '10.252.128.11', sticky: '10.252.128.12', added: '10.252.128.13' };

function sh(argv: string[], input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const inNs = (ns: string, argv: string[], input?: string) => sh(['ip', 'netns', 'exec', ns, ...argv], input);

function service(key: string, clusterIP: string, pods: ('a' | 'b')[], extra: Partial<ServiceEntry> = {}): ServiceEntry {
  const endpoints = pods.map((p) => ({ ip: POD_IP[p], port: 8080, node: 'node-1', ready: true, serving: true, terminating: false }));
  return { key, type: 'ClusterIP', clusterIP, ports: [{ name: 'http', protocol: 'TCP', port: 80, endpoints }], sessionAffinity: 'None', affinityTimeoutSeconds: 10800, externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ...extra };
}

const web = service('t/web', VIP.web, ['a', 'b'], { type: 'NodePort' });
web.ports[0].nodePort = 30080;
const TABLE: ServiceTable = {
  services: [
    web,
    service('t/empty', VIP.empty, []),
    service('t/sticky', VIP.sticky, ['a', 'b'], { sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 300 }),
  ],
};
const NEXT: ServiceTable = { services: [...TABLE.services, service('t/added', VIP.added, ['b'])] };

// A TCP server: says its pod's name, then echoes lines.
const SERVER = `const n=process.argv[1];require('net').createServer(s=>{s.write(n+'\\n');s.on('data',d=>s.write(d));s.on('error',()=>{})}).listen(8080,()=>console.log('ready'))`;
// Connects to each target in turn; prints [{name}|{error, ms}] as JSON.
const CLIENT = `const net=require('net');const ts=JSON.parse(process.argv[1]);(async()=>{const out=[];for(const [h,p] of ts){const t0=Date.now();out.push(await new Promise(r=>{const s=net.connect({host:h,port:p});let b='';s.setTimeout(3000,()=>{s.destroy();r({error:'timeout',ms:Date.now()-t0})});s.on('data',d=>{b+=d;if(b.includes('\\n')){s.destroy();r({name:b.trim()})}});s.on('error',e=>r({error:e.code,ms:Date.now()-t0}))}))}console.log(JSON.stringify(out))})()`;

const children: ChildProcess[] = [];
function start(ns: string, code: string, ...args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}
function line(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) (child.stdout!.off('data', onData), resolve(buf.split('\n')[0]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (c) => reject(new Error(`exited ${c}`)));
  });
}
function connect(targets: [string, number][]): { name?: string; error?: string; ms?: number }[] {
  return JSON.parse(inNs(NS.client, [process.execPath, '-e', CLIENT, JSON.stringify(targets)])) as { name?: string; error?: string; ms?: number }[];
}
const times = (n: number, t: [string, number]) => Array.from({ length: n }, () => t);
const fromClient = (dst: string, dport: number): TracePacket => ({ src: '10.252.0.2', dst, dport, protocol: 'TCP', from: 'external' });

describe.skipIf(!isRoot || !hasNft)('Services on nftables, with real packets', () => {
  beforeAll(async () => {
    for (const ns of Object.values(NS)) sh(['ip', 'netns', 'add', ns]);
    const lines = [
      `link set lo up`,
      `link add cni0 type bridge`,
      `addr add 10.252.1.1/24 dev cni0`,
      `link set cni0 up`,
      `link add eth0 type veth peer name eth0 netns ${NS.client}`,
      `addr add ${NODE.ip}/24 dev eth0`,
      `link set eth0 up`,
      // As in a lab node: the service range is local, so a packet to a Service address that nothing
      // DNAT'd is delivered through the input hook, where a Service without endpoints rejects it.
      `route add local 10.252.128.0/20 dev lo`,
    ];
    for (const p of ['a', 'b'] as const) lines.push(`link add pv${p} type veth peer name eth0 netns ${NS[p]}`, `link set pv${p} master cni0 up`);
    sh(['ip', '-n', NS.node, '-batch', '-'], `${lines.join('\n')}\n`);
    inNs(NS.node, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    for (const p of ['a', 'b'] as const) {
      sh(['ip', '-n', NS[p], '-batch', '-'], `link set lo up\naddr add ${POD_IP[p]}/24 dev eth0\nlink set eth0 up\nroute add default via 10.252.1.1\n`);
    }
    sh(['ip', '-n', NS.client, '-batch', '-'], `link set lo up\naddr add 10.252.0.2/24 dev eth0\nlink set eth0 up\nroute add 10.252.1.0/24 via ${NODE.ip}\nroute add 10.252.128.0/20 via ${NODE.ip}\n`);
    const servers = (['a', 'b'] as const).map((p) => start(NS[p], SERVER, p));
    expect(await Promise.all(servers.map(line))).toEqual(['ready', 'ready']);
  });

  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('nft --check accepts the full script; loading it works', () => {
    const script = renderServices(TABLE, NODE, OPTS).toString();
    inNs(NS.node, ['nft', '-c', '-f', '-'], script);
    inNs(NS.node, ['nft', '-f', '-'], script);
    expect(inNs(NS.node, ['nft', 'list', 'map', 'ip', 'podnet', 'service-ips'])).toContain(`${VIP.web} . tcp . 80`);
  });

  it('a ClusterIP spreads connections over both backends', () => {
    const names = connect(times(40, [VIP.web, 80])).map((r) => r.name);
    expect(new Set(names)).toEqual(new Set(['a', 'b']));
    // The tracer predicted it from the same ruleset.
    expect(traceServices(TABLE, NODE, OPTS, fromClient(VIP.web, 80)).text).toBe(`DNAT ${POD_IP.a}:8080 | ${POD_IP.b}:8080 (one of 2), masquerade`);
  });

  it('a NodePort on the node address reaches the backends', () => {
    expect(new Set(connect(times(20, [NODE.ip, 30080])).map((r) => r.name))).toEqual(new Set(['a', 'b']));
  });

  it('a Service without endpoints refuses at once (TCP reset, not a timeout)', () => {
    const [r] = connect([[VIP.empty, 80]]);
    expect(r.error).toBe('ECONNREFUSED');
    expect(r.ms).toBeLessThan(1000);
    expect(traceServices(TABLE, NODE, OPTS, fromClient(VIP.empty, 80)).text).toBe('REJECT (no endpoints)');
  });

  it('ClientIP affinity sticks to one backend', () => {
    const names = connect(times(20, [VIP.sticky, 80])).map((r) => r.name);
    expect(names[0]).toMatch(/^[ab]$/);
    expect(new Set(names)).toEqual(new Set([names[0]]));
  });

  it('a delta adds a Service without disturbing an existing connection', async () => {
    const held = start(NS.client, `const s=require('net').connect(80,'${VIP.web}');s.on('data',d=>process.stdout.write(d));process.stdin.on('data',d=>s.write(d))`);
    const first = await line(held);
    expect(first).toMatch(/^[ab]$/);
    const tx = renderServicesDelta(TABLE, NEXT, NODE, OPTS);
    expect(tx.size).toBeLessThan(12);
    const delta = tx.toString();
    inNs(NS.node, ['nft', '-c', '-f', '-'], delta);
    inNs(NS.node, ['nft', '-f', '-'], delta);
    held.stdin!.write('still here\n');
    expect(await line(held)).toBe('still here');
    expect(connect(times(5, [VIP.added, 80])).map((r) => r.name)).toEqual(['b', 'b', 'b', 'b', 'b']);
    expect(new Set(connect(times(30, [VIP.web, 80])).map((r) => r.name))).toEqual(new Set(['a', 'b']));
    held.kill('SIGKILL');
  });

  it('nft takes the partial syncs between tables of every kind (shared maps and chains come and go)', () => {
    const opts = { tableName: `pns-${id}-rep`, podCidr: '10.244.0.0/16' };
    const tables: ServiceTable[] = [representativeTable(), changedTable(), representativeTable(), { services: [] }, changedTable()];
    inNs(NS.node, ['nft', '-f', '-'], renderServices(tables[0], REP_NODE, opts).toString());
    try {
      for (let i = 1; i < tables.length; i++) {
        const delta = renderServicesDelta(tables[i - 1], tables[i], REP_NODE, opts).toString();
        inNs(NS.node, ['nft', '-f', '-'], delta); // throws if nft refuses it
      }
      // The result is what a full sync of the last table loads: the same chains and maps, and
      // the same elements in each map.
      const objects = () => {
        const text = inNs(NS.node, ['nft', 'list', 'table', 'ip', opts.tableName]);
        return [...text.matchAll(/^\t(chain|map|set) (\S+) \{/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
      };
      const elements = (map: string) => {
        const text = inNs(NS.node, ['nft', 'list', 'map', 'ip', opts.tableName, map]).replace(/\s+/g, ' ');
        return (/elements = \{([^}]*)\}/.exec(text)?.[1] ?? '').split(',').map((e) => e.trim()).sort();
      };
      const afterDeltas = objects();
      const maps = afterDeltas.filter((o) => o.startsWith('map ')).map((o) => o.slice(4));
      const elementsAfterDeltas = maps.map(elements);
      inNs(NS.node, ['nft', '-f', '-'], renderServicesFull(tables[tables.length - 1], REP_NODE, opts).toString());
      expect(objects()).toEqual(afterDeltas);
      expect(afterDeltas).toContain('chain pick-2');
      expect(maps.map(elements)).toEqual(elementsAfterDeltas);
    } finally {
      spawnSync('ip', ['netns', 'exec', NS.node, 'nft', 'delete', 'table', 'ip', opts.tableName]);
    }
  });

  it('a full sync replaces the loaded table in one transaction (the path after a refused delta)', () => {
    const before = inNs(NS.node, ['nft', 'list', 'chains', 'ip']);
    expect(before).toMatch(/chain pick-1 /); // added by the delta above, from a second nft run
    inNs(NS.node, ['nft', '-f', '-'], renderServicesFull(TABLE, NODE, OPTS).toString());
    expect(inNs(NS.node, ['nft', 'list', 'chains', 'ip'])).not.toMatch(/chain pick-1 /);
    expect(new Set(connect(times(30, [VIP.web, 80])).map((r) => r.name))).toEqual(new Set(['a', 'b']));
    // added is gone: nothing DNATs its address any more, the node itself refuses.
    expect(connect([[VIP.added, 80]])[0].error).toBe('ECONNREFUSED');
  });
});
