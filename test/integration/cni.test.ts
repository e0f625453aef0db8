// The CNI plugin executable: VERSION and errors without root; ADD/CHECK/DEL on real namespaces as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(__dirname, '..', '..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function plugin(env: Record<string, string>, stdin = ''): { code: number; json: Record<string, unknown> | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'src/cni/plugin.ts')], { input: stdin, env: { ...process.env, ...env }, cwd: REPO, encoding: 'utf8' });
  return { code: r.status ?? 1, json: r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : null };
}

describe('podnet-cni', () => {
  it('answers VERSION', () => {
    expect(plugin({ CNI_COMMAND: 'VERSION' })).toEqual({ code: 0, json: { cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] } });
  });

  it('reports errors as CNI error JSON with the spec codes', () => {
    expect(plugin({ CNI_COMMAND: 'ADD' }, '{not json')).toMatchObject({ code: 1, json: { cniVersion: '1.0.0', code: 6 } });
    expect(plugin({ CNI_COMMAND: 'ADD' }, JSON.stringify({ cniVersion: '0.1.0', name: 'x', type: 'podnet', gateway: '10.0.0.1', mtu: 1500 }))).toMatchObject({ code: 1, json: { code: 1 } });
    expect(plugin({ CNI_COMMAND: 'NOPE' }, '{}')).toMatchObject({ code: 1, json: { code: 4 } });
  });
});

describe.skipIf(!isRoot)('podnet-cni on real namespaces', () => {
  const id = randomBytes(3).toString('hex');
  const node = `pnt-${id}-node`;
  const pod = `pnt-${id}-pod`;
  const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  afterAll(() => {
    for (const ns of [pod, node]) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('ADD wires a pod to the node by a routed veth, CHECK confirms it, DEL removes the host side and the route', () => {
    ip('netns', 'add', node);
    ip('netns', 'add', pod);
    ip('-n', node, 'link', 'set', 'lo', 'up');
    const conf = { cniVersion: '1.0.0', name: 'test', type: 'podnet', mtu: 1500, gateway: '10.251.0.1', nodeNetns: node, runtimeConfig: { ips: ['10.251.0.5/24'], hostVeth: `pv${id}` } };
    const env = { CNI_CONTAINERID: `c${id}`, CNI_NETNS: `/run/netns/${pod}`, CNI_IFNAME: 'eth0' };
    const add = plugin({ ...env, CNI_COMMAND: 'ADD' }, JSON.stringify(conf));
    expect(add.code).toBe(0);
    expect(add.json).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.251.0.5/24', gateway: '10.251.0.1', interface: 1 }] });
    // Real packets: the pod reaches its gateway on the node, the node the pod (a /32 route).
    expect(spawnSync('ip', ['netns', 'exec', pod, 'ping', '-c', '1', '-W', '2', '10.251.0.1']).status).toBe(0);
    expect(spawnSync('ip', ['netns', 'exec', node, 'ping', '-c', '1', '-W', '2', '10.251.0.5']).status).toBe(0);
    expect(ip('-n', node, 'route', 'show', '10.251.0.5')).toContain(`dev pv${id} scope link src 10.251.0.1`);
    expect(plugin({ ...env, CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...conf, prevResult: add.json })).code).toBe(0);
    ip('-n', pod, 'addr', 'flush', 'dev', 'eth0');
    expect(plugin({ ...env, CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...conf, prevResult: add.json }))).toMatchObject({ code: 1, json: { code: 5 } });
    expect(plugin({ ...env, CNI_COMMAND: 'DEL' }, JSON.stringify(conf)).code).toBe(0);
    expect(ip('-n', node, 'link', 'show')).not.toContain(`pv${id}`);
    expect(ip('-n', node, 'route', 'show', '10.251.0.5')).toBe('');
    expect(plugin({ ...env, CNI_COMMAND: 'DEL' }, JSON.stringify(conf)).code).toBe(0); // idempotent
  });
});

const HOST_LOCAL = '/usr/lib/cni/host-local';

describe.skipIf(!isRoot || !existsSync(HOST_LOCAL))('podnet-cni with host-local IPAM (root, real namespaces)', () => {
  const id = randomBytes(3).toString('hex');
  const node = `pnt-${id}-inode`;
  const pods = [`pnt-${id}-ip0`, `pnt-${id}-ip1`];
  const dataDir = mkdtempSync(join(tmpdir(), 'pn-ipam-'));
  const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  afterAll(() => {
    for (const ns of [...pods, node]) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const conf = { cniVersion: '1.0.0', name: `ipam${id}`, type: 'podnet', mtu: 1500, nodeNetns: node, ipam: { type: 'host-local', ranges: [[{ subnet: '10.253.0.0/24' }]], dataDir } };
  const env = (i: number) => ({ CNI_CONTAINERID: `c${id}${i}`, CNI_NETNS: `/run/netns/${pods[i]}`, CNI_IFNAME: 'eth0', CNI_PATH: '/usr/lib/cni' });
  /** The addresses host-local holds (one file per address). */
  const held = () => readdirSync(join(dataDir, conf.name)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();

  it('ADD takes each pod an address from host-local, CHECK passes, DEL gives it back, and so does a failed ADD', () => {
    for (const ns of [node, ...pods]) ip('netns', 'add', ns);
    ip('-n', node, 'link', 'set', 'lo', 'up');
    const a = plugin({ ...env(0), CNI_COMMAND: 'ADD' }, JSON.stringify(conf));
    const b = plugin({ ...env(1), CNI_COMMAND: 'ADD' }, JSON.stringify(conf));
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.json).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.253.0.2/24', gateway: '10.253.0.1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.253.0.1' }] });
    expect(b.json).toMatchObject({ ips: [{ address: '10.253.0.3/24', gateway: '10.253.0.1' }] });
    expect(held()).toEqual(['10.253.0.2', '10.253.0.3']);
    // Real packets: one pod reaches the other through the node's /32 routes.
    expect(spawnSync('ip', ['netns', 'exec', pods[0], 'ping', '-c', '1', '-W', '2', '10.253.0.3']).status).toBe(0);
    expect(plugin({ ...env(0), CNI_COMMAND: 'CHECK' }, JSON.stringify({ ...conf, prevResult: a.json })).code).toBe(0);
    expect(plugin({ ...env(1), CNI_COMMAND: 'DEL' }, JSON.stringify(conf)).code).toBe(0);
    expect(held()).toEqual(['10.253.0.2']);
    expect(ip('-n', node, 'route', 'show', '10.253.0.3')).toBe('');
    // An ADD that fails after host-local allocated (a bad interface name) gives the address back.
    expect(plugin({ ...env(1), CNI_IFNAME: 'this-name-is-too-long', CNI_COMMAND: 'ADD' }, JSON.stringify(conf))).toMatchObject({ code: 1, json: { code: 4 } });
    expect(held()).toEqual(['10.253.0.2']);
    // An IPAM plugin that is not there: a clear CNI error, nothing allocated.
    expect(plugin({ ...env(1), CNI_COMMAND: 'ADD' }, JSON.stringify({ ...conf, ipam: { type: 'no-such-ipam' } }))).toMatchObject({ code: 1, json: { code: 4, msg: 'IPAM plugin no-such-ipam not found in CNI_PATH' } });
  });
});
