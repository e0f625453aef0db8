/**
 * Graceful pod deletion, the pure parts: which terminating pods can go (lab/terminating.ts),
 * what the agents are told, terminating pods in the lab's Cluster (placeOnto) keeping their
 * addresses from new pods (placePods), the agent protocol's `terminate`, the pod spec's grace
 * period, the Killing events, and the store following a terminating pod (syncStore).
 */
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { placeOnto } from '../../src/api/lab-cluster.js';
import { podEvents } from '../../src/apiserver/events.js';
import { syncStore } from '../../src/apiserver/lab-objects.js';
import { findResource } from '../../src/apiserver/resources.js';
import { Store } from '../../src/apiserver/store.js';
import type { AgentPodStatus } from '../../src/lab/agent-client.js';
import { parseRequest } from '../../src/lab/agent/protocol.js';
import type { LabState } from '../../src/lab/state.js';
import { finishedTerminating, graceSeconds, keptPod, OVERDUE_MS, terminations } from '../../src/lab/terminating.js';
import { placePods, planNodes, type LabConfig, type PlacedPod, type TerminatingPod } from '../../src/model/lab.js';
import type { Pod } from '../../src/model/types.js';

const config: LabConfig = { name: 'lab', nodes: 1, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24' };
const nodes = planNodes(config, []);
const pod = (name: string, extra: Partial<Pod> = {}): Pod => ({ namespace: 'default', name, labels: { app: 'w' }, ip: '', hostNetwork: false, containers: [], owner: { kind: 'Pod', name }, source: { file: 'x', doc: 0 }, ...extra });
const AT = '2026-01-01T00:00:00.000Z';
const at = Date.parse(AT);

function terminatingOf(name: string, graceSeconds = 30): TerminatingPod {
  const placement = placePods('lab', [pod(name)], nodes).placed[0];
  return { placement, pod: keptPod(pod(name)), at: AT, graceSeconds };
}
const status = (key: string, extra: Partial<AgentPodStatus> = {}): AgentPodStatus => ({ key, ready: true, containers: [{ name: 'c', kind: 'command', state: 'running', restarts: 0, ready: true, started: true }], ...extra });

describe('finishedTerminating', () => {
  const t = terminatingOf('a', 10);
  const node = t.placement.node;
  it.each<[string, AgentPodStatus | undefined, string[], number, string[], boolean]>([
    ['still stopping', status('default/a', { terminating: true }), [node], at + 1_000, [], false],
    ['every container stopped', status('default/a', { terminating: true, stopped: true }), [node], at + 1_000, [], true],
    ['its agent answered without it', undefined, [node], at + 1_000, [], true],
    ['its agent silent, within grace + margin', undefined, [], at + 10_000 + OVERDUE_MS - 1, [], false],
    ['its agent silent, past grace + margin', undefined, [], at + 10_000 + OVERDUE_MS, [], true],
    ['the objects want a pod of its name again', status('default/a', { terminating: true }), [node], at + 1_000, ['default/a'], true],
  ])('%s → %s', (_n, s, answered, now, wanted, want) => {
    const statuses = new Map(s ? [[s.key, s]] : []);
    expect(finishedTerminating([t], statuses, new Set(answered), now, new Set(wanted)).has('default/a')).toBe(want);
  });
});

describe('terminations and grace periods', () => {
  it('tells each node of its terminating pods, with the grace left (never negative)', () => {
    const t = terminatingOf('a', 10);
    expect(terminations([t], t.placement.node, at + 4_000)).toEqual([{ key: 'default/a', graceMs: 6_000 }]);
    expect(terminations([t], t.placement.node, at + 60_000)).toEqual([{ key: 'default/a', graceMs: 0 }]);
    expect(terminations([t], 'elsewhere', at)).toEqual([]);
  });
  it.each<[string, Pod | undefined, number | undefined, number]>([
    ['the default', pod('a'), undefined, 30],
    ['the pod\'s own', pod('a', { terminationGracePeriodSeconds: 5 }), undefined, 5],
    ['the deletion\'s, over the pod\'s', pod('a', { terminationGracePeriodSeconds: 5 }), 1, 1],
    ['0 from the deletion (--force)', pod('a'), 0, 0],
  ])('%s', (_n, p, asked, want) => expect(graceSeconds(p, asked)).toBe(want));

  it('the pod spec\'s terminationGracePeriodSeconds: read (30, the default, kept as absent); negative is an error', () => {
    const read = (v: unknown) => readCluster([{ obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { terminationGracePeriodSeconds: v, containers: [{ name: 'c', image: 'x' }] } }, source: { file: 'f.yaml', doc: 0 }, prefix: '' }]).pods[0];
    expect(read(7).terminationGracePeriodSeconds).toBe(7);
    expect(read(0).terminationGracePeriodSeconds).toBe(0);
    expect(read(30).terminationGracePeriodSeconds).toBeUndefined();
    expect(() => read(-1)).toThrow(/f\.yaml.*spec\.terminationGracePeriodSeconds: -1 is out of range/s);
  });
});

