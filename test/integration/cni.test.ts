// The CNI plugin executable: VERSION and errors without root; ADD/CHECK/DEL on real namespaces as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
