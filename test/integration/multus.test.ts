/**
 * Secondary networks with the real reference CNI plugins (containernetworking-plugins in
 * /usr/lib/cni): a macvlan attachment with static addresses across two nodes, a bridge with
 * host-local on one node, the network-status annotation, leases given back on delete and found
 * again on re-create, a failed ADD taken back, bad input refused, and `down` DELs every recorded
 * attachment (proved by wrapping the plugins in a logging script). Root only.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, netnsWithPrefix, REPO, sleep, spawnCollect, TestLab, until, type ProbeResult } from './helpers.js';

const T = 120_000;
const PLUGINS = '/usr/lib/cni';
const HAVE_PLUGINS = ['macvlan', 'bridge', 'host-local', 'static'].every((p) => existsSync(join(PLUGINS, p)));
const EXAMPLE = join(REPO, 'examples', 'multus');

interface Status { name: string; interface: string; ips?: string[]; mac?: string; default?: boolean; dns: object }

const nad = (name: string, config: object) => `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: ${name}}\nspec:\n  config: '${JSON.stringify(config)}'\n`;
const pod = (name: string, node: string, networks?: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${networks ? `  annotations: {k8s.v1.cni.cncf.io/networks: '${networks}'}\n` : ''}spec:\n  nodeName: ${node}\n  containers: [{name: web, ports: [{containerPort: 8080}]}]\n`;

/** One address only (rangeStart = rangeEnd): a re-created pod gets it back only if DEL released it. */
const SOLO = nad('bridge-one', { cniVersion: '1.0.0', name: 'bridge-one', type: 'bridge', bridge: 'br-one', ipam: { type: 'host-local', ranges: [[{ subnet: '10.79.0.0/24', rangeStart: '10.79.0.5', rangeEnd: '10.79.0.5' }]] } });