describe('preStop hooks', () => {
  const read = (lifecycle: unknown, extra: Record<string, unknown> = {}) => {
    const c = { name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }], lifecycle };
    const r = readCluster([{ obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [c], ...extra } }, source: { file: 'f.yaml', doc: 0 }, prefix: '' }]);
    return { preStop: r.pods[0].containers[0].preStop, notes: r.notes };
  };
  it.each<[string, unknown, unknown]>([
    ['exec', { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } }, { kind: 'exec', command: ['sh', '-c', 'sleep 1'] }],
    ['httpGet with a named port, resolved', { preStop: { httpGet: { path: 'drain', port: 'http' } } }, { kind: 'httpGet', path: '/drain', port: 8080, scheme: 'HTTP', headers: [] }],
    ['sleep', { preStop: { sleep: { seconds: 5 } } }, { kind: 'sleep', seconds: 5 }],
    ['none', {}, undefined],
  ])('%s', (_n, lifecycle, want) => expect(read(lifecycle).preStop).toEqual(want));

  it('postStart and a tcpSocket preStop are not run, and say so', () => {
    const r = read({ postStart: { exec: { command: ['true'] } }, preStop: { tcpSocket: { port: 8080 } } });
    expect(r.preStop).toBeUndefined();
    expect(r.notes.join('\n')).toMatch(/lifecycle\.postStart: not run/);
    expect(r.notes.join('\n')).toMatch(/lifecycle\.preStop\.tcpSocket: not run: TCPSocket is not supported/);
  });

  it.each<[string, unknown, RegExp]>([
    ['two handlers', { preStop: { exec: { command: ['true'] }, sleep: { seconds: 1 } } }, /lifecycle\.preStop: must have exactly one handler \(exec, httpGet, sleep\), found exec, sleep/],
    ['no handler', { preStop: {} }, /lifecycle\.preStop: must have exactly one handler \(exec, httpGet, sleep\), none found/],
    ['sleep without seconds', { preStop: { sleep: {} } }, /lifecycle\.preStop\.sleep\.seconds: required field is missing/],
    ['sleep 0', { preStop: { sleep: { seconds: 0 } } }, /lifecycle\.preStop\.sleep\.seconds: 0 is out of range/],
    ['exec without a command', { preStop: { exec: {} } }, /lifecycle\.preStop\.exec\.command/],
  ])('%s is an error naming the field', (_n, lifecycle, want) => expect(() => read(lifecycle)).toThrow(want));

  it('an init container (not a sidecar) may not have one', () => {
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i', image: 'x', lifecycle: { preStop: { sleep: { seconds: 1 } } } }], containers: [{ name: 'c', image: 'x' }] } };
    expect(() => readCluster([{ obj, source: { file: 'f.yaml', doc: 0 }, prefix: '' }])).toThrow(/initContainers\[0\]\.lifecycle: init containers do not support lifecycle/);
  });

  it('the agent protocol carries it, checked', () => {
    const spec = (preStop: unknown) => JSON.stringify({ op: 'sync', pods: [{ key: 'default/a', namespace: 'default', name: 'a', node: 'node-1', netns: null, ip: '', hash: 'h', containers: [{ name: 'c', ports: [], preStop }] }] });
    const hookOf = (r: ReturnType<typeof parseRequest>) => ('request' in r && r.request.op === 'sync' ? r.request.pods[0].containers[0].preStop : r);
    expect(hookOf(parseRequest(spec({ kind: 'sleep', seconds: 3 })))).toEqual({ kind: 'sleep', seconds: 3 });
    expect(hookOf(parseRequest(spec({ kind: 'exec', command: ['true'] })))).toEqual({ kind: 'exec', command: ['true'] });
    expect(hookOf(parseRequest(spec({ kind: 'sleep', seconds: -1 })))).toEqual({ error: expect.stringContaining('preStop.seconds: must be an integer >= 0') });
    expect(hookOf(parseRequest(spec({ kind: 'grpc', port: 1 })))).toEqual({ error: expect.stringContaining('preStop.kind: must be exec, httpGet or sleep') });
  });
});

