/**
 * Scheduling as kube-scheduler does it, from manifests: node labels, node affinity operators,
 * taints and tolerations, inter-pod (anti-)affinity, topology spread, and the FailedScheduling
 * wording when nothing fits.
 */
import { describe, expect, it } from 'vitest';
import { goArch, nodeLabels, placePods, planNodes, type LabConfig } from '../../src/model/lab.js';
import { fitError } from '../../src/model/scheduler.js';
import { loadCluster } from './fixtures.js';

const config: LabConfig = { name: 'lab', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24' };

/** Node manifests (name → labels / taints) and pod specs → pod name → node, plus reasons. */
function place(nodes: Record<string, { labels?: Record<string, string>; taints?: unknown[] }>, pods: Record<string, Record<string, unknown>>, labels: (name: string) => Record<string, string> = () => ({})) {
  const docs = [
    ...Object.entries(nodes).map(([name, n]) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: n.labels ?? {} }, spec: { taints: n.taints ?? [] } })),
    ...Object.entries(pods).map(([name, spec]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name.replace(/-\d+$/, ''), ...labels(name) } }, spec: { containers: [{ name: 'c' }], ...spec } })),
  ];
  const cluster = loadCluster(docs);
  const planned = planNodes({ ...config, nodes: Object.keys(nodes).length }, cluster.nodes);
  const { placed, unschedulable } = placePods('lab', cluster.pods, planned, new Map(), cluster.namespaces);
  return { where: Object.fromEntries(placed.map((p) => [p.key.split('/')[1], p.node])), why: Object.fromEntries(unschedulable.map((u) => [u.key.split('/')[1], u.reason])) };
}

const affinity = (nodeSelectorTerms: unknown[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });
const expr = (key: string, operator: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });

describe('node labels', () => {
  it('sets every label a kubelet sets, and zone / instance type from flags or the Node manifest', () => {
    expect(nodeLabels({ arch: 'arm64' }, 0, 'n1', {})).toEqual({
      'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'arm64',
    });
    const zoned = planNodes({ ...config, nodes: 3, zones: ['a', 'b'], instanceType: 'm5.large' }, []);
    expect(zoned.map((n) => n.labels['topology.kubernetes.io/zone'])).toEqual(['a', 'b', 'a']);
    expect(zoned[1].labels).toMatchObject({ 'failure-domain.beta.kubernetes.io/zone': 'b', 'node.kubernetes.io/instance-type': 'm5.large', 'beta.kubernetes.io/instance-type': 'm5.large', 'kubernetes.io/arch': 'amd64' });
    const fromManifest = planNodes({ ...config, zones: ['x'] }, [{ name: 'n1', labels: { 'topology.kubernetes.io/zone': 'eu-1a' } }]);
    expect(fromManifest[0].labels['failure-domain.beta.kubernetes.io/zone']).toBe('eu-1a');
    expect(goArch('x64')).toBe('amd64');
  });

  it("places sock-shop's nodeSelector beta.kubernetes.io/os: linux", () => {
    expect(place({ n1: {} }, { web: { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } } }).where).toEqual({ web: 'n1' });
  });
});

describe('node affinity operators', () => {
  const nodes = { n1: { labels: { cpu: '4', disk: 'ssd' } }, n2: { labels: { cpu: '16' } } };
  it.each([
    ['In', [expr('disk', 'In', ['ssd', 'nvme'])], 'n1'],
    ['NotIn (a node without the key matches)', [expr('disk', 'NotIn', ['ssd'])], 'n2'],
    ['Exists', [expr('disk', 'Exists')], 'n1'],
    ['DoesNotExist', [expr('disk', 'DoesNotExist')], 'n2'],
    ['Gt', [expr('cpu', 'Gt', ['8'])], 'n2'],
    ['Lt', [expr('cpu', 'Lt', ['8'])], 'n1'],
    ['terms are ORed', [expr('cpu', 'Gt', ['100']), expr('disk', 'Exists')], 'n1'],
    ['matchFields metadata.name', [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }], 'n2'],
  ])('%s', (_name, terms, want) => {
    expect(place(nodes, { p: affinity(terms) }).where).toEqual({ p: want });
  });

  it('nothing matches: the scheduler event, and a pod with both nodeSelector and affinity needs both', () => {
    const r = place(nodes, { a: affinity([expr('cpu', 'Gt', ['100'])]), b: { nodeSelector: { disk: 'ssd' }, ...affinity([expr('cpu', 'Gt', ['8'])]) } });
    expect(r.why).toEqual({ a: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.", b: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." });
  });

  it('preferred terms: the heavier match wins', () => {
    const pref = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: expr('disk', 'Exists') }, { weight: 80, preference: expr('cpu', 'Gt', ['8']) }] } } };
    expect(place(nodes, { p: pref }).where).toEqual({ p: 'n2' });
  });
});

describe('taints and tolerations', () => {
  const nodes = { n1: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }, n2: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } };
  it('untolerated taints keep pods off, in the event wording', () => {
    expect(place(nodes, { p: {} }).why.p).toBe('0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.');
  });
  it.each([
    ['Equal with the value', [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }], 'n1'],
    ['Exists on the key, any effect', [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }], 'n2'],
    ['an empty key with Exists tolerates everything', [{ operator: 'Exists' }], 'n1'],
  ])('%s', (_name, tolerations, want) => {
    expect(place(nodes, { p: { tolerations } }).where).toEqual({ p: want });
  });
  it('a wrong value or effect does not tolerate', () => {
    const r = place({ n1: nodes.n1 }, { a: { tolerations: [{ key: 'dedicated', value: 'web' }] }, b: { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }] } });
    expect(Object.keys(r.why).sort()).toEqual(['a', 'b']);
  });
  it('PreferNoSchedule is avoided, not forbidden', () => {
    const r = place({ n1: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }, n2: {} }, { p: {} });
    expect(r.where).toEqual({ p: 'n2' });
    expect(place({ n1: { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] } }, { p: {} }).where).toEqual({ p: 'n1' });
  });
});