function expectOk(r: ProbeResult): Record<string, unknown> {
  expect(r, `${r.proto} ${r.host}:${r.port}: ${r.error ?? ''}`).toMatchObject({ ok: true });
  return r.body ?? {};
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_PLUGINS)('secondary networks with the reference CNI plugins (root)', () => {
  const lab = new TestLab('mu');
  let dir: string;
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const statuses = async (): Promise<Map<string, Status[]>> => {
    const list = JSON.parse(await lab.ok('get', ['pods', '-o', 'json'])) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] };
    return new Map(list.items.map((p) => [p.metadata.name, JSON.parse(p.metadata.annotations?.['k8s.v1.cni.cncf.io/network-status'] ?? '[]') as Status[]]));
  };
  const addressOf = async (name: string, ifname: string) => (await statuses()).get(name)!.find((s) => s.interface === ifname)!.ips![0];
  const leases = (network: string, node = 'node-1') => {
    const d = join(lab.stateDir, 'cni', 'host-local', node, network);
    return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort() : [];
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-mu-'));
    await lab.up(['--nodes', '2', '-f', EXAMPLE, '-f', file('solo.yaml', `${SOLO}---\n${pod('solo', 'node-1', 'bridge-one')}`)]);
  }, T);

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }, T);

  it('macvlan with static addresses spans nodes: TCP both ways, the server sees the net1 address', async () => {
    const pods = await lab.pods();
    const node = (n: string) => pods.find((p) => p.name === n)!.node;
    expect([node('client'), node('server')]).toEqual(['node-1', 'node-2']);
    const [clientNet1, serverNet1] = [await addressOf('client', 'net1'), await addressOf('server', 'net1')];
    expect([clientNet1, serverNet1]).toEqual(['10.10.0.11', '10.10.0.12']);
    const [there] = await lab.probeFromPod('default/client', [{ proto: 'http', host: serverNet1, port: 8080, path: '/net1' }]);
    expect(expectOk(there)).toMatchObject({ pod: 'server', remoteAddress: clientNet1 });
    const [back] = await lab.probeFromPod('default/server', [{ proto: 'http', host: clientNet1, port: 8080, path: '/net1' }]);
    expect(expectOk(back)).toMatchObject({ pod: 'client', remoteAddress: serverNet1 });
    // probe and trace name the interface the connection uses.
    const probe = await lab.cli('probe', ['default/client', serverNet1]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout).toMatch(/ALLOWED .* via net1/);
    expect(probe.stdout).toContain('NetworkPolicy does not apply to secondary interfaces');
    const trace = await lab.cli('trace', ['default/client', serverNet1]);
    expect(trace.stdout).toMatch(/via\s+net1 \(default\/macvlan-static\)/);
    expect(trace.stdout).toMatch(/probe .*open.*agrees with the trace/);
  }, T);

  it('bridge with host-local is node-local: both pods on node-1 talk over data0, leases in the lab state dir', async () => {
    const [a, b] = [await addressOf('local-a', 'data0'), await addressOf('local-b', 'data0')];
    const [r] = await lab.probeFromPod('default/local-a', [{ proto: 'http', host: b, port: 8080 }]);
    expect(expectOk(r)).toMatchObject({ pod: 'local-b', remoteAddress: a });
    expect(leases('bridge-local')).toEqual([a, b].sort());
    // The conflist's second plugin (tuning) ran on the bridge plugin's result (it needs prevResult).
    expect((await lab.exec('default/local-a', ['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim()).toBe('1');
    const has = async (ns: string) => (await spawnCollect(['ip', 'netns', 'exec', lab.nodeNetns(ns), 'ip', 'link', 'show', 'br-local'])).code === 0;
    expect([await has('node-1'), await has('node-2')]).toEqual([true, false]);
  }, T);

  it('network-status: the cluster network first (default), then each attachment as ns/nad', async () => {
    const pods = await lab.pods();
    const client = pods.find((p) => p.name === 'client')!;
    const status = (await statuses()).get('client')!;
    const mac = (await lab.exec('default/client', ['cat', '/sys/class/net/net1/address'])).stdout.trim();
    expect(mac).toBe('c2:b0:57:49:47:f1'); // the "mac" of the selection, through the plugin's mac capability
    expect(status).toEqual([
      { name: `podnet-${lab.name}`, interface: 'eth0', ips: [client.ip], mac: expect.stringMatching(/^02:/), default: true, dns: {} },
      { name: 'default/macvlan-static', interface: 'net1', ips: ['10.10.0.11'], mac, dns: {} },
    ]);
  }, T);

  it('get network-attachment-definitions (net-attach-def): the NADs as applied', async () => {
    expect((await lab.ok('get', ['net-attach-def'])).split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(['macvlan-static', 'bridge-local', 'bridge-one']);
    const list = JSON.parse(await lab.ok('get', ['network-attachment-definitions', '-o', 'json'])) as { items: { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: { config: string } }[] };
    expect(list.items[0]).toMatchObject({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'macvlan-static', namespace: 'default' } });
    expect(JSON.parse(list.items[0].spec.config)).toMatchObject({ type: 'macvlan', master: 'eth0' });
  }, T);

  it('a plain pod gets no extra interface', async () => {
    const links = (await lab.exec('default/plain', ['ip', '-o', 'link', 'show'])).stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]);
    expect(links.sort()).toEqual(['eth0', 'lo']);
    expect((await statuses()).get('plain')!.map((s) => s.interface)).toEqual(['eth0']);
  }, T);

  it('delete gives the lease back; re-creating the pod gets its attachment and the lease again', async () => {
    expect(await addressOf('solo', 'net1')).toBe('10.79.0.5');
    const solo = file('solo-pod.yaml', pod('solo', 'node-1', 'bridge-one'));
    await lab.ok('delete', ['-f', solo]);
    expect(leases('bridge-one')).toEqual([]);
    await lab.ok('apply', ['-f', solo]);
    expect(leases('bridge-one')).toEqual(['10.79.0.5']);
    expect(await addressOf('solo', 'net1')).toBe('10.79.0.5');
    expect((await lab.exec('default/solo', ['ip', '-o', '-4', 'addr', 'show', 'net1'])).stdout).toContain('10.79.0.5/24');
    // As with Multus, the NAD is read when the pod's sandbox is made: deleting it later is allowed
    // and the running pod keeps its attachment (DEL uses the recorded config).
    await lab.ok('delete', ['-f', file('nad-one.yaml', SOLO)]);
    expect(await addressOf('solo', 'net1')).toBe('10.79.0.5');
    await lab.ok('delete', ['-f', solo]);
    expect(leases('bridge-one')).toEqual([]);
  }, T);

  it('an apply that replaces a pod (here: moves it to another node) DELs the old attachment first', async () => {
    const before = leases('bridge-local', 'node-1');
    await lab.ok('apply', ['-f', file('mover.yaml', pod('mover', 'node-1', 'bridge-local'))]);
    const first = await addressOf('mover', 'net1');
    expect(leases('bridge-local', 'node-1')).toEqual([...before, first].sort());
    await lab.ok('apply', ['-f', file('mover.yaml', pod('mover', 'node-2', 'bridge-local'))]);
    expect(leases('bridge-local', 'node-1')).toEqual(before);
    expect(leases('bridge-local', 'node-2')).toEqual([await addressOf('mover', 'net1')]);
    await lab.ok('delete', ['-f', join(dir, 'mover.yaml')]);
    expect(leases('bridge-local', 'node-2')).toEqual([]);
  }, T);

  it('default-route moves the pod\'s default route to the attachment (as Multus does)', async () => {
    const yaml = pod('gw', 'node-1', '[{"name": "macvlan-static", "ips": ["10.10.0.21/24"], "default-route": ["10.10.0.12"]}]');
    await lab.ok('apply', ['-f', file('gw.yaml', yaml)]);
    const routes = (await lab.exec('default/gw', ['ip', '-4', 'route', 'show', 'default'])).stdout.trim();
    expect(routes).toBe('default via 10.10.0.12 dev net1');
    await lab.ok('delete', ['-f', join(dir, 'gw.yaml')]);
  }, T);

  it("a failed ADD fails that pod's start with the plugin's error; what was added is taken back", async () => {
    const before = leases('bridge-local');
    const bad = nad('bad-master', { cniVersion: '1.0.0', name: 'bad-master', type: 'macvlan', master: 'nosuch0', ipam: { type: 'static', addresses: [{ address: '10.11.0.2/24' }] } });
    const out = await lab.ok('apply', ['-f', file('broken.yaml', `${bad}---\n${pod('broken', 'node-1', 'bridge-local, bad-master')}`)]);
    expect(out).toMatch(/pod not started: default\/broken: error adding pod to CNI network "default\/bad-master" \(interface net2\): plugin type="macvlan" failed \(add\)/);
    expect((await lab.readyColumn()).get('default/broken')).toEqual({ ready: '0/1', status: 'FailedCreatePodSandBox' });
    const logs = await lab.cli('logs', ['default/broken']);
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain('plugin type="macvlan" failed (add)');
    const links = (await lab.exec('default/broken', ['ip', '-o', 'link', 'show'])).stdout;
    expect(links).not.toMatch(/net1|net2/);
    expect(leases('bridge-local')).toEqual(before);
    await lab.ok('delete', ['-f', join(dir, 'broken.yaml')]);
  }, T);

  it.each([
    ['a pod referencing a missing NAD', () => pod('lost', 'node-1', 'nowhere'), /pod default\/lost: metadata\.annotations\["k8s\.v1\.cni\.cncf\.io\/networks"\]: NetworkAttachmentDefinition default\/nowhere not found/],
    ['a NAD whose config is not JSON', () => `apiVersion: k8s.cni.cncf.io/v1\nkind: NetworkAttachmentDefinition\nmetadata: {name: garbled}\nspec: {config: "{not json"}\n---\n${pod('g', 'node-1', 'garbled')}`, /networkattachmentdefinition default\/garbled: spec\.config: is not JSON/],
    ['a plugin that is not installed', () => `${nad('exotic', { cniVersion: '1.0.0', name: 'exotic', type: 'no-such-plugin' })}---\n${pod('e', 'node-1', 'exotic')}`, /pod default\/e: .*NetworkAttachmentDefinition default\/exotic: CNI plugin "no-such-plugin" is not installed/],
  ])('%s: exit 2, nothing applied', async (_n, yaml, message) => {
    const before = (await lab.pods()).map((p) => p.key).sort();
    const r = await lab.cli('apply', ['-f', file('bad.yaml', yaml())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await lab.pods()).map((p) => p.key).sort()).toEqual(before);
  }, T);
});

