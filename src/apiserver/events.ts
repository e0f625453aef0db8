/**
 * core/v1 Events derived from the pods as the store holds them (pure): what the scheduler and
 * each node's kubelet would have recorded for the state the lab reports. `Scheduled` (the
 * scheduler's binding), `Started` per running container, `BackOff` for a container waiting in
 * CrashLoopBackOff, `Unhealthy` for a started container that is not ready, `Killing` for each
 * container the kubelet killed because its liveness or startup probe failed (from the agents'
 * reports, `kills`) and for each container of a pod being deleted (deletionTimestamp), and `FailedCreatePodSandBox` when the pod's sandbox could not be made.
 *
 * Same input, same output: every timestamp comes from the pod (creationTimestamp, a container's
 * startedAt) or from the event as it was last derived (`previous`), so a store that follows the
 * lab every second writes an event only when what it says changed. `now` is read only for an
 * event seen for the first time that the pod has no time for (BackOff, Unhealthy, sandbox).
 * A pod's events stay while the pod (by uid) does, as a cluster keeps them after the state they
 * describe has passed; they go with it.
 */
import { apiTime } from '../model/api-time.js';
import type { Obj } from './store.js';

type Raw = Record<string, unknown>;
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** FNV-1a, 64 bits, as 16 hex digits: a stable name suffix with no `node:` crypto. */
export function hash16(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

/** MicroTime keeps microseconds (metav1.Time, whole seconds: apiTime). */
const toMicroTime = (iso: string): string | null => (Number.isNaN(Date.parse(iso)) ? null : new Date(Date.parse(iso)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'));

interface Pod { name: string; namespace: string; uid: string; node: string; created: string }

/** kubelet's recorder (client-go tools/record): count, first and last seen, source and reporter the node's kubelet. */
function kubeletEvent(pod: Pod, prev: Any | undefined, e: { reason: string; type: 'Normal' | 'Warning'; message: string; container?: string; first: string; last: string; count: number }): Obj {
  // An event seen before keeps when it was first seen ("x3 over 5m" in kubectl describe).
  const first = (prev?.firstTimestamp as string | undefined) ?? apiTime(e.first);
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: eventName(pod, e.reason, e.container), namespace: pod.namespace },
    involvedObject: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1', ...(e.container ? { fieldPath: `spec.containers{${e.container}}` } : {}) },
    reason: e.reason, message: e.message,
    source: { component: 'kubelet', host: pod.node },
    firstTimestamp: first, lastTimestamp: apiTime(e.last), count: e.count, type: e.type,
    eventTime: null, reportingComponent: 'kubelet', reportingInstance: pod.node,
  };
}

/**
 * The scheduler records through events.k8s.io/v1: read as core/v1 its event has eventTime (a
 * MicroTime), no first/last timestamp or count, an empty source and the reporting fields
 * (kubectl describe's From falls back to reportingComponent, its Age to eventTime).
 */
function scheduledEvent(pod: Pod, prev: Any | undefined, startedAt: readonly string[]): Obj {
  // Bound before any container started: the store may have made the pod after the lab started
  // it, so the earliest start bounds the time; once recorded, the time stays.
  const at = [pod.created, ...startedAt].filter((t) => !Number.isNaN(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? pod.created;
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name: eventName(pod, 'Scheduled'), namespace: pod.namespace },
    involvedObject: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1' },
    reason: 'Scheduled', message: `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node}`,
    source: {}, firstTimestamp: null, lastTimestamp: null, type: 'Normal',
    eventTime: (prev?.eventTime as string | undefined) ?? toMicroTime(at), action: 'Binding', reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-podnet',
  };
}

/** `<pod>.<16 hex>`, as kubelet names its events; the hash covers the pod's uid, so a pod made again under the same name starts afresh. */
export function eventName(pod: { name: string; uid: string }, reason: string, container = ''): string {
  return `${pod.name}.${hash16(`${pod.uid}/${reason}/${container}`)}`;
}

/** Per container: the kubelet's kills for a failed probe, by probe (the agents' `probeKills`). */
export type ProbeKills = ReadonlyMap<string, Partial<Record<'liveness' | 'startup', { count: number; first: string; last: string }>>>;

function eventsOfPod(pod: Pod, o: Obj, prev: (name: string) => Any | undefined, now: string, kills: ProbeKills | undefined): Obj[] {
  const out: Obj[] = [];
  const st = (o.status ?? {}) as Any;
  const at = (reason: string, container?: string) => prev(eventName(pod, reason, container));
  const starts = ((st.containerStatuses ?? []) as Any[]).map((c) => c?.state?.running?.startedAt).filter((t): t is string => typeof t === 'string');
  out.push(scheduledEvent(pod, at('Scheduled'), starts));
  if (st.reason === 'FailedCreatePodSandBox') {
    const p = at('FailedCreatePodSandBox');
    out.push(kubeletEvent(pod, p, { reason: 'FailedCreatePodSandBox', type: 'Warning', message: `Failed to create pod sandbox: ${String(st.message ?? '')}`, first: now, last: (p?.lastTimestamp as string | undefined) ?? now, count: 1 }));
  }
  const images = new Map(((((o.spec ?? {}) as Any).containers ?? []) as Any[]).filter((c) => typeof c?.image === 'string').map((c) => [String(c.name), String(c.image)]));
  for (const c of (st.containerStatuses ?? []) as Any[]) {
    const name = String(c.name ?? '');
    const restarts = Number(c.restartCount ?? 0);
    const running = c.state?.running as Any | undefined;
    if (running?.startedAt) {
      // kubelet records Pulled, Created and Started each time the container starts: once plus
      // once per restart. The image is "present" (a lab's image is the host's filesystem, always
      // there), so Pulled carries the image manager's message for an image it did not pull.
      const when = { container: name, first: String(running.startedAt), last: String(running.startedAt), count: restarts + 1 };
      const image = images.get(name);
      if (image !== undefined) out.push(kubeletEvent(pod, at('Pulled', name), { reason: 'Pulled', type: 'Normal', message: `Container image ${JSON.stringify(image)} already present on machine`, ...when }));
      out.push(kubeletEvent(pod, at('Created', name), { reason: 'Created', type: 'Normal', message: `Created container: ${name}`, ...when }));
      out.push(kubeletEvent(pod, at('Started', name), { reason: 'Started', type: 'Normal', message: `Started container ${name}`, ...when }));
    }
    if (c.state?.waiting?.reason === 'CrashLoopBackOff') {
      // kubelet: "Back-off restarting failed container %s in pod %s", the pod as format.Pod writes it: name_namespace(uid).
      const p = at('BackOff', name);
      const last = p && p.count === Math.max(1, restarts) ? String(p.lastTimestamp) : now;
      out.push(kubeletEvent(pod, p, { reason: 'BackOff', type: 'Warning', message: `Back-off restarting failed container ${name} in pod ${pod.name}_${pod.namespace}(${pod.uid})`, container: name, first: now, last, count: Math.max(1, restarts) }));
    }
    if (running && c.started === true && c.ready === false) {
      // The prober's event: "<probe type> probe failed: <output>"; the lab's status carries no probe output unless it has a message.
      const p = at('Unhealthy', name);
      const detail = typeof c.message === 'string' && c.message !== '' ? c.message : 'the container did not pass its readiness probe';
      out.push(kubeletEvent(pod, p, { reason: 'Unhealthy', type: 'Warning', message: `Readiness probe failed: ${detail}`, container: name, first: now, last: (p?.lastTimestamp as string | undefined) ?? now, count: 1 }));
    }
  }
  const deleted = typeof o.metadata.deletionTimestamp === 'string' ? Date.parse(o.metadata.deletionTimestamp) : NaN;
  if (!Number.isNaN(deleted)) {
    // kubelet's killContainer, for each container of a pod being deleted: "Stopping container %s",
    // when the deletion was asked (deletionTimestamp is that plus the grace period).
    const grace = typeof o.metadata.deletionGracePeriodSeconds === 'number' ? o.metadata.deletionGracePeriodSeconds : 0;
    const when = new Date(deleted - grace * 1000).toISOString();
    for (const name of images.keys()) out.push(kubeletEvent(pod, at('Killing', name), { reason: 'Killing', type: 'Normal', message: `Stopping container ${name}`, container: name, first: when, last: when, count: 1 }));
  }
  for (const [name, byRole] of kills ?? []) {
    for (const role of ['liveness', 'startup'] as const) {
      const k = byRole[role];
      if (!k) continue;
      // kubelet (kuberuntime): "Container %s failed %s probe, will be restarted", a Normal event.
      const p = prev(eventName(pod, 'Killing', `${name}/${role}`));
      const e = kubeletEvent(pod, p, { reason: 'Killing', type: 'Normal', message: `Container ${name} failed ${role} probe, will be restarted`, container: name, first: k.first, last: k.last, count: k.count });
      out.push({ ...e, metadata: { ...e.metadata, name: eventName(pod, 'Killing', `${name}/${role}`) } });
    }
  }
  return out;
}

/**
 * The events of `pods` (objects as stored: metadata.uid, spec.nodeName, status), given the
 * events as last derived. A pod not bound to a node (Pending, unscheduled) has none yet.
 * Sorted by namespace and name.
 */
export function podEvents(pods: readonly Obj[], previous: readonly Obj[], now: string, kills: ReadonlyMap<string, ProbeKills> = new Map()): Obj[] {
  const before = new Map(previous.map((e) => [`${e.metadata.namespace ?? ''}/${e.metadata.name}`, e as Any]));
  const out = new Map<string, Obj>();
  const uids = new Set<string>();
  for (const o of pods) {
    const m = o.metadata;
    const node = ((o.spec ?? {}) as Raw).nodeName;
    if (!m?.name || !m.uid || typeof node !== 'string' || node === '') continue;
    const pod: Pod = { name: m.name, namespace: m.namespace ?? 'default', uid: m.uid, node, created: m.creationTimestamp ?? now };
    uids.add(pod.uid);
    for (const e of eventsOfPod(pod, o, (name) => before.get(`${pod.namespace}/${name}`), now, kills.get(`${pod.namespace}/${pod.name}`))) out.set(`${pod.namespace}/${e.metadata.name}`, e);
  }
  // What was recorded before and is no longer derived stays while its pod does.
  for (const [key, e] of before) {
    if (!out.has(key) && uids.has(String((e.involvedObject as Raw | undefined)?.uid ?? ''))) out.set(key, e as Obj);
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
}
