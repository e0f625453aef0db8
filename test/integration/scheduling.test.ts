/**
 * Scheduling in a real lab: nodes carry the kubelet's labels (and zones from Node manifests),
 * taints keep pods without tolerations off, anti-affinity spreads replicas; pods no node can take
 * make `up` and `apply` fail with the scheduler's reason, and nothing is created or changed.
 * Needs root and `ip`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, fixture, netnsWithPrefix, TestLab, type PodInfo } from './helpers.js';

const T = 90_000;
const ARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

describe.skipIf(!CAN_RUN_LAB)('scheduling (root)', () => {
  const lab = new TestLab('rm');
  let pods: PodInfo[] = [];

  beforeAll(async () => {
    await lab.up(['-f', fixture('scheduling.yaml')]);
    pods = await lab.pods();
  }, T);

  afterAll(async () => {
    await lab.cleanup();
  }, T);

  it('nodes have the kubelet labels, and zone labels under both keys', async () => {
    const nodes = await lab.nodes();
    expect(nodes.map((n) => n.name)).toEqual(['east', 'west']);
    for (const n of nodes) {
      expect(n.labels).toMatchObject({ 'kubernetes.io/os': 'linux', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': ARCH, 'beta.kubernetes.io/arch': ARCH, 'kubernetes.io/hostname': n.name });
    }
    expect(nodes[0].labels).toMatchObject({ 'topology.kubernetes.io/zone': 'zone-a', 'failure-domain.beta.kubernetes.io/zone': 'zone-a' });
  });

  it('anti-affinity puts one web replica on each node (one tolerating the taint); the plain pod avoids the tainted node', () => {
    const web = pods.filter((p) => p.name.startsWith('web-'));
    expect(new Set(web.map((p) => p.node))).toEqual(new Set(['east', 'west']));
    expect(pods.find((p) => p.name === 'plain')?.node).toBe('west');
  });

  it('exec, logs and probe take ns/workload and IPs like explain; matrix takes -A or -n, not both', async () => {
    const web = pods.filter((p) => p.name.startsWith('web-')).sort((a, b) => a.name.localeCompare(b.name));
    const plain = pods.find((p) => p.name === 'plain')!;
    // The workload resolves to its first pod (by name).
    // Inside the sandbox /run/netns is hidden, so the pod is recognised by its address and hostname.
    const id = await lab.exec('default/web', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(id.stdout).toContain(`inet ${web[0].ip}/`);
    expect((await lab.exec('default/web', ['hostname'])).stdout.trim()).toBe(web[0].name);
    expect(await lab.ok('logs', ['web'])).toContain('built-in server on TCP/8080');
    expect((await lab.exec(plain.ip, ['hostname'])).stdout.trim()).toBe('plain');
    // probe to an address: a pod IP by workload name, and a node's address (nothing listens there).
    const toPod = await lab.cli('probe', ['plain', 'default/web', '--port', '8080']);
    expect(toPod.code, toPod.stderr).toBe(0);
    const node = (await lab.nodes())[1];
    const toNode = await lab.cli('probe', ['plain', node.ip, '--port', '9']);
    // Refused by the node (nothing listens on 9): the network let it through.
    expect(toNode.stdout).toContain(`probe default/plain -> ${node.ip} TCP/9: ALLOWED — reached, port closed`);
    expect(toNode.stdout).toContain(`the analyzer, for ${node.ip} as an address: ALLOWED`);
    const m = await lab.cli('matrix', ['-A', '--port', '8080', '-o', 'json']);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).pods).toHaveLength(3);
    const both = await lab.cli('matrix', ['-A', '-n', 'default']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('-A and -n exclude each other');
  }, T);

  it('apply of a pod no node takes fails with the scheduler event and changes nothing', async () => {
    const r = await lab.cli('apply', ['-f', fixture('scheduling.yaml'), '-f', fixture('scheduling-bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("pod default/nowhere: 0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}.");
    expect(r.stderr).toContain('nothing was done');
    expect((await lab.pods()).map((p) => p.key).sort()).toEqual(pods.map((p) => p.key).sort());
  }, T);

  it('up with a pod no node takes fails the same way and creates nothing', async () => {
    const other = new TestLab('rm');
    try {
      const r = await other.cli('up', ['-f', fixture('scheduling-bad.yaml')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("pod default/nowhere: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
      expect(netnsWithPrefix(other.netnsPrefix)).toEqual([]);
      expect((await other.cli('get', ['pods'])).code).not.toBe(0);
    } finally {
      await other.cleanup();
    }
  }, T);
});