describe('terminating pods in the lab', () => {
  it('placeOnto keeps them as pods with their address and deletion; a pod of the same name in the objects wins', () => {
    const t = terminatingOf('old');
    const base = { ...readCluster([]), pods: [pod('new')] };
    const c = placeOnto(base, { nodes, placements: [], terminating: [t] });
    expect(c.pods.map((p) => [p.name, p.ip, p.deletion])).toEqual([['new', '', undefined], ['old', t.placement.ip, { at: AT, graceSeconds: 30 }]]);
    const again = placeOnto({ ...base, pods: [pod('old')] }, { nodes, placements: [], terminating: [t] });
    expect(again.pods.map((p) => [p.name, p.deletion])).toEqual([['old', undefined]]);
  });

  it('placePods gives no new pod a terminating pod\'s IP or names', () => {
    const t = terminatingOf('old');
    const fresh = placePods('lab', [pod('old')], nodes, new Map(), [], [t.placement]).placed[0];
    expect(fresh.ip).not.toBe(t.placement.ip);
    expect(fresh.netns).not.toBe(t.placement.netns);
    expect(fresh.hostVeth).not.toBe(t.placement.hostVeth);
    const without = placePods('lab', [pod('old')], nodes).placed[0];
    expect(without.ip).toBe(t.placement.ip); // what it would have had
  });
});

describe('the agent protocol: sync with terminate', () => {
  const spec = { key: 'default/a', namespace: 'default', name: 'a', node: 'node-1', netns: null, ip: '', hash: 'h', containers: [{ name: 'c', ports: [] }] };
  it.each<[string, unknown, string | null]>([
    ['valid', [{ key: 'default/b', graceMs: 2_000 }], null],
    ['not an array', { key: 'x' }, 'terminate must be an array'],
    ['a negative grace', [{ key: 'default/b', graceMs: -1 }], 'terminate[0].graceMs must be a number ≥ 0'],
    ['no key', [{ graceMs: 1 }], 'terminate[0].key must be a non-empty string'],
    ['a pod both to run and to terminate', [{ key: 'default/a', graceMs: 1 }], 'terminate[0]: pod default/a is also to run'],
  ])('%s', (_n, terminate, error) => {
    const r = parseRequest(JSON.stringify({ op: 'sync', pods: [spec], terminate }));
    if (error === null) expect(r).toMatchObject({ request: { op: 'sync', terminate } });
    else expect('error' in r ? r.error : '').toContain(error);
  });
});

describe('Killing events of a pod being deleted', () => {
  it('one per container, when the deletion was asked (deletionTimestamp less the grace period), "Stopping container NAME"', () => {
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd', uid: 'u1', creationTimestamp: AT, deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: 30 }, spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'x' }, { name: 'side', image: 'y' }] }, status: {} };
    const killing = podEvents([obj], [], AT).filter((e) => e.reason === 'Killing');
    expect(killing.map((e) => String(e.message)).sort()).toEqual(['Stopping container side', 'Stopping container web']);
    expect(new Set(killing.map((e) => e.firstTimestamp))).toEqual(new Set(['2026-01-01T00:00:30Z']));
    expect(podEvents([{ ...obj, metadata: { ...obj.metadata, deletionTimestamp: undefined } }], [], AT).filter((e) => e.reason === 'Killing')).toEqual([]);
  });
});

