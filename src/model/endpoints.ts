/**
 * The EndpointSlice controller (pure): which pods back each Service, on which ports, in which
 * slices — following kube-controller-manager's endpointslice reconciler. Selectorless Services
 * keep the EndpointSlices (and v1 Endpoints, mirrored) given in the manifests.
 */
import { parseIPv4 } from './ip.js';
import { generatedSuffix } from './names.js';
import { DEFAULT_AFFINITY_TIMEOUT, type ServiceAllocation, type ServiceEndpoint, type ServiceEntry, type ServiceTable } from './service-table.js';
import { cmp, serviceKey } from './services.js';
import type { Cluster, Endpoint, EndpointSlice, Pod, Protocol, Service } from './types.js';
import { podKey } from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** kube-controller-manager's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

/**
 * What the controller needs of a pod's status: ready, not ready, or terminal (phase Succeeded
 * or Failed: every container exited and the restart policy starts none again).
 */
export type PodEndpointStatus = 'ready' | 'notReady' | 'terminal';
/** A pod's endpoint status by "namespace/name". */
export type PodStatusLookup = (podKey: string) => PodEndpointStatus;

/** A lookup from a readiness predicate (callers that know no terminal pods). */
export function readyWhen(isReady: (podKey: string) => boolean): PodStatusLookup {
  return (key) => (isReady(key) ? 'ready' : 'notReady');
}

type SlicePort = EndpointSlice['ports'][number];

/** A Service the controller manages: it has a non-empty selector and is not ExternalName. */
export function hasSelector(s: Service): boolean {
  // "services with Type ExternalName receive no endpoints from this controller";
  // "services without a selector receive no endpoint slices from this controller".
  return s.type !== 'ExternalName' && s.selector !== null && Object.keys(s.selector).length > 0;
}

/**
 * Every EndpointSlice of the cluster: the controller's for Services with a selector, the
 * manifests' for the rest. Manifest slices of a Service with a selector are dropped: the
 * controller owns those (a cluster dump's copies would be stale).
 */
export function endpointSlicesFor(cluster: Cluster, podStatus: PodStatusLookup): EndpointSlice[] {
  const managed = cluster.services.filter(hasSelector).sort((a, b) => cmp(serviceKey(a), serviceKey(b)));
  const managedKeys = new Set(managed.map(serviceKey));
  const generated = managed.flatMap((s) => controllerSlices(s, cluster.pods, podStatus));
  const given = cluster.endpointSlices.filter((sl) => !managedKeys.has(`${sl.namespace}/${sl.serviceName}`));
  return [...generated, ...given].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.serviceName, b.serviceName) || cmp(a.name, b.name));
}

/** The slices of one Service: endpoints grouped by their resolved port set, at most 100 a slice. */
function controllerSlices(s: Service, pods: readonly Pod[], podStatus: PodStatusLookup): EndpointSlice[] {
  const groups = new Map<string, { ports: SlicePort[]; endpoints: Endpoint[] }>();
  const members = pods.filter((p) => p.namespace === s.namespace && selects(s, p) && shouldBeInEndpoints(p, podStatus)).sort((a, b) => cmp(a.name, b.name));
  for (const pod of members) {
    const ports = endpointPorts(s, pod);
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, endpoints: [] };
    group.endpoints.push(podEndpoint(s, pod, podStatus(podKey(pod)) === 'ready'));
    groups.set(key, group);
  }
  // "When no endpoint slices would usually exist, we need to add a placeholder": no ports, no endpoints.
  if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
  const names = new Set<string>();
  return [...groups.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .flatMap(([key, g]) =>
      chunks(g.endpoints, MAX_ENDPOINTS_PER_SLICE).map((endpoints, i) => ({
        namespace: s.namespace,
        name: sliceName(s, `${key}#${i}`, names),
        serviceName: s.name,
        addressType: 'IPv4',
        ports: g.ports,
        endpoints,
        source: s.source,
      })),
    );
}

