/**
 * The store follows the lab: the objects as applied (`podnet up -f`, `podnet apply`) are the
 * user's; pods, nodes, EndpointSlices, namespaces and the system Services are the lab's, built
 * from the same view `podnet get` shows (src/lab/get-view.ts, status from the agents). Applied
 * objects get the fields the lab set (a Service's cluster IP and node ports, a pod's status).
 */
import { rawObjectKey } from '../api/default-namespace.js';
import { deletionDue } from '../model/api-time.js';
import type { AgentPodStatus } from '../lab/agent-client.js';
import { labView } from '../lab/get-view.js';
import { endpointsOf } from './endpoints.js';
import { podEvents, type ProbeKills } from './events.js';
import type { LabState } from '../lab/state.js';
import type { Cluster } from '../model/types.js';
import { controlledBy, deploymentReplicaSets, HASH_LABEL, REVISION } from './replica-sets.js';
import { RESOURCES, STORED_RESOURCES, resourceOfKind, objectKey, type ResourceInfo } from './resources.js';
import type { Obj, Store } from './store.js';

type Raw = Record<string, unknown>;

const metaOf = (o: Raw) => (o.metadata ?? {}) as { name?: string; namespace?: string };

/** What the lab reports for each resource: object by key. */
function labObjects(state: LabState, cluster: Cluster, statuses: Map<string, AgentPodStatus>, answered: ReadonlySet<string>): Map<string, { ri: ResourceInfo; obj: Raw }> {
  const out = new Map<string, { ri: ResourceInfo; obj: Raw }>();
  const put = (obj: Raw) => {
    const ri = resourceOfKind(String(obj.apiVersion ?? 'v1'), String(obj.kind));
    const m = metaOf(obj);
    if (!ri || !m.name) return;
    out.set(objectKey(ri, m.namespace ?? 'default', m.name), { ri, obj });
  };
  for (const kind of ['nodes', 'pods', 'services', 'endpointslices']) {
    for (const item of labView(kind, state, cluster, statuses, { allNamespaces: true }, answered).items as Raw[]) put({ apiVersion: kind === 'endpointslices' ? 'discovery.k8s.io/v1' : 'v1', ...item });
  }
  // The endpoints controller's v1 Endpoints, from the same slices.
  const of = (resource: string) => [...out.values()].filter((o) => o.ri.resource === resource).map((o) => o.obj);
  for (const ep of endpointsOf(of('services'), of('endpointslices'))) put(ep);
  for (const o of out.values()) {
    if (o.ri.resource !== 'nodes') continue;
    const st = (o.obj.status ?? {}) as Raw;
    o.obj = { ...o.obj, metadata: { ...metaOf(o.obj), creationTimestamp: state.createdAt }, status: { ...st, nodeInfo: { kubeletVersion: 'v1.32.0-podnet', kubeProxyVersion: 'v1.32.0-podnet', containerRuntimeVersion: 'podnet://0.1.0', osImage: 'podnet', kernelVersion: '', operatingSystem: 'linux', architecture: state.config.arch ?? '' } } };
  }
  const namespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', ...cluster.namespaces.map((n) => n.name)]);
  // A terminating pod does not keep its namespace: deleted, the namespace goes at once (as before
  // graceful deletion; a Terminating namespace is not modelled), not back again until its pods are gone.
  for (const o of [...out.values()]) if (o.ri.namespaced && !(o.obj.metadata as Raw | undefined)?.deletionTimestamp) namespaces.add(metaOf(o.obj).namespace ?? 'default');
  for (const name of namespaces) put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  return out;
}

/** What the lab set in a Service's spec (allocations, defaults) that the user's spec leaves out. */
function allocations(lab: Raw, mine: Raw): Raw {
  const keys = ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'type', 'sessionAffinity', 'internalTrafficPolicy', 'externalTrafficPolicy'];
  return Object.fromEntries(keys.filter((k) => lab[k] !== undefined && mine[k] === undefined).map((k) => [k, lab[k]]));
}