describe('the store follows a terminating pod', () => {
  const PODS = findResource('', 'v1', 'pods')!;
  const DEPLOYMENTS = findResource('apps', 'v1', 'deployments')!;
  const raw = (obj: Record<string, unknown>) => ({ obj, source: { file: 'f', doc: 0 }, prefix: '' });
  const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'solo', namespace: 'default', annotations: { note: 'mine' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
  const state = (objects: Record<string, unknown>[], placements: PlacedPod[], terminating?: TerminatingPod[]): LabState => ({ version: 1, config, phase: 'ready', createdAt: AT, nodes, placements, objects: objects.map(raw), ...(terminating ? { terminating } : {}) });
  const follow = (store: Store, s: LabState, pending: string[] = []) => {
    const cluster = placeOnto(readCluster(s.objects, { podCidr: config.podCidr }), s);
    syncStore(store, s, cluster, new Map(), new Set(['node-1']), new Set(pending), AT);
  };

  it('a bare pod keeps its object (uid, spec, origin) marked with its deletion, until it is gone', () => {
    const store = new Store();
    const placed = placePods('lab', readCluster([raw(bare)]).pods, nodes).placed;
    follow(store, state([bare], placed));
    const uid = store.get(PODS, 'default', 'solo')!.obj.metadata.uid;
    const model = readCluster([raw(bare)]).pods[0];
    const t: TerminatingPod = { placement: placed[0], pod: keptPod(model), at: AT, graceSeconds: 30 };
    // Deleted: between the write and the round the store keeps the marked pod while its deletion is pending.
    const e = store.get(PODS, 'default', 'solo')!;
    store.update(PODS, { ...e.obj, metadata: { ...e.obj.metadata, resourceVersion: undefined, deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 } });
    follow(store, state([], placed), ['Pod/default/solo']);
    expect(store.get(PODS, 'default', 'solo')?.obj.metadata.uid).toBe(uid);
    // The round made it terminating: still the same object, the user's, with its annotation.
    follow(store, state([], [], [t]));
    const during = store.get(PODS, 'default', 'solo')!;
    expect(during.obj.metadata).toMatchObject({ uid, annotations: { note: 'mine' }, deletionTimestamp: '2026-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 });
    expect(during.origin).toBe('user');
    follow(store, state([], []));
    expect(store.get(PODS, 'default', 'solo')).toBeUndefined();
  });

  it('a pod deleted by `podnet delete` (never marked in the store) gets the lab\'s marks: now + grace', () => {
    const store = new Store();
    const placed = placePods('lab', readCluster([raw(bare)]).pods, nodes).placed;
    follow(store, state([bare], placed));
    const t: TerminatingPod = { placement: placed[0], pod: keptPod(readCluster([raw(bare)]).pods[0]), at: AT, graceSeconds: 12 };
    follow(store, state([], [], [t]));
    expect(store.get(PODS, 'default', 'solo')!.obj.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:12Z', deletionGracePeriodSeconds: 12 });
  });

  it('a terminating pod does not keep a deleted namespace in the store', () => {
    const NAMESPACES = findResource('', 'v1', 'namespaces')!;
    const store = new Store();
    const inTeam = { ...bare, metadata: { ...bare.metadata, namespace: 'team' } };
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } };
    const placed = placePods('lab', readCluster([raw(inTeam)]).pods, nodes).placed;
    follow(store, state([ns, inTeam], placed));
    expect(store.get(NAMESPACES, '', 'team')).toBeDefined();
    const t: TerminatingPod = { placement: placed[0], pod: keptPod(readCluster([raw(inTeam)]).pods[0]), at: AT, graceSeconds: 30 };
    follow(store, state([], [], [t]));
    expect(store.get(NAMESPACES, '', 'team')).toBeUndefined();
    expect(store.get(PODS, 'team', 'solo')?.obj.metadata.deletionTimestamp).toBeDefined();
  });

  it('a workload does not count its terminating pods as replicas', () => {
    const store = new Store();
    const pods = readCluster([raw(deploy)]).pods;
    const placed = placePods('lab', pods, nodes).placed;
    follow(store, state([deploy], placed));
    expect((store.get(DEPLOYMENTS, 'default', 'web')!.obj.status as { replicas: number }).replicas).toBe(1);
    const t: TerminatingPod = { placement: placed[0], pod: keptPod(pods[0]), at: AT, graceSeconds: 30 };
    follow(store, state([{ ...deploy, spec: { ...deploy.spec, replicas: 0 } }], [], [t]));
    expect((store.get(DEPLOYMENTS, 'default', 'web')!.obj.status as { replicas: number }).replicas).toBe(0);
    expect(store.get(PODS, 'default', pods[0].name)?.obj.metadata.deletionTimestamp).toBe('2026-01-01T00:00:30Z');
  });
});
