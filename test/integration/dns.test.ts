// Cluster DNS in a lab (`podnet up --dns`): kube-system/coredns behind kube-dns, resolv.conf per
// pod (hostNetwork pods too), queried from inside pods through the system resolver and a DNS
// client; names outside the zone forwarded through the lab's forwarder to a fake upstream on
// 127.0.0.1 (never to the host's resolvers: TestLab passes --dns-upstream none by default).
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARD_TIMEOUT_MS } from '../../src/dns/forwarder.js';
import type { LabState } from '../../src/lab/state.js';
import { hasStackTrace } from '../helpers/cli.js';
import { fakeUpstream } from '../unit/dns-client.js';
import { CAN_RUN_LAB, netnsWithPrefix, processesWithEnv, REPO, sleep, TestLab, until } from './helpers.js';

const fx = (name: string) => `${REPO}/test/fixtures/dns/${name}`;
const KUBE_DNS = '10.96.0.10';

/**
 * A DNS client run inside a pod: one query (SERVER NAME TYPE udp|tcp) with dns-packet, printing
 * the rcode, the answers, the authority types and how long it took.
 */
/** By absolute path: a pod's processes start in its container's working directory (/), as kubectl exec does. */
const DNS_PACKET = createRequire(import.meta.url).resolve('dns-packet');
const DIG = `
const dgram = require('dgram'), net = require('net'), pkt = require(${JSON.stringify(DNS_PACKET)});
const [server, name, type, transport] = process.argv.slice(1);
const q = pkt.encode({ type: 'query', id: 4242, flags: pkt.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
const t0 = Date.now();
const done = (buf) => {
  const r = buf && pkt.decode(buf);
  console.log(JSON.stringify(r ? { rcode: r.rcode, ms: Date.now() - t0, answers: r.answers.map((a) => [a.type, a.name, a.data]), authorities: r.authorities.map((a) => a.type) } : { rcode: 'TIMEOUT', ms: Date.now() - t0 }));
  process.exit(0);
};
setTimeout(() => done(null), 10000);
if (transport === 'tcp') {
  let b = Buffer.alloc(0);
  const c = net.connect(53, server, () => c.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q])));
  c.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) done(b.subarray(2, 2 + b.readUInt16BE(0))); });
  c.on('error', () => done(null));
} else {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => done(m));
  s.send(q, 53, server);
}`;

interface Dig {
  rcode: string;
  ms: number;
  answers?: [string, string, unknown][];
  authorities?: string[];
}

