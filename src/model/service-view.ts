/**
 * Services as a lab sees them now — allocations (stable across apply), EndpointSlices and the
 * service table — computed the same way for `podnet get` and the data plane; and the shapes
 * kubectl prints for Services and EndpointSlices (columns of its table printer, v1 objects).
 */
import { buildServiceTable, endpointSlicesFor, hasSelector, nodeLookup, SERVICE_NAME_LABEL, type PodStatusLookup } from './endpoints.js';
import { DEFAULT_AFFINITY_TIMEOUT, type ServiceAllocation, type ServiceTable } from './service-table.js';
import { allocateServices, serviceKey } from './services.js';
import type { Cluster, EndpointSlice, Service } from './types.js';

/** What of a lab's state services depend on (LabState satisfies it). */
export interface ServiceLab {
  config: { serviceCidr: string; lbCidr?: string };
  serviceAllocations?: Readonly<Record<string, ServiceAllocation>>;
}

export interface ServiceView {
  allocations: Map<string, ServiceAllocation>;
  problems: string[];
  slices: EndpointSlice[];
  table: ServiceTable;
}

/**
 * Allocations with the lab's recorded ones as `previous`, slices (pods by their status: ready,
 * not ready, or terminal and left out), and the service table.
 */
export function serviceView(cluster: Cluster, lab: ServiceLab, podStatus: PodStatusLookup): ServiceView {
  const previous = new Map(Object.entries(lab.serviceAllocations ?? {}));
  const { allocations, problems } = allocateServices(cluster.services, { serviceCidr: lab.config.serviceCidr, lbCidr: lab.config.lbCidr, previous });
  const slices = endpointSlicesFor(cluster, podStatus);
  return { allocations, problems, slices, table: buildServiceTable(cluster, allocations, slices, nodeLookup(cluster)) };
}

export interface ServiceColumns {
  clusterIP: string;
  externalIP: string;
  ports: string;
  selector: string;
}

/** kubectl's CLUSTER-IP, EXTERNAL-IP, PORT(S) and SELECTOR columns (printService). */
export function serviceColumns(s: Service, alloc: ServiceAllocation | undefined): ServiceColumns {
  const ports = s.ports.map((p) => {
    const np = alloc?.nodePorts[p.name ?? ''];
    return np !== undefined ? `${p.port}:${np}/${p.protocol}` : `${p.port}/${p.protocol}`;
  });
  const selector = Object.keys(s.selector ?? {}).sort().map((k) => `${k}=${s.selector![k]}`);
  return { clusterIP: clusterIPs(s, alloc)[0] ?? '<none>', externalIP: externalIP(s, alloc), ports: ports.join(',') || '<none>', selector: selector.join(',') || '<none>' };
}

function clusterIPs(s: Service, alloc: ServiceAllocation | undefined): string[] {
  if (s.headless) return ['None'];
  return alloc?.clusterIP ? [alloc.clusterIP] : [];
}

/** getServiceExternalIP: the LB address or <pending>, the external name, else <none>. */
function externalIP(s: Service, alloc: ServiceAllocation | undefined): string {
  if (s.type === 'LoadBalancer') return alloc?.loadBalancerIP ?? '<pending>';
  if (s.type === 'ExternalName') return s.externalName ?? '';
  return '<none>';
}

/** The Service as `kubectl get -o json` shows it once the API server and controllers ran. */
export function serviceObject(s: Service, alloc: ServiceAllocation | undefined): Record<string, unknown> {
  const external = s.type === 'NodePort' || s.type === 'LoadBalancer';
  const ips = clusterIPs(s, alloc);
  const spec = {
    type: s.type,
    ...(ips.length > 0 ? { clusterIP: ips[0], clusterIPs: ips, ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' } : {}),
    ...(s.selector ? { selector: s.selector } : {}),
    ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...nodePortOf(p.name, alloc) })),
    ...(s.externalName ? { externalName: s.externalName } : {}),
    sessionAffinity: s.sessionAffinity,
    ...(s.sessionAffinity === 'ClientIP' ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: s.sessionAffinityTimeout ?? DEFAULT_AFFINITY_TIMEOUT } } } : {}),
    ...(external ? { externalTrafficPolicy: s.externalTrafficPolicy } : {}),
    ...(s.type !== 'ExternalName' ? { internalTrafficPolicy: s.internalTrafficPolicy } : {}),
    ...(s.publishNotReadyAddresses ? { publishNotReadyAddresses: true } : {}),
    ...(s.loadBalancerIP ? { loadBalancerIP: s.loadBalancerIP } : {}),
  };
  const ingress = alloc?.loadBalancerIP ? { ingress: [{ ip: alloc.loadBalancerIP, ipMode: 'VIP' }] } : {};
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: s.namespace }, spec, status: { loadBalancer: ingress } };
}

function nodePortOf(name: string | undefined, alloc: ServiceAllocation | undefined): { nodePort?: number } {
  const np = alloc?.nodePorts[name ?? ''];
  return np !== undefined ? { nodePort: np } : {};
}

/** kubectl's PORTS and ENDPOINTS columns (printEndpointSlice): three values, then "+ N more...". */
export function sliceColumns(sl: EndpointSlice): { ports: string; endpoints: string } {
  return { ports: firstThree(sl.ports.map((p) => String(p.port))), endpoints: firstThree(sl.endpoints.flatMap((e) => e.addresses)) };
}

function firstThree(values: readonly string[]): string {
  if (values.length === 0) return '<unset>';
  const shown = values.slice(0, 3).join(',');
  return values.length > 3 ? `${shown} + ${values.length - 3} more...` : shown;
}

/** The slice as a discovery.k8s.io/v1 EndpointSlice object. */
export function sliceObject(sl: EndpointSlice, managed: boolean): Record<string, unknown> {
  const labels = { [SERVICE_NAME_LABEL]: sl.serviceName, ...(managed ? { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } : {}) };
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: sl.name, namespace: sl.namespace, labels },
    addressType: sl.addressType,
    ports: sl.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
    endpoints: sl.endpoints.map((e) => ({
      addresses: e.addresses,
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
      ...(e.targetRef ? { targetRef: e.targetRef } : {}),
    })),
  };
}

/** Whether the EndpointSlice controller made this slice (its Service has a selector). */
export function isManagedSlice(sl: EndpointSlice, cluster: Cluster): boolean {
  const s = cluster.services.find((x) => serviceKey(x) === `${sl.namespace}/${sl.serviceName}`);
  return s !== undefined && hasSelector(s);
}