/**
 * ShouldPodBeInEndpoints (k8s.io/endpointslice/util, formerly pkg/controller/util/endpoint):
 * "Terminal" describes when
 * a Pod is complete (in a succeeded or failed phase) — `if podutil.IsPodTerminal(pod) { return
 * false }`; and `if len(pod.Status.PodIP) == 0 && len(pod.Status.PodIPs) == 0 { return false }`.
 * Terminating pods (deletionTimestamp set, a lab's pods in their grace period) stay: the
 * EndpointSlice controller calls it with includeTerminating true and marks them (podEndpoint).
 */
export function shouldBeInEndpoints(pod: Pod, podStatus: PodStatusLookup): boolean {
  return pod.ip !== '' && podStatus(podKey(pod)) !== 'terminal';
}

/** The Service's selector picks the pod (a selector is labels that must all be equal). */
export function selects(s: Service, pod: Pod): boolean {
  return Object.entries(s.selector ?? {}).every(([k, v]) => pod.labels[k] === v);
}

/**
 * The ports a pod offers for the Service (getEndpointPorts): a numeric targetPort as is; a named
 * one resolved against the pod's container ports "by name AND protocol" (podutil.FindPort). A
 * service port the pod cannot resolve is left out, so the pod lands in a slice without it.
 */
export function endpointPorts(s: Service, pod: Pod): SlicePort[] {
  const out: SlicePort[] = [];
  for (const sp of s.ports) {
    const port = typeof sp.targetPort === 'number' ? sp.targetPort : namedPort(pod, sp.targetPort, sp.protocol);
    if (port !== undefined) out.push({ name: sp.name ?? '', port, protocol: sp.protocol });
  }
  return out;
}

function namedPort(pod: Pod, name: string, protocol: Protocol): number | undefined {
  for (const c of pod.containers) for (const p of c.ports) if (p.name === name && p.protocol === protocol) return p.containerPort;
  return undefined;
}

/** podToEndpoint: a hostNetwork pod is an endpoint too, at its node's IP (its pod IP). */
function podEndpoint(s: Service, pod: Pod, podReady: boolean): Endpoint {
  const serving = podReady;
  // "terminating indicates that this endpoint is terminating" (the pod's deletionTimestamp is set).
  const terminating = pod.deletion !== undefined;
  // "For compatibility reasons, "ready" should never be "true" if a pod is terminating, unless
  // publishNotReadyAddresses was set." — ready := publishNotReadyAddresses || (serving && !terminating)
  const ready = s.publishNotReadyAddresses || (serving && !terminating);
  return {
    addresses: [pod.ip],
    ready,
    serving,
    terminating,
    // ShouldSetHostname: len(pod.Spec.Hostname) > 0 && pod.Spec.Subdomain == svc.Name (same namespace)
    ...(pod.hostname && pod.subdomain === s.name ? { hostname: pod.hostname } : {}),
    ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.namespace, name: pod.name },
  };
}

/**
 * generateName "<service>-" plus five characters, the base cut to 58 characters as apiserver's
 * name generator does; deterministic here (seeded by Service and port set), unique per Service.
 */
