import { describe, expect, it } from 'vitest';
import { cniAdd, cniCheck, cniDel } from '../../src/cni/ptp.js';
import { CniFailure, type PodnetNetConf } from '../../src/cni/types.js';
import { applyPlan } from '../../src/host/executor.js';
import { FakeHost, type ExecResult } from '../../src/host/host.js';
import { defaultNodeCidr, placePods, planNodes, validateLabConfig, type LabConfig } from '../../src/model/lab.js';
import type { Node, Pod } from '../../src/model/types.js';

const base: LabConfig = { name: 'lab', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24' };

function pod(name: string, extra: Partial<Pod> = {}): Pod {
  return { namespace: 'default', name, labels: {}, ip: '', hostNetwork: false, containers: [], owner: { kind: 'Pod', name }, source: { file: 'x', doc: 0 }, ...extra };
}

describe('validateLabConfig', () => {
  it.each([
    ['a valid config', {}, []],
    ['a bad name', { name: 'Bad_Name' }, ['--name']],
    ['a name with _ (reserved as namespace separator)', { name: 'a_b' }, ['--name']],
    ['zero nodes', { nodes: 0 }, ['--nodes']],
    ['a bad mode', { mode: 'gre' }, ['--mode']],
    ['a pod CIDR too small for a /24 per node', { podCidr: '10.0.0.0/24' }, ['--pod-cidr']],
    ['more nodes than the pod CIDR holds', { podCidr: '10.0.0.0/22', nodes: 5 }, ['--pod-cidr']],
    ['overlapping CIDRs', { serviceCidr: '10.244.0.0/20' }, ['overlap']],
    ['an invalid service CIDR', { serviceCidr: 'x' }, ['--service-cidr']],
  ])('%s', (_name, patch, want) => {
    const problems = validateLabConfig({ ...base, ...(patch as Partial<LabConfig>) });
    expect(problems.length).toBe(want.length);
    want.forEach((w, i) => expect(problems[i]).toContain(w));
  });

  it('derives distinct node networks for different lab names', () => {
    expect(defaultNodeCidr('a')).toMatch(/^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.\d+\.0\/24$/);
    expect(defaultNodeCidr('a')).not.toBe(defaultNodeCidr('b'));
  });
});

describe('planNodes and placePods', () => {
  const nodes = planNodes({ ...base, nodes: 3 }, []);

  it('gives each node a /24, a gateway and an underlay address', () => {
    expect(nodes.map((n) => [n.name, n.podCidr, n.gateway, n.ip, n.netns])).toEqual([
      ['node-1', '10.244.0.0/24', '10.244.0.1', '100.64.0.10', 'pn-lab_node-1'],
      ['node-2', '10.244.1.0/24', '10.244.1.1', '100.64.0.11', 'pn-lab_node-2'],
      ['node-3', '10.244.2.0/24', '10.244.2.1', '100.64.0.12', 'pn-lab_node-3'],
    ]);
  });

  it('names nodes after Node manifests and keeps their labels', () => {
    const manifest: Node[] = [{ name: 'big', labels: { disk: 'ssd' } }];
    const planned = planNodes({ ...base, nodes: 2 }, manifest);
    expect(planned.map((n) => n.name)).toEqual(['big', 'node-2']);
    expect(planned[0].labels).toMatchObject({ disk: 'ssd', 'kubernetes.io/hostname': 'big' });
  });

  it('spreads pods, honours nodeName and nodeSelector, gives hostNetwork pods the node IP', () => {
    const labelled = planNodes({ ...base, nodes: 2 }, [{ name: 'n1', labels: {} }, { name: 'n2', labels: { disk: 'ssd' } }]);
    const { placed, unschedulable } = placePods('lab', [pod('a'), pod('b'), pod('c', { nodeName: 'n1' }), pod('d', { nodeSelector: { disk: 'ssd' } }), pod('h', { hostNetwork: true, nodeName: 'n2' }), pod('x', { nodeSelector: { disk: 'hdd' } })], labelled);
    const where = Object.fromEntries(placed.map((p) => [p.key.split('/')[1], p]));
    expect(new Set([where.a.node, where.b.node])).toEqual(new Set(['n1', 'n2']));
    expect(where.c.node).toBe('n1');
    expect(where.d.node).toBe('n2');
    expect(where.h).toMatchObject({ node: 'n2', ip: labelled[1].ip, netns: null });
    expect(unschedulable).toEqual([{ key: 'default/x', reason: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }]);
    const ips = placed.filter((p) => p.netns).map((p) => p.ip);
    expect(new Set(ips).size).toBe(ips.length);
    expect(placed.every((p) => p.hostVeth.length <= 15)).toBe(true);
  });

  it('keeps earlier placements and IPs (apply keeps unchanged pods where they are)', () => {
    const first = placePods('lab', [pod('a'), pod('b')], nodes).placed;
    const second = placePods('lab', [pod('new'), pod('a'), pod('b')], nodes, new Map(first.map((p) => [p.key, p]))).placed;
    for (const p of first) expect(second.find((q) => q.key === p.key)).toEqual(p);
    const fresh = second.find((q) => q.key === 'default/new')!;
    expect(first.map((p) => p.ip)).not.toContain(fresh.ip);
  });
});

describe('CNI operations', () => {
  const conf: PodnetNetConf = { cniVersion: '1.0.0', name: 'podnet-lab', type: 'podnet', mtu: 1450, gateway: '10.244.1.1', nodeNetns: 'pn-lab_node-2', runtimeConfig: { ips: ['10.244.1.7/24'], mac: '02:00:00:00:00:07', hostVeth: 'pv00000007' } };
  const args = { containerId: 'default/web', netns: '/run/netns/pn-lab_pweb', ifName: 'eth0' };

  it('ADD returns a CNI 1.0 result and a plan that only touches the node and pod namespaces', async () => {
    const { plan, result } = cniAdd(conf, args);
    expect(result).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'pv00000007' }, { name: 'eth0', mac: '02:00:00:00:00:07', mtu: 1450, sandbox: '/run/netns/pn-lab_pweb' }],
      ips: [{ address: '10.244.1.7/24', gateway: '10.244.1.1', interface: 1 }],
      routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }],
      dns: {},
    });
    const host = new FakeHost();
    await applyPlan(host, plan);
    expect(host.calls).toEqual([
      'ip -n pn-lab_node-2 addr replace 10.244.1.1/32 dev lo',
      'ip -n pn-lab_node-2 link add pv00000007 mtu 1450 type veth peer name eth0 mtu 1450 address 02:00:00:00:00:07 netns pn-lab_pweb',
      'ip -n pn-lab_node-2 link set pv00000007 up',
      'ip -n pn-lab_node-2 route add 10.244.1.7/32 dev pv00000007 scope link src 10.244.1.1',
      'ip -n pn-lab_pweb link set lo up',
      'ip -n pn-lab_pweb addr add 10.244.1.7/24 dev eth0 noprefixroute',
      'ip -n pn-lab_pweb link set eth0 up',
      'ip -n pn-lab_pweb route add default via 10.244.1.1 dev eth0 onlink',
    ]);
  });

  it.each([
    ['an unsupported cniVersion', { ...conf, cniVersion: '9.9.9' }, args, 1],
    ['no ips capability', { ...conf, runtimeConfig: {} }, args, 7],
    ['a bad MAC', { ...conf, runtimeConfig: { ...conf.runtimeConfig, mac: 'zz' } }, args, 7],
    ['an MTU out of range', { ...conf, mtu: 20 }, args, 7],
    ['a missing container id', conf, { ...args, containerId: '' }, 4],
    ['a bad interface name', conf, { ...args, ifName: 'this-name-is-too-long' }, 4],
  ])('ADD rejects %s with the spec error code', (_n, c, a, code) => {
    try {
      cniAdd(c as PodnetNetConf, a);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CniFailure);
      expect((e as CniFailure).toJSON()).toMatchObject({ cniVersion: '1.0.0', code });
    }
  });

  it('DEL tolerates missing resources', async () => {
    const host = new FakeHost();
    host.exec = async (): Promise<ExecResult> => ({ code: 1, stdout: '', stderr: 'Cannot find device' });
    await expect(applyPlan(host, cniDel(conf, args))).resolves.toBeUndefined();
  });

  it('CHECK compares the address and default route with the previous result', async () => {
    const { result } = cniAdd(conf, args);
    const host = new FakeHost();
    let addr = '10.244.1.7';
    host.exec = async (_ns, argv): Promise<ExecResult> =>
      argv.includes('addr')
        ? { code: 0, stdout: JSON.stringify([{ addr_info: [{ local: addr, prefixlen: 24 }] }]), stderr: '' }
        : { code: 0, stdout: JSON.stringify([{ dst: 'default', gateway: '10.244.1.1' }]), stderr: '' };
    await expect(cniCheck(host, conf, args, result)).resolves.toBeUndefined();
    addr = '10.244.1.8';
    await expect(cniCheck(host, conf, args, result)).rejects.toThrow(/10.244.1.7\/24 missing/);
  });
});