/** The same plugins behind a logging wrapper: what `down` runs is on record. */
class WrappedLab extends TestLab {
  constructor(readonly bin: string) {
    super('mu');
  }
  override env(): NodeJS.ProcessEnv {
    return { ...super.env(), PODNET_CNI_PATH: this.bin };
  }
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_PLUGINS)('down DELs every recorded attachment, also after a crash (root)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-mu-wrap-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  const lab = new WrappedLab(bin);
  const crashed = new WrappedLab(bin);
  const resumed = new WrappedLab(bin);
  const slow = join(dir, 'slow');

  beforeAll(() => {
    mkdirSync(bin);
    for (const p of ['bridge', 'host-local', 'macvlan', 'static', 'tuning']) {
      // With the `slow` file present, an ADD of the macvlan plugin takes 2 s more (time to crash in).
      const pause = p === 'macvlan' ? `[ "$CNI_COMMAND" = ADD ] && [ -e ${slow} ] && sleep 2\n` : '';
      writeFileSync(join(bin, p), `#!/bin/sh\nin=$(cat)\n${pause}printf '%s %s %s %s %s\\n' "${p}" "$CNI_COMMAND" "$CNI_IFNAME" "$CNI_ARGS" "$in" >> ${log}\nprintf '%s' "$in" | exec ${PLUGINS}/${p}\n`);
      chmodSync(join(bin, p), 0o755);
    }
  });

  afterAll(async () => {
    await Promise.all([lab.cleanup(), crashed.cleanup(), resumed.cleanup()]);
    rmSync(dir, { recursive: true, force: true });
  }, T);

  /** Starts `up` with slow macvlan ADDs and SIGKILLs it once attachments are on record without a result. */
  async function crashUp(l: WrappedLab): Promise<number> {
    writeFileSync(slow, '');
    const child = l.spawn('up', ['--nodes', '2', '-f', EXAMPLE]);
    const stateFile = join(l.stateDir, 'lab.json');
    const pending = await until('attachments recorded before their ADD', () => {
      if (!existsSync(stateFile)) return null;
      const st = JSON.parse(readFileSync(stateFile, 'utf8')) as { attachments?: Record<string, { result?: unknown }[]> };
      return Object.values(st.attachments ?? {}).flat().filter((a) => !a.result).length || null;
    }, 60_000);
    child.kill('SIGKILL');
    rmSync(slow);
    await sleep(3_000); // the plugin runs the killed `up` started finish (they are not the lab's processes)
    return pending;
  }

  it('apply after up was killed mid-ADD takes the interrupted attachments back and makes them again', async () => {
    expect(await crashUp(resumed)).toBeGreaterThan(0);
    await resumed.ok('apply', ['-f', EXAMPLE]);
    const list = JSON.parse(await resumed.ok('get', ['pods', '-o', 'json'])) as { items: { metadata: { name: string; annotations?: Record<string, string> } }[] };
    const client = list.items.find((p) => p.metadata.name === 'client')!;
    expect(JSON.parse(client.metadata.annotations!['k8s.v1.cni.cncf.io/network-status'])[1]).toMatchObject({ interface: 'net1', ips: ['10.10.0.11'] });
    const [r] = await resumed.probeFromPod('default/client', [{ proto: 'http', host: '10.10.0.12', port: 8080 }]);
    expect(expectOk(r)).toMatchObject({ pod: 'server', remoteAddress: '10.10.0.11' });
  }, T);

  it('up killed (SIGKILL) while ADDs run: down DELs the attachments on record, without prevResult where ADD had not finished', async () => {
    expect(await crashUp(crashed)).toBeGreaterThan(0);
    writeFileSync(log, '');
    const out = await crashed.ok('down');
    expect(out).toMatch(/network attachments deleted \(CNI DEL\)/);
    const dels = readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('macvlan DEL'));
    expect(dels.map((l) => /K8S_POD_NAME=(\w+);/.exec(l)![1]).sort()).toEqual(['client', 'server']);
    expect(dels.every((l) => !l.includes('"prevResult"'))).toBe(true);
    expect(netnsWithPrefix(crashed.netnsPrefix)).toEqual([]);
    expect(existsSync(crashed.stateDir)).toBe(false);
  }, T);

  it('down after the agents were killed: DEL with the recorded config and prevResult; nothing left', async () => {
    await lab.up(['--nodes', '2', '-f', EXAMPLE]);
    const adds = readFileSync(log, 'utf8').split('\n').filter((l) => / ADD /.test(l));
    // The plugins saw what Multus passes: the pod in CNI_ARGS, the "ips" and "mac" capabilities as runtimeConfig.
    expect(adds.find((l) => l.startsWith('macvlan ADD net1') && l.includes('K8S_POD_NAME=client'))).toMatch(/IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=client;K8S_POD_INFRA_CONTAINER_ID=pn-.*"runtimeConfig":\{"ips":\["10\.10\.0\.11\/24"\],"mac":"c2:b0:57:49:47:f1"\}/);
    // The attachments are on record in the state (with results) before anything crashes.
    const state = JSON.parse(readFileSync(join(lab.stateDir, 'lab.json'), 'utf8')) as { attachments: Record<string, { result?: unknown }[]> };
    expect(Object.values(state.attachments).flat().filter((a) => a.result)).toHaveLength(4);
    for (const f of readdirSync(join(lab.stateDir, 'agents')).filter((x) => x.endsWith('.pid'))) {
      process.kill(Number(readFileSync(join(lab.stateDir, 'agents', f), 'utf8')), 'SIGKILL');
    }
    writeFileSync(log, '');
    const out = await lab.ok('down');
    expect(out).toMatch(/4 network attachments deleted \(CNI DEL\)/);
    const dels = readFileSync(log, 'utf8').split('\n').filter((l) => / DEL /.test(l));
    for (const pod of ['client', 'server', 'local-a', 'local-b']) {
      const del = dels.find((l) => /^(macvlan|bridge) DEL/.test(l) && l.includes(`K8S_POD_NAME=${pod};`));
      expect(del, pod).toMatch(/"prevResult":\{.*"ips":\[/);
    }
    // The conflist is taken down in reverse order: tuning, then bridge, each with the ADD result.
    const order = dels.filter((l) => l.includes('K8S_POD_NAME=local-a;')).map((l) => l.split(' ')[0]);
    expect(order).toEqual(['tuning', 'bridge', 'host-local']);
    // host-local was asked to release both bridge leases (bridge delegates DEL to its IPAM plugin).
    expect(dels.filter((l) => l.startsWith('host-local DEL'))).toHaveLength(2);
    expect(netnsWithPrefix(lab.netnsPrefix)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
  }, T);
});