function sliceName(s: Service, seed: string, taken: Set<string>): string {
  const base = `${s.name}-`.slice(0, 58);
  let name = base + generatedSuffix(`${serviceKey(s)}/${seed}`);
  for (let n = 1; taken.has(name); n++) name = base + generatedSuffix(`${serviceKey(s)}/${seed}/${n}`);
  taken.add(name);
  return name;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  if (items.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The service table kube-proxy would build: one entry per Service the API server accepted
 * (headless and ExternalName included, without a VIP), each port with its endpoints from the
 * Service's slices. A slice port serves a Service port when name and protocol match; the
 * endpoint's port is the slice port's number. Like kube-proxy, only an endpoint's first address
 * counts, and an address:port seen in two slices is one endpoint.
 */
export function buildServiceTable(cluster: Cluster, allocations: ReadonlyMap<string, ServiceAllocation>, slices: readonly EndpointSlice[], nodeOf: (ip: string) => string | undefined): ServiceTable {
  const byService = new Map<string, EndpointSlice[]>();
  for (const sl of slices) {
    const key = `${sl.namespace}/${sl.serviceName}`;
    byService.set(key, [...(byService.get(key) ?? []), sl]);
  }
  const services = [...cluster.services]
    .sort((a, b) => cmp(serviceKey(a), serviceKey(b)))
    .filter((s) => allocations.has(serviceKey(s)))
    .map((s) => serviceEntry(s, allocations.get(serviceKey(s))!, s.type === 'ExternalName' ? [] : byService.get(serviceKey(s)) ?? [], nodeOf));
  return { services };
}

function serviceEntry(s: Service, alloc: ServiceAllocation, slices: readonly EndpointSlice[], nodeOf: (ip: string) => string | undefined): ServiceEntry {
  return {
    key: serviceKey(s),
    type: s.type,
    ...(alloc.clusterIP ? { clusterIP: alloc.clusterIP } : {}),
    ...(alloc.loadBalancerIP ? { loadBalancerIP: alloc.loadBalancerIP } : {}),
    ports: s.ports.map((p) => {
      const nodePort = alloc.nodePorts[p.name ?? ''];
      return { name: p.name ?? '', protocol: p.protocol, port: p.port, ...(nodePort !== undefined ? { nodePort } : {}), endpoints: portEndpoints(p.name ?? '', p.protocol, slices, nodeOf) };
    }),
    sessionAffinity: s.sessionAffinity,
    // "timeoutSeconds specifies the seconds of ClientIP type session sticky time ... Default value is 10800 (for 3 hours)."
    affinityTimeoutSeconds: s.sessionAffinityTimeout ?? DEFAULT_AFFINITY_TIMEOUT,
    externalTrafficPolicy: s.externalTrafficPolicy,
    internalTrafficPolicy: s.internalTrafficPolicy,
  };
}

function portEndpoints(name: string, protocol: Protocol, slices: readonly EndpointSlice[], nodeOf: (ip: string) => string | undefined): ServiceEndpoint[] {
  const out = new Map<string, ServiceEndpoint>();
  for (const sl of slices.filter((x) => x.addressType === 'IPv4')) {
    const sp = sl.ports.find((p) => (p.name ?? '') === name && p.protocol === protocol);
    if (!sp) continue;
    for (const e of sl.endpoints) {
      const ip = e.addresses[0];
      if (ip === undefined || parseIPv4(ip) === null || out.has(`${ip}:${sp.port}`)) continue;
      const pod = e.targetRef?.kind === 'Pod' ? { podKey: `${e.targetRef.namespace}/${e.targetRef.name}` } : {};
      out.set(`${ip}:${sp.port}`, { ip, port: sp.port, node: e.nodeName ?? nodeOf(ip) ?? '', ready: e.ready, serving: e.serving, terminating: e.terminating, ...pod });
    }
  }
  return [...out.values()].sort((a, b) => parseIPv4(a.ip)! - parseIPv4(b.ip)! || a.port - b.port);
}

/** ip → node name: pods' IPs (hostNetwork pods have their node's) and nodes' internal IPs. */
export function nodeLookup(cluster: Cluster): (ip: string) => string | undefined {
  const byIP = new Map<string, string>();
  for (const n of cluster.nodes) if (n.internalIP) byIP.set(n.internalIP, n.name);
  for (const p of cluster.pods) if (p.ip && p.nodeName && !byIP.has(p.ip)) byIP.set(p.ip, p.nodeName);
  return (ip) => byIP.get(ip);
}

/** The pods' readiness the Services rules reflect: sorted pod keys, the rest not ready. */
export interface EndpointConditions {
  ready: string[];
  /** Succeeded or Failed: left out of EndpointSlices entirely. */
  terminal: string[];
}

/** What the last Services sync applied, and who did it (recorded in the lab state). */
export interface AppliedEndpoints extends EndpointConditions {
  at: string;
  /** Services syncs since the lab was made, by reconcile and the controller together. */
  syncs: number;
  by: 'reconcile' | 'controller';
}