/** The fields of the lab's object a user's object gets (status; a Service's allocations). */
function overlay(user: Obj, lab: Raw, ri: ResourceInfo): Obj {
  if (ri.resource === 'services') {
    const s = (lab.spec ?? {}) as Raw;
    const mine = (user.spec ?? {}) as Raw;
    return { ...user, spec: { ...mine, ...allocations(s, mine), ports: s.ports ?? mine.ports }, status: (lab.status as Raw | undefined) ?? { loadBalancer: {} } };
  }
  if (ri.resource === 'nodes') return { ...user, status: lab.status };
  if (ri.resource === 'pods') return { ...user, spec: { ...((user.spec ?? {}) as Raw), nodeName: ((lab.spec ?? {}) as Raw).nodeName }, status: lab.status };
  return user;
}

const WORKLOADS: Record<string, string> = { Deployment: 'apps/v1', ReplicaSet: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1', Job: 'batch/v1' };
type Wanted = Map<string, { ri: ResourceInfo; obj: Obj; origin: 'user' | 'lab' }>;

/**
 * Pods name their workload with a full ownerReference (apiVersion, uid of the stored owner), and
 * a workload's status counts its pods as its controller would (replicas, ready, available).
 */
function workloadStatus(wanted: Wanted, store: Store): void {
  const owned = new Map<string, { total: number; ready: number }>();
  for (const w of wanted.values()) {
    if (w.ri.resource !== 'pods') continue;
    const refs = (w.obj.metadata.ownerReferences ?? []) as Raw[];
    const ns = w.obj.metadata.namespace ?? 'default';
    const ready = ((w.obj.status as Raw | undefined)?.conditions as Raw[] | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    // Terminating pods are not the workload's replicas any more (the controllers' FilterActivePods).
    const active = w.obj.metadata.deletionTimestamp === undefined;
    const tally = (kind: string, name: string) => {
      if (!active) return;
      const count = owned.get(`${kind}/${ns}/${name}`) ?? { total: 0, ready: 0 };
      count.total++;
      if (ready) count.ready++;
      owned.set(`${kind}/${ns}/${name}`, count);
    };
    const hash = w.obj.metadata.labels?.[HASH_LABEL];
    w.obj = { ...w.obj, metadata: { ...w.obj.metadata, ownerReferences: refs.map((r) => {
      let kind = String(r.kind);
      let name = String(r.name);
      tally(kind, name);
      // A Deployment's pods belong to the ReplicaSet of their template (deploymentHistory).
      if (kind === 'Deployment' && hash) {
        kind = 'ReplicaSet';
        name = `${name}-${hash}`;
        tally(kind, name);
      }
      const apiVersion = WORKLOADS[kind] ?? 'v1';
      const ri = resourceOfKind(apiVersion, kind);
      const owner = ri ? store.get(ri, ns, name) : undefined;
      return { apiVersion, kind, name, uid: owner?.obj.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
    }) } };
  }
  for (const w of wanted.values()) {
    if (!(w.ri.kind in WORKLOADS)) continue;
    const m = w.obj.metadata;
    const c = owned.get(`${w.ri.kind}/${m.namespace ?? 'default'}/${m.name}`) ?? { total: 0, ready: 0 };
    const generation = store.get(w.ri, m.namespace ?? '', m.name)?.obj.metadata.generation ?? 1;
    // Each kind's own status fields (DeploymentStatus has no currentReplicas, ReplicaSetStatus no
    // updatedReplicas): a client that validates strictly must find nothing unknown.
    const counts = w.ri.kind === 'DaemonSet'
      ? { currentNumberScheduled: c.total, desiredNumberScheduled: c.total, numberReady: c.ready, numberAvailable: c.ready, updatedNumberScheduled: c.total, numberMisscheduled: 0 }
      : w.ri.kind === 'Job' ? { active: c.total - c.ready }
      : w.ri.kind === 'StatefulSet' ? { replicas: c.total, readyReplicas: c.ready, availableReplicas: c.ready, updatedReplicas: c.total, currentReplicas: c.total }
      : w.ri.kind === 'ReplicaSet' ? { replicas: c.total, fullyLabeledReplicas: c.total, readyReplicas: c.ready, availableReplicas: c.ready }
      : { replicas: c.total, readyReplicas: c.ready, availableReplicas: c.ready, updatedReplicas: c.total, ...(c.total > c.ready ? { unavailableReplicas: c.total - c.ready } : {}) };
    w.obj = { ...w.obj, status: { observedGeneration: generation, ...counts } };
  }
}

const REPLICA_SETS = resourceOfKind('apps/v1', 'ReplicaSet')!;
const DEPLOYMENTS = resourceOfKind('apps/v1', 'Deployment')!;

/**
 * Every Deployment's ReplicaSets (replica-sets.ts): the current template's and the history, from
 * those the store holds; each Deployment gets its revision annotation. A new ReplicaSet is
 * stored at once, so its pods' ownerReferences can carry its uid.
 */
function deploymentHistory(wanted: Wanted, store: Store): void {
  const labSets = store.list(REPLICA_SETS).filter((e) => e.origin === 'lab').map((e) => e.obj);
  for (const w of [...wanted.values()]) {
    if (w.ri.kind !== 'Deployment') continue;
    const m = w.obj.metadata;
    const ns = m.namespace ?? 'default';
    const uid = store.get(DEPLOYMENTS, ns, m.name)?.obj.metadata.uid ?? '';
    const existing = labSets.filter((rs) => (rs.metadata.namespace ?? 'default') === ns && controlledBy(rs, m.name, uid));
    const { replicaSets, revision } = deploymentReplicaSets(w.obj, uid, existing);
    for (const rs of replicaSets) {
      const key = objectKey(REPLICA_SETS, ns, rs.metadata.name);
      if (wanted.has(key)) continue; // a ReplicaSet the user applied under that name stays the user's
      if (!store.get(REPLICA_SETS, ns, rs.metadata.name)) store.create(REPLICA_SETS, rs, 'lab');
      wanted.set(key, { ri: REPLICA_SETS, obj: rs, origin: 'lab' });
    }
    w.obj = { ...w.obj, metadata: { ...m, annotations: { ...m.annotations, [REVISION]: String(revision) } } };
  }
}

/**
 * Makes the store hold the lab as it is: applied objects (as applied, plus the lab's fields),
 * lab-made objects added, changed or removed. Writes only what changed.
 */
export function syncStore(store: Store, state: LabState, cluster: Cluster, statuses: Map<string, AgentPodStatus>, answered: ReadonlySet<string>, pending: ReadonlySet<string> = new Set(), now = new Date().toISOString()): void {
  const lab = labObjects(state, cluster, statuses, answered);
  const wanted = new Map<string, { ri: ResourceInfo; obj: Obj; origin: 'user' | 'lab' }>();
  for (const raw of state.objects) {
    const obj = raw.obj as Raw;
    const ri = resourceOfKind(String(obj.apiVersion ?? ''), String(obj.kind));
    const m = metaOf(obj);
    if (!ri || !m.name) continue;
    const key = objectKey(ri, m.namespace || 'default', m.name);
    const applied = { ...obj, metadata: { ...(obj.metadata as Raw), ...(ri.namespaced ? { namespace: m.namespace || 'default' } : {}) } } as Obj;
    const fromLab = lab.get(key);
    wanted.set(key, { ri, obj: fromLab ? overlay(applied, fromLab.obj, ri) : applied, origin: 'user' });
  }
  for (const [key, o] of lab) {
    if (wanted.has(key)) continue;
    // A terminating pod keeps its object as stored (a bare pod stays the user's), with the lab's status.
    const deletion = o.ri.resource === 'pods' ? (o.obj.metadata as Raw | undefined) : undefined;
    const current = deletion?.deletionTimestamp ? store.get(PODS, metaOf(o.obj).namespace ?? 'default', metaOf(o.obj).name ?? '') : undefined;
    if (current && deletion) {
      const kept = current.obj.metadata.deletionTimestamp ? {} : { deletionTimestamp: deletion.deletionTimestamp, deletionGracePeriodSeconds: deletion.deletionGracePeriodSeconds };
      const obj = overlay(current.obj, o.obj, o.ri);
      wanted.set(key, { ri: o.ri, obj: { ...obj, metadata: { ...obj.metadata, ...kept } } as Obj, origin: current.origin });
    }
    else wanted.set(key, { ri: o.ri, obj: o.obj as Obj, origin: 'lab' });
  }
  deploymentHistory(wanted, store);
  workloadStatus(wanted, store);
  for (const e of store.all()) {
    if (wanted.has(e.key) || (e.resource === 'events' && e.origin === 'lab')) continue; // events: syncEvents
    if (deletionPending(e.obj, e.resource, pending)) continue;
    const w = e.obj.metadata;
    const ri = resourceOfKind(String(e.obj.apiVersion ?? ''), String(e.obj.kind ?? ''));
    if (ri) store.delete(ri, w.namespace ?? '', w.name);
  }
  // Pods first: the endpoints' targetRefs then carry the uid of the pod object they name.
  const refersToPods = (w: { ri: ResourceInfo }) => w.ri.kind === 'EndpointSlice' || w.ri.kind === 'Endpoints';
  const ordered = [...wanted.values()].filter((w) => !refersToPods(w)).concat([...wanted.values()].filter(refersToPods).map((w) => ({ ...w, obj: withPodUids(store, w.obj) })));
  for (const w of ordered) {
    const current = store.get(w.ri, w.obj.metadata.namespace ?? '', w.obj.metadata.name);
    const obj = withDeletion({ apiVersion: String(w.obj.apiVersion ?? ''), kind: w.ri.kind, ...w.obj } as Obj, current?.obj);
    const stored = !current ? store.create(w.ri, obj, w.origin) : store.update(w.ri, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }, w.origin);
    // A workload with no write pending has been acted on by the lab in this generation: its
    // status says so (observedGeneration), as its controller's would; one with a write pending not yet.
    const status = stored.status as Record<string, unknown> | undefined;
    if (w.ri.kind in WORKLOADS && status && status.observedGeneration !== stored.metadata.generation && !pending.has(rawObjectKey({ obj: stored }))) {
      store.update(w.ri, { ...stored, metadata: { ...stored.metadata, resourceVersion: undefined }, status: { ...status, observedGeneration: stored.metadata.generation } });
    }
  }
  syncEvents(store, now, probeKills(statuses));
}

/** A pod marked for deletion whose deletion the lab has not acted on yet: it stays until the lab has made it terminating. */
function deletionPending(obj: Obj, resource: string, pending: ReadonlySet<string>): boolean {
  if (resource !== 'pods' || typeof obj.metadata.deletionTimestamp !== 'string') return false;
  const at = `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
  return pending.has(at) || pending.has(`Pod/${at}`);
}

/**
 * An EndpointSlice's or Endpoints' object with the uid of each Pod its targetRefs name, as the
 * endpointslice and endpoints controllers write them (`UID: pod.UID` in the ObjectReference).
 */
function withPodUids(store: Store, obj: Obj): Obj {
  const withUid = (ref: unknown): unknown => {
    const r = ref as Raw | undefined;
    if (!r || r.kind !== 'Pod') return ref;
    const uid = store.get(PODS, String(r.namespace ?? ''), String(r.name ?? ''))?.obj.metadata.uid;
    return uid ? { ...r, uid } : ref;
  };
  const endpoint = (e: Raw) => (e.targetRef ? { ...e, targetRef: withUid(e.targetRef) } : e);
  const o = obj as Raw;
  if (Array.isArray(o.endpoints)) return { ...obj, endpoints: (o.endpoints as Raw[]).map(endpoint) } as Obj;
  if (Array.isArray(o.subsets)) {
    const subset = (sub: Raw) => ({ ...sub, ...['addresses', 'notReadyAddresses'].reduce<Raw>((acc, k) => (Array.isArray(sub[k]) ? { ...acc, [k]: (sub[k] as Raw[]).map(endpoint) } : acc), {}) });
    return { ...obj, subsets: (o.subsets as Raw[]).map(subset) } as Obj;
  }
  return obj;
}

/** The agents' probe kills by pod key and container (app and init containers). */
function probeKills(statuses: ReadonlyMap<string, AgentPodStatus>): Map<string, ProbeKills> {
  const out = new Map<string, ProbeKills>();
  for (const [key, s] of statuses) {
    const all = [...s.containers, ...(s.initContainers ?? []).filter((c) => c !== null)];
    const byContainer = new Map(all.filter((c) => c.probeKills !== undefined).map((c) => [c.name, c.probeKills!]));
    if (byContainer.size > 0) out.set(key, byContainer);
  }
  return out;
}

const EVENTS = RESOURCES.find((r) => r.group === '' && r.resource === 'events')!;
const PODS = RESOURCES.find((r) => r.group === '' && r.resource === 'pods')!;

/**
 * The pods' events as the scheduler and kubelets would have recorded them (src/apiserver/events.ts),
 * from the pods as stored (their uids are the store's): added, changed or removed with the pods.
 * An event that says what it said before is no write.
 */
export function syncEvents(store: Store, now: string, kills: ReadonlyMap<string, ProbeKills> = new Map()): void {
  const previous = store.list(EVENTS).filter((e) => e.origin === 'lab');
  const next = podEvents(store.list(PODS).map((e) => e.obj), previous.map((e) => e.obj), now, kills);
  const keep = new Set(next.map((e) => `${e.metadata.namespace ?? ''}/${e.metadata.name}`));
  for (const e of previous) if (!keep.has(`${e.obj.metadata.namespace ?? ''}/${e.obj.metadata.name}`)) store.delete(EVENTS, e.obj.metadata.namespace ?? '', e.obj.metadata.name);
  for (const e of next) {
    const current = store.get(EVENTS, e.metadata.namespace ?? '', e.metadata.name);
    if (!current) store.create(EVENTS, e, 'lab');
    else store.update(EVENTS, { ...e, metadata: { ...e.metadata, resourceVersion: undefined } }, 'lab');
  }
}

/**
 * An accepted write shown in the store at once, before the lab has it (O(1) per write: the next
 * follow brings what the lab makes of it — pods, slices, allocations). An object keeps the fields
 * the lab gave it (status; a Service's allocations) until then.
 */
export function showWrite(store: Store, changes: readonly { key: string; obj?: Raw; replace?: true; grace?: number }[], now = Date.now()): void {
  for (const c of changes) {
    if (c.replace) {
      // A workload's pod deleted gracefully: marked until the lab has ended it.
      const [ns, name] = c.key.split('/');
      const e = store.get(PODS, ns, name);
      if (e && c.grace !== undefined && c.grace > 0) markDeleted(store, e.obj, c.grace, now);
      continue;
    }
    const [kind, ns, name] = c.key.split('/');
    if (!c.obj) {
      const info = STORED_RESOURCES.find((r) => r.kind === kind);
      const e = info ? store.get(info, info.namespaced ? ns : '', name) : undefined;
      // A pod deleted gracefully stays, marked, while it terminates (the follow removes it when it is gone).
      if (info?.resource === 'pods' && info.group === '' && e && c.grace !== undefined && c.grace > 0) markDeleted(store, e.obj, c.grace, now);
      else if (info && e?.origin === 'user') store.delete(info, info.namespaced ? ns : '', name);
      continue;
    }
    const info = ri(c.obj);
    if (!info) continue;
    const namespace = info.namespaced ? ns : '';
    const current = store.get(info, namespace, name);
    const obj = { ...c.obj, metadata: { ...metaOf(c.obj), ...(info.namespaced ? { namespace } : {}) } } as Obj;
    if (!current) store.create(info, obj, 'user');
    else store.update(info, { ...keepLabFields(obj, current.obj, info), metadata: { ...obj.metadata, resourceVersion: undefined } }, 'user');
  }
}

/**
 * A pod's graceful deletion as the registry records it: deletionTimestamp (now plus the grace
 * period, deletionDue) and deletionGracePeriodSeconds. A pod marked already keeps its marks
 * unless this deletion is shorter.
 */
function markDeleted(store: Store, pod: Obj, grace: number, now: number): void {
  const m = pod.metadata;
  if (typeof m.deletionGracePeriodSeconds === 'number' && m.deletionGracePeriodSeconds <= grace) return;
  store.update(PODS, { ...pod, metadata: { ...m, resourceVersion: undefined, deletionTimestamp: deletionDue(now, grace) ?? undefined, deletionGracePeriodSeconds: grace } });
}

const ri = (o: Raw) => resourceOfKind(String(o.apiVersion ?? ''), String(o.kind ?? ''));

function keepLabFields(user: Obj, stored: Obj, info: ResourceInfo): Obj {
  const status = stored.status === undefined ? {} : { status: stored.status };
  if (info.resource !== 'services') return withDeletion({ ...user, ...status }, stored);
  const s = (stored.spec ?? {}) as Raw;
  const mine = (user.spec ?? {}) as Raw;
  return withDeletion({ ...user, spec: { ...mine, ...allocations(s, mine) }, ...status }, stored);
}

/** An object being deleted (finalizers hold it) stays marked: the lab's copy has no server fields. */
function withDeletion(obj: Obj, stored: Obj | undefined): Obj {
  const m = stored?.metadata;
  if (typeof m?.deletionTimestamp !== 'string') return obj;
  return { ...obj, metadata: { ...obj.metadata, deletionTimestamp: m.deletionTimestamp, deletionGracePeriodSeconds: m.deletionGracePeriodSeconds ?? 0 } };
}