describe('inter-pod affinity', () => {
  const zones = { n1: { labels: { 'topology.kubernetes.io/zone': 'a' } }, n2: { labels: { 'topology.kubernetes.io/zone': 'a' } }, n3: { labels: { 'topology.kubernetes.io/zone': 'b' } } };
  const anti = (app: string, key = 'kubernetes.io/hostname') => ({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: key }] } } });
  const aff = (app: string, key = 'kubernetes.io/hostname') => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: key }] } } });

  it("required anti-affinity on hostname: one per node, the extra one Pending with the scheduler's reason", () => {
    const r = place({ n1: {}, n2: {} }, { 'web-1': anti('web'), 'web-2': anti('web'), 'web-3': anti('web') });
    expect(new Set([r.where['web-1'], r.where['web-2']])).toEqual(new Set(['n1', 'n2']));
    expect(r.why['web-3']).toBe("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
  });

  it("Cilium's multi-node client: anti-affinity to echo-b puts it on another node", () => {
    const r = place({ n1: {}, n2: {} }, { 'echo-b': { nodeName: 'n1' }, client: anti('echo-b') });
    expect(r.where).toEqual({ 'echo-b': 'n1', client: 'n2' });
  });

  it('required affinity follows the target, by hostname and by zone; the first pod of a group that matches itself goes anywhere', () => {
    expect(place(zones, { cache: { nodeName: 'n3' }, web: aff('cache') }).where.web).toBe('n3');
    const z = place(zones, { cache: { nodeName: 'n1' }, web: aff('cache', 'topology.kubernetes.io/zone') });
    expect(['n1', 'n2']).toContain(z.where.web);
    expect(place(zones, { 'db-1': aff('db') }).where['db-1']).toBeDefined();
    expect(place(zones, { web: aff('nothing') }).why.web).toBe("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
  });

  it("anti-affinity by zone, and existing pods' anti-affinity keeps newcomers out", () => {
    const r = place(zones, { 'a-1': anti('a', 'topology.kubernetes.io/zone'), 'a-2': anti('a', 'topology.kubernetes.io/zone') });
    expect(new Set([r.where['a-1'], r.where['a-2']].map((n) => zones[n as keyof typeof zones].labels['topology.kubernetes.io/zone']))).toEqual(new Set(['a', 'b']));
    const e = place({ n1: {} }, { loner: anti('web'), web: {} });
    expect(e.why.web).toBe("0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules.");
  });

  it('preferred affinity and anti-affinity move pods by weight', () => {
    const prefer = (kind: string, app: string) => ({ affinity: { [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: 'kubernetes.io/hostname' } }] } } });
    expect(place({ n1: {}, n2: {} }, { cache: { nodeName: 'n2' }, web: prefer('podAffinity', 'cache') }).where.web).toBe('n2');
    expect(place({ n1: {}, n2: {} }, { cache: { nodeName: 'n1' }, web: prefer('podAntiAffinity', 'cache') }).where.web).toBe('n2');
  });
});

describe('topology spread', () => {
  const spread = (maxSkew: number, when: string, key = 'kubernetes.io/hostname') => ({ topologySpreadConstraints: [{ maxSkew, topologyKey: key, whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 'w' } } }] });

  it('DoNotSchedule keeps the skew within maxSkew, even against node affinity preference', () => {
    const pref = { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: expr('fast', 'Exists') }] } } };
    const pods = Object.fromEntries([1, 2, 3, 4].map((i) => [`w-${i}`, { ...spread(1, 'DoNotSchedule'), ...pref }]));
    const r = place({ n1: { labels: { fast: 'yes' } }, n2: {} }, pods);
    const counts = Object.values(r.where).reduce((m, n) => ({ ...m, [n]: (m[n] ?? 0) + 1 }), {} as Record<string, number>);
    expect(counts).toEqual({ n1: 2, n2: 2 });
  });

  it('nodes without the key cannot take DoNotSchedule pods; minDomains counts missing domains as 0', () => {
    const r = place({ n1: {} }, { 'w-1': spread(1, 'DoNotSchedule', 'topology.kubernetes.io/zone') });
    expect(r.why['w-1']).toBe("0/1 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label).");
    const md = { topologySpreadConstraints: [{ maxSkew: 1, minDomains: 3, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'w' } } }] };
    const m = place({ n1: {}, n2: {} }, { 'w-1': md, 'w-2': md, 'w-3': md });
    expect(Object.keys(m.where)).toHaveLength(2);
    expect(m.why['w-3']).toBe("0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints.");
  });

  it('ScheduleAnyway only scores: pods spread, and an unsatisfiable skew still schedules', () => {
    const pods = Object.fromEntries([1, 2, 3, 4].map((i) => [`w-${i}`, { ...spread(1, 'ScheduleAnyway'), nodeSelector: i === 4 ? { only: 'one' } : undefined }]));
    const r = place({ n1: { labels: { only: 'one' } }, n2: {} }, pods);
    expect(Object.keys(r.why)).toEqual([]);
    expect(r.where['w-4']).toBe('n1');
  });
});

describe('fitError', () => {
  it('sorts the reason histogram as the scheduler does', () => {
    expect(fitError(3, ['b', 'a', 'b'])).toBe('0/3 nodes are available: 1 a, 2 b.');
  });
});