async function dig(lab: TestLab, pod: string, name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): Promise<Dig> {
  const r = await lab.exec(pod, [process.execPath, '-e', DIG, KUBE_DNS, name, type, transport]);
  if (r.code !== 0) throw new Error(`dig from ${pod}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Dig;
}

function labState(lab: TestLab): LabState {
  return JSON.parse(readFileSync(`${lab.stateDir}/lab.json`, 'utf8')) as LabState;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe.skipIf(!CAN_RUN_LAB)('cluster DNS in a lab (root, real packets)', () => {
  const lab = new TestLab('dn');
  const inPod = async (pod: string, argv: string[]) => lab.exec(pod, argv);
  const node = (pod: string, script: string) => inPod(pod, [process.execPath, '-e', script]);

  let summary = '';
  const hostResolvConf = readFileSync('/etc/resolv.conf', 'utf8');

  beforeAll(async () => {
    // --dns: the default, explicit because TestLab adds --no-dns otherwise (and --dns-upstream none).
    summary = await lab.up(['--dns', '-f', fx('base.yaml'), '-f', fx('hostnet.yaml')]);
  });
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
    expect(readdirSync('/etc/netns').filter((d) => d.startsWith(`pn-${lab.name}_`))).toEqual([]);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolvConf);
  });

  it('runs kube-system/coredns behind kube-dns at the 10th service address', async () => {
    const pods = await lab.pods();
    expect(pods.filter((p) => p.namespace === 'kube-system' && p.name.startsWith('coredns-'))).toHaveLength(2);
    const svc = JSON.parse(await lab.ok('get', ['svc', '-n', 'kube-system', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    expect(svc.items.find((i) => i.metadata.name === 'kube-dns')?.spec.clusterIP).toBe('10.96.0.10');
  });

  it('gives pods a resolv.conf per dnsPolicy (ClusterFirst, None with dnsConfig)', async () => {
    expect((await inPod('shop/client', ['cat', '/etc/resolv.conf'])).stdout).toBe('nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
    expect((await inPod('shop/custom', ['cat', '/etc/resolv.conf'])).stdout).toBe('nameserver 10.96.0.10\nsearch svc.cluster.local\noptions ndots:1\n');
  });

  it('resolves Services through the system resolver, with search domains, and reaches them by name', async () => {
    const svc = JSON.parse(await lab.ok('get', ['svc', '-n', 'shop', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] };
    const vip = svc.items.find((i) => i.metadata.name === 'web')!.spec.clusterIP;
    for (const name of ['web', 'web.shop', 'web.shop.svc.cluster.local', 'WEB.Shop.svc.cluster.local']) {
      const r = await inPod('shop/client', ['getent', 'hosts', name]);
      expect(r.stdout.split(/\s+/)[0]).toBe(vip);
    }
    const r = await node('shop/client', "fetch('http://web/').then((x) => x.json()).then((j) => console.log(j.namespace))");
    expect(r.stdout.trim()).toBe('shop');
    expect((await inPod('shop/client', ['getent', 'hosts', 'nothere.shop.svc.cluster.local'])).code).toBe(2);
  });

  it('answers headless A records, StatefulSet hostnames, SRV, PTR, CNAME, pod records and the schema TXT', async () => {
    const script = `
      const dns = require('dns').promises; const r = new dns.Resolver(); r.setServers(['10.96.0.10']);
      const out = {};
      const run = async (k, f) => { try { out[k] = await f(); } catch (e) { out[k] = e.code; } };
      (async () => {
        await run('headless', () => r.resolve4('db.shop.svc.cluster.local'));
        await run('host', () => r.resolve4('db-0.db.shop.svc.cluster.local'));
        await run('srv', () => r.resolveSrv('_http._tcp.web.shop.svc.cluster.local'));
        await run('cname', () => r.resolveCname('ext.shop.svc.cluster.local'));
        await run('txt', () => r.resolveTxt('dns-version.cluster.local'));
        await run('nx', () => r.resolve4('nothere.shop.svc.cluster.local'));
        const web = await r.resolve4('web.shop.svc.cluster.local');
        await run('ptr', () => r.reverse(web[0]));
        await run('pod', () => r.resolve4(process.argv[1].replaceAll('.', '-') + '.shop.pod.cluster.local'));
        console.log(JSON.stringify(out));
      })();`;
    const pods = await lab.pods();
    const clientIP = pods.find((p) => p.name === 'client')!.ip;
    const out = JSON.parse((await inPod('shop/client', [process.execPath, '-e', script, clientIP])).stdout) as Record<string, unknown>;
    const dbIPs = pods.filter((p) => p.name.startsWith('db-')).map((p) => p.ip).sort();
    expect((out.headless as string[]).sort()).toEqual(dbIPs);
    expect(out.host).toEqual([pods.find((p) => p.name === 'db-0')!.ip]);
    expect(out.srv).toEqual([{ name: 'web.shop.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    expect(out.cname).toEqual(['db.example.com']);
    expect(out.txt).toEqual([['1.1.0']]);
    expect(out.nx).toBe('ENOTFOUND');
    expect(out.ptr).toEqual(['web.shop.svc.cluster.local']);
    expect(out.pod).toEqual([clientIP]); // a-b-c-d.<ns>.pod.cluster.local
  });

  it('follows apply: a new Service resolves right after apply returns (the server watches the state file every 200 ms)', async () => {
    await lab.ok('apply', ['-f', fx('late.yaml')]);
    const started = Date.now();
    await until('late resolvable', async () => (await inPod('shop/client', ['getent', 'hosts', 'late.shop.svc.cluster.local'])).code === 0, 5_000);
    expect(Date.now() - started).toBeLessThan(2_500); // generous: each try is a `podnet exec` (~0.3 s)
  });

  it('AAAA (the lab is IPv4-only): NODATA with the SOA for names that exist, NXDOMAIN for names that do not', async () => {
    for (const name of ['web.shop.svc.cluster.local', 'db-0.db.shop.svc.cluster.local', 'db.shop.svc.cluster.local']) {
      const r = await dig(lab, 'shop/client', name, 'AAAA');
      expect([name, r.rcode, r.answers, r.authorities]).toEqual([name, 'NOERROR', [], ['SOA']]);
    }
    const nx = await dig(lab, 'shop/client', 'nothere.shop.svc.cluster.local', 'AAAA', 'tcp');
    expect([nx.rcode, nx.answers, nx.authorities]).toEqual(['NXDOMAIN', [], ['SOA']]);
    // The system resolver asks for both families and keeps the A answer.
    const r = await inPod('shop/client', ['getent', 'ahosts', 'web.shop.svc.cluster.local']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/:/); // no IPv6 address
  });

  it('--dns-upstream none: names outside the zone get SERVFAIL at once, no forwarder runs', async () => {
    expect(summary).toContain('cluster DNS: other names go to nowhere: they get SERVFAIL');
    expect(labState(lab).dnsForwarder).toEqual({ upstreams: [] });
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await dig(lab, 'shop/client', 'www.example.test', 'A', transport);
      expect(r.rcode).toBe('SERVFAIL');
      expect(r.ms).toBeLessThan(500);
    }
    const t0 = Date.now();
    expect((await inPod('shop/client', ['getent', 'hosts', 'www.example.test'])).code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000); // a `podnet exec` included; the resolver's own timeout is 5 s
  });

  it('hostNetwork + ClusterFirstWithHostNet: the cluster resolver in its containers and through podnet exec; Default keeps the node\'s', async () => {
    const [cluster, dflt] = await Promise.all([lab.podNetns('shop/hn-cluster'), lab.podNetns('shop/hn-default')]);
    expect([cluster, dflt]).toEqual([lab.nodeNetns('node-1'), lab.nodeNetns('node-1')]); // both in the node's namespace
    const clusterConf = `nameserver ${KUBE_DNS}\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`;
    const vip = (JSON.parse(await lab.ok('get', ['svc', '-n', 'shop', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { clusterIP: string } }[] }).items.find((i) => i.metadata.name === 'web')!.spec.clusterIP;
    // The container: its resolv.conf, then getent until cluster DNS answered.
    const log = await until('hn-cluster resolved web', async () => {
      const out = await lab.ok('logs', ['shop/hn-cluster']);
      return out.includes('resolved') && out;
    }, 20_000);
    expect(log.startsWith(clusterConf)).toBe(true);
    expect(log).toMatch(new RegExp(`^${vip.replace(/\./g, '\\.')}\\s+web\\.shop\\.svc\\.cluster\\.local$`, 'm'));
    // podnet exec sees what the containers see.
    expect((await inPod('shop/hn-cluster', ['cat', '/etc/resolv.conf'])).stdout).toBe(clusterConf);
    for (const name of ['web', 'web.shop.svc.cluster.local']) expect((await inPod('shop/hn-cluster', ['getent', 'hosts', name])).stdout.split(/\s+/)[0]).toBe(vip);
    // Default: the node's resolver, which is the host's file (not queried: tests never reach the host's resolvers).
    expect((await lab.ok('logs', ['shop/hn-default'])).startsWith(hostResolvConf)).toBe(true);
    expect((await inPod('shop/hn-default', ['cat', '/etc/resolv.conf'])).stdout).toBe(hostResolvConf);
    expect(hostResolvConf).not.toContain(KUBE_DNS);
    // Nothing leaked: the host, and the node's namespace itself, keep their resolv.conf.
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolvConf);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(lab.stateDir);
  });

  it('bad --dns-upstream values: exit 2 naming the flag, nothing created', async () => {
    const bad = new TestLab('dx');
    try {
      for (const [flags, message] of [
        [['--dns', '--dns-upstream', 'nameserver.example'], '--dns-upstream: "nameserver.example" is not an IP address'],
        [['--dns', '--dns-upstream', '127.0.0.1:0'], '--dns-upstream: "127.0.0.1:0": the port must be 1-65535'],
        [['--dns-upstream', 'none'], '--dns-upstream: cluster DNS is off (--no-dns)'], // TestLab adds --no-dns
      ] as const) {
        const r = await bad.cli('up', [...flags, '-f', fx('late.yaml')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(message);
        expect(hasStackTrace(r.stderr)).toBe(false);
      }
      expect(netnsWithPrefix(bad.netnsPrefix)).toEqual([]);
    } finally {
      expect(await bad.cleanup()).toEqual([]);
    }
  });
});

describe.skipIf(!CAN_RUN_LAB)('cluster DNS forwarding: --dns-upstream to a fake upstream on 127.0.0.1 (root, real packets)', () => {
  const lab = new TestLab('df');
  let fake: Awaited<ReturnType<typeof fakeUpstream>>;
  let summary = '';
  const forwarders = new Set<number>();
  const forwarderPid = (): number => {
    const pid = labState(lab).dnsForwarder?.pid;
    if (pid === undefined) throw new Error('no forwarder recorded');
    forwarders.add(pid);
    return pid;
  };

  beforeAll(async () => {
    // Answers every A question with 192.0.2.53; never answers names under silent.example.test.
    fake = await fakeUpstream('192.0.2.53', (name) => name.toLowerCase().endsWith('silent.example.test'));
    summary = await lab.up(['--dns', '--dns-upstream', `127.0.0.1:${fake.port}`, '--nodes', '1', '-f', fx('forward.yaml')]);
  });
  afterAll(async () => {
    try {
      expect(await lab.cleanup()).toEqual([]);
      expect([...forwarders].filter(alive)).toEqual([]);
    } finally {
      await fake?.close();
    }
  });

  it('starts a forwarder in the root namespace, recorded in state and marked as the lab\'s', async () => {
    expect(summary).toContain(`cluster DNS: other names go to 127.0.0.1:${fake.port}`);
    expect(labState(lab).dnsForwarder?.upstreams).toEqual([{ address: '127.0.0.1', port: fake.port }]);
    const pid = forwarderPid();
    expect(alive(pid)).toBe(true);
    expect(readlinkSync(`/proc/${pid}/ns/net`)).toBe(readlinkSync('/proc/self/ns/net'));
    expect(processesWithEnv(`PODNET_STATE_DIR=${lab.stateDir}`)).toContain(pid); // what `down` finds after a crash
    expect(readdirSync(`${lab.stateDir}/pids`)).toContain(String(pid));
  });

  it('the system resolver and a DNS client (UDP, TCP) in a pod resolve an out-of-zone name to the upstream\'s answer', async () => {
    const before = fake.names.length;
    const r = await lab.exec('default/client', ['getent', 'hosts', 'www.example.test']);
    expect(r.stdout.split(/\s+/)[0]).toBe('192.0.2.53');
    for (const transport of ['udp', 'tcp'] as const) {
      const d = await dig(lab, 'default/client', `${transport}.example.test`, 'A', transport);
      expect([d.rcode, d.answers]).toEqual(['NOERROR', [['A', `${transport}.example.test`, '192.0.2.53']]]);
    }
    const asked = fake.names.slice(before);
    expect(asked).toContain('www.example.test');
    expect(asked.filter((n) => /cluster\.local$/i.test(n))).toEqual([]); // the search domains are answered in the cluster
    expect(fake.transports.slice(before)).toContain('tcp');
    // An ExternalName's target outside the zone is resolved upstream and appended to the CNAME.
    const ext = await dig(lab, 'default/client', 'ext.default.svc.cluster.local');
    expect(ext.answers).toEqual([['CNAME', 'ext.default.svc.cluster.local', 'db.example.test'], ['A', 'db.example.test', '192.0.2.53']]);
  });

  it('an upstream that never answers: SERVFAIL after the timeout', async () => {
    const r = await dig(lab, 'default/client', 'www.silent.example.test');
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.ms).toBeGreaterThanOrEqual(FORWARD_TIMEOUT_MS - 100);
    expect(r.ms).toBeLessThan(FORWARD_TIMEOUT_MS + 1_500);
    expect(fake.names).toContain('www.silent.example.test');
  });

  it('a forwarder that died: SERVFAIL at once, and the next apply starts a new one', async () => {
    const old = forwarderPid();
    process.kill(old, 'SIGKILL');
    await until('the forwarder is gone', () => !alive(old), 5_000);
    const down = await dig(lab, 'default/client', 'again.example.test');
    expect([down.rcode, down.ms < 1_000]).toEqual(['SERVFAIL', true]);
    await lab.ok('apply', ['-f', fx('forward.yaml')]);
    const pid = forwarderPid();
    expect(pid).not.toBe(old);
    expect(alive(pid)).toBe(true);
    const back = await dig(lab, 'default/client', 'again.example.test');
    expect(back.answers).toEqual([['A', 'again.example.test', '192.0.2.53']]);
  });

  it('down ends the forwarder and removes its sockets with the state directory', async () => {
    const pid = forwarderPid();
    const r = await lab.cli('down');
    expect(r.code).toBe(0);
    await sleep(50);
    expect(alive(pid)).toBe(false);
    expect(existsSync(lab.stateDir)).toBe(false);
    expect(processesWithEnv(`PODNET_STATE_DIR=${lab.stateDir}`)).toEqual([]);
  });
});