describe('applyPlan', () => {
  it('runs stages in order and stops at the first failing stage', async () => {
    const host = new FakeHost();
    host.failOn = /boom/;
    await expect(applyPlan(host, [[{ kind: 'ip', netns: null, lines: ['netns add a'] }], [{ kind: 'ip', netns: 'a', lines: ['boom'] }], [{ kind: 'ip', netns: null, lines: ['netns add never'] }]])).rejects.toThrow(/boom/);
    expect(host.calls).toEqual(['ip netns add a', 'ip -n a boom']);
  });
});

describe('derived pod names', () => {
  it('are unique even when hashes would collide (salted), and stable for placed pods', () => {
    const nodes = planNodes(base, []);
    const many = Array.from({ length: 400 }, (_, i) => pod(`p${i}`));
    const { placed } = placePods('lab', many, nodes);
    expect(new Set(placed.map((p) => p.netns)).size).toBe(400);
    expect(new Set(placed.map((p) => p.hostVeth)).size).toBe(400);
    // A previously placed pod keeps its names; a new pod never takes one of them.
    const prev = new Map(placed.map((p) => [p.key, p]));
    const again = placePods('lab', [...many, pod('extra')], nodes, prev).placed;
    expect(again.filter((p) => p.key !== 'default/extra')).toEqual(placed);
    const extra = again.find((p) => p.key === 'default/extra')!;
    expect(placed.map((p) => p.hostVeth)).not.toContain(extra.hostVeth);
  });
});

describe('CNI result versions', () => {
  it('answers in the configuration\'s cniVersion (0.4.0 results carry the IP version)', () => {
    const conf: PodnetNetConf = { cniVersion: '0.4.0', name: 'n', type: 'podnet', mtu: 1500, gateway: '10.244.0.1', runtimeConfig: { ips: ['10.244.0.9/24'] } };
    const { result } = cniAdd(conf, { containerId: 'c1', netns: '/var/run/netns/x', ifName: 'eth0' });
    expect(result.cniVersion).toBe('0.4.0');
    expect(result.ips).toEqual([{ version: '4', address: '10.244.0.9/24', gateway: '10.244.0.1', interface: 1 }]);
  });
});
