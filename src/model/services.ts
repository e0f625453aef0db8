/**
 * Service allocation, as the API server does it when a Service is created — a cluster IP from the
 * service CIDR, node ports from 30000-32767 — and as a load-balancer controller (MetalLB-like)
 * does it for type LoadBalancer: an address from a pool. Pure and deterministic: Services are
 * taken in namespace/name order and addresses handed out in sequence; `previous` (what a running
 * lab already handed out) is kept, so apply never renumbers a Service.
 */
import { formatIPv4, parseCidr, parseIPv4 } from './ip.js';
import { NODE_PORT_MAX, NODE_PORT_MIN, type ServiceAllocation } from './service-table.js';
import type { Service } from './types.js';

export interface AllocateOptions {
  serviceCidr: string;
  /** The load-balancer address pool; without it LoadBalancer Services stay pending. */
  lbCidr?: string;
  previous?: ReadonlyMap<string, ServiceAllocation>;
}

export interface AllocationResult {
  /** "ns/name" → allocation, for every Service the API server would accept. */
  allocations: Map<string, ServiceAllocation>;
  /** One line per problem: file, service, field path, message. */
  problems: string[];
}

export function serviceKey(s: { namespace: string; name: string }): string {
  return `${s.namespace}/${s.name}`;
}

/** Headless and ExternalName Services get no virtual IP. */
export function needsClusterIP(s: Service): boolean {
  return s.type !== 'ExternalName' && !s.headless;
}

/** "The port on each node on which this service is exposed when type is NodePort or LoadBalancer." */
export function needsNodePorts(s: Service): boolean {
  return s.type === 'NodePort' || s.type === 'LoadBalancer';
}

/** Problems per Service; a rejected Service is one the API server would refuse to create. */
class ServiceProblems {
  readonly lines: string[] = [];
  readonly rejected = new Set<string>();

  /** The API server refuses the Service: it gets no allocation at all. */
  reject(s: Service, path: string, message: string): void {
    this.rejected.add(serviceKey(s));
    this.report(s, path, message);
  }

  /** A controller cannot do what the Service asks (it stays pending), but the Service exists. */
  report(s: Service, path: string, message: string): void {
    this.lines.push(`${s.source.file}: service ${serviceKey(s)}: ${path}: ${message}`);
  }
}

/** Addresses of a CIDR handed out in order; network and broadcast addresses are never used. */
class AddressPool {
  readonly first: number;
  readonly last: number;
  private readonly owner = new Map<number, string>();
  private cursor: number;

  constructor(readonly cidr: string, private readonly reserved: ReadonlySet<number> = new Set()) {
    const c = parseCidr(cidr);
    if (!c || c.family !== 4) throw new Error(`${JSON.stringify(cidr)} is not an IPv4 CIDR`);
    this.first = c.prefix >= 31 ? c.start : c.start + 1;
    this.last = c.prefix >= 31 ? c.end : c.end - 1;
    this.cursor = this.first;
  }

  /** Why `ip` cannot go to `key`, or undefined when it can (it is then claimed). */
  claim(ip: string, key: string): string | undefined {
    const n = parseIPv4(ip);
    if (n === null || n < this.first || n > this.last) return `${ip} is not in the valid range ${this.cidr}`;
    const holder = this.owner.get(n);
    if (holder !== undefined && holder !== key) return `${ip} is already allocated to service ${holder}`;
    this.owner.set(n, key);
    return undefined;
  }

  /** The next free address that is not reserved, or null when the pool is exhausted. */
  next(key: string): string | null {
    for (; this.cursor <= this.last; this.cursor++) {
      if (this.owner.has(this.cursor) || this.reserved.has(this.cursor)) continue;
      this.owner.set(this.cursor, key);
      return formatIPv4(this.cursor++);
    }
    return null;
  }
}

/** Every Service's cluster IP, node ports and load-balancer IP, with every problem found. */
export function allocateServices(services: readonly Service[], options: AllocateOptions): AllocationResult {
  const sorted = [...services].sort((a, b) => cmp(serviceKey(a), serviceKey(b)));
  const previous = options.previous ?? new Map<string, ServiceAllocation>();
  const problems = new ServiceProblems();
  for (const s of sorted) validateService(s, problems);
  const accepted = () => sorted.filter((s) => !problems.rejected.has(serviceKey(s)));
  const clusterIPs = allocateClusterIPs(accepted(), options.serviceCidr, previous, problems);
  const nodePorts = allocateNodePorts(accepted(), previous, problems);
  const lbIPs = options.lbCidr ? allocateLoadBalancerIPs(accepted(), options.lbCidr, previous, problems) : new Map<string, string>();
  const allocations = new Map<string, ServiceAllocation>();
  for (const s of accepted()) {
    const key = serviceKey(s);
    const clusterIP = clusterIPs.get(key);
    const loadBalancerIP = lbIPs.get(key);
    allocations.set(key, { ...(clusterIP ? { clusterIP } : {}), nodePorts: nodePorts.get(key) ?? {}, ...(loadBalancerIP ? { loadBalancerIP } : {}) });
  }
  return { allocations, problems: problems.lines };
}

/** The API server's validation of fields allocation depends on. */
function validateService(s: Service, problems: ServiceProblems): void {
  if (s.headless && needsNodePorts(s)) problems.reject(s, 'spec.clusterIP', `may not be set to 'None' for ${s.type} services`);
  if (s.type === 'ExternalName' && s.clusterIP !== undefined) problems.reject(s, 'spec.clusterIP', 'may not be set for ExternalName services');
  const names = new Set<string>();
  s.ports.forEach((p, i) => {
    // "If this field is specified when creating a Service which does not need it, creation will fail."
    if (p.nodePort !== undefined && !needsNodePorts(s)) problems.reject(s, `spec.ports[${i}].nodePort`, `may not be used when \`type\` is '${s.type}'`);
    // Node ports are recorded by port name: "All ports within a ServiceSpec must have unique names."
    if (needsNodePorts(s) && names.has(p.name ?? '')) problems.reject(s, `spec.ports[${i}].name`, p.name ? `duplicate port name ${JSON.stringify(p.name)}` : 'required when a Service has more than one port');
    names.add(p.name ?? '');
  });
}

/**
 * Cluster IPs. The first address of the range belongs to the `kubernetes` Service (default
 * namespace) and the tenth to kube-dns (10.96.0.10 in 10.96.0.0/12, as kubeadm sets it): neither
 * is handed out to other Services automatically. An explicit `spec.clusterIP` may take the tenth
 * (that is how DNS Services are written) but not the first.
 */
function allocateClusterIPs(services: readonly Service[], cidr: string, previous: ReadonlyMap<string, ServiceAllocation>, problems: ServiceProblems): Map<string, string> {
  const base = parseCidr(cidr)?.start ?? 0;
  const wellKnown = new Map([[KUBERNETES_SERVICE, base + 1], [KUBE_DNS_SERVICE, base + 10]]);
  const pool = new AddressPool(cidr, new Set(wellKnown.values()));
  const wanting = services.filter(needsClusterIP);
  const out = new Map<string, string>();
  const give = (s: Service, ip: string) => out.set(serviceKey(s), ip);
  for (const s of wanting) {
    const prev = previous.get(serviceKey(s))?.clusterIP;
    if (prev && (s.clusterIP === undefined || s.clusterIP === prev) && isOwnAddress(s, prev, base) && pool.claim(prev, serviceKey(s)) === undefined) give(s, prev);
  }
  for (const s of wanting.filter((x) => !out.has(serviceKey(x)) && x.clusterIP !== undefined)) {
    const ip = s.clusterIP!;
    const why = !isOwnAddress(s, ip, base) ? `${ip} is reserved for the kubernetes Service (${KUBERNETES_SERVICE})` : pool.claim(ip, serviceKey(s));
    if (why) problems.reject(s, 'spec.clusterIP', `failed to allocate IP: ${why}`);
    else give(s, ip);
  }
  for (const s of wanting.filter((x) => !out.has(serviceKey(x)) && x.clusterIP === undefined)) {
    const known = wellKnown.get(serviceKey(s));
    const ip = known !== undefined && pool.claim(formatIPv4(known), serviceKey(s)) === undefined ? formatIPv4(known) : pool.next(serviceKey(s));
    if (ip) give(s, ip);
    else problems.reject(s, 'spec.clusterIP', `no free cluster IP left in the service CIDR ${cidr}`);
  }
  return out;
}

export const KUBERNETES_SERVICE = 'default/kubernetes';
export const KUBE_DNS_SERVICE = 'kube-system/kube-dns';

/** Only the kubernetes Service may hold the first address of the service CIDR. */
function isOwnAddress(s: Service, ip: string, base: number): boolean {
  return parseIPv4(ip) !== base + 1 || serviceKey(s) === KUBERNETES_SERVICE;
}

/**
 * Node ports. "If a value is specified, in-range, and not in use it will be used, otherwise the
 * operation will fail. If not specified, a port will be allocated if this Service requires one."
 * A node port belongs to one Service, whatever the protocol; within a Service, ports with the same
 * `port` number (53/TCP and 53/UDP) share one node port, as the API server allocates them.
 */
function allocateNodePorts(services: readonly Service[], previous: ReadonlyMap<string, ServiceAllocation>, problems: ServiceProblems): Map<string, Record<string, number>> {
  const ports = new NodePortAllocator();
  const wanting = services.filter(needsNodePorts);
  for (const s of wanting) {
    const prev = previous.get(serviceKey(s))?.nodePorts ?? {};
    s.ports.forEach((p, i) => {
      const np = prev[p.name ?? ''];
      if (np !== undefined && (p.nodePort === undefined || p.nodePort === np)) ports.claim(s, i, np);
    });
  }
  for (const s of wanting) {
    s.ports.forEach((p, i) => {
      if (p.nodePort === undefined || ports.has(s, i)) return;
      const why = ports.claim(s, i, p.nodePort);
      if (why) problems.reject(s, `spec.ports[${i}].nodePort`, `failed to allocate port ${p.nodePort}: ${why}`);
    });
  }
  for (const s of wanting.filter((x) => !problems.rejected.has(serviceKey(x)))) {
    s.ports.forEach((p, i) => {
      if (!ports.has(s, i) && !ports.next(s, i)) problems.reject(s, `spec.ports[${i}].nodePort`, `no free node port left in ${NODE_PORT_MIN}-${NODE_PORT_MAX}`);
    });
  }
  return ports.byService;
}

class NodePortAllocator {
  /** node port → the Service holding it and the protocols it is used for. */
  private readonly owner = new Map<number, { key: string; protocols: Set<string> }>();
  readonly byService = new Map<string, Record<string, number>>();
  private cursor = NODE_PORT_MIN;

  has(s: Service, i: number): boolean {
    return this.byService.get(serviceKey(s))?.[s.ports[i].name ?? ''] !== undefined;
  }

  /** Why port i of s cannot have node port np, or undefined when it can (it then has it). */
  claim(s: Service, i: number, np: number): string | undefined {
    const key = serviceKey(s);
    const p = s.ports[i];
    if (np < NODE_PORT_MIN || np > NODE_PORT_MAX) return `${np} is not in the valid range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`;
    const held = this.owner.get(np);
    if (held && held.key !== key) return `${np} is already allocated to service ${held.key}`;
    // Upstream validation only requires (nodePort, protocol) to be unique: 80/TCP and 81/UDP of
    // one Service may share a node port.
    if (held && held.protocols.has(p.protocol)) return `${np} is already used by another port of this service`;
    if (held) held.protocols.add(p.protocol);
    else this.owner.set(np, { key, protocols: new Set([p.protocol]) });
    this.byService.set(key, { ...(this.byService.get(key) ?? {}), [p.name ?? '']: np });
    return undefined;
  }

  /** Gives port i of s the node port of a same-numbered port of s, else the next free one. */
  next(s: Service, i: number): number | null {
    const mine = this.byService.get(serviceKey(s)) ?? {};
    for (const other of s.ports) {
      const np = mine[other.name ?? ''];
      if (other.port === s.ports[i].port && np !== undefined && this.claim(s, i, np) === undefined) return np;
    }
    for (; this.cursor <= NODE_PORT_MAX; this.cursor++) {
      if (!this.owner.has(this.cursor) && this.claim(s, i, this.cursor) === undefined) return this.cursor++;
    }
    return null;
  }
}

/**
 * Load-balancer addresses from the pool, as MetalLB assigns them. `spec.loadBalancerIP` is
 * honoured when it is in the pool and free; otherwise the Service stays pending (reported, not
 * rejected: the Service itself is valid).
 */
function allocateLoadBalancerIPs(services: readonly Service[], lbCidr: string, previous: ReadonlyMap<string, ServiceAllocation>, problems: ServiceProblems): Map<string, string> {
  const pool = new AddressPool(lbCidr);
  const wanting = services.filter((s) => s.type === 'LoadBalancer');
  const out = new Map<string, string>();
  for (const s of wanting) {
    const prev = previous.get(serviceKey(s))?.loadBalancerIP;
    if (prev && (s.loadBalancerIP === undefined || s.loadBalancerIP === prev) && pool.claim(prev, serviceKey(s)) === undefined) out.set(serviceKey(s), prev);
  }
  for (const s of wanting.filter((x) => !out.has(serviceKey(x)) && x.loadBalancerIP !== undefined)) {
    const why = pool.claim(s.loadBalancerIP!, serviceKey(s));
    if (why) problems.report(s, 'spec.loadBalancerIP', `stays pending: ${why}`);
    else out.set(serviceKey(s), s.loadBalancerIP!);
  }
  for (const s of wanting.filter((x) => !out.has(serviceKey(x)) && x.loadBalancerIP === undefined)) {
    const ip = pool.next(serviceKey(s));
    if (ip) out.set(serviceKey(s), ip);
    else problems.report(s, 'status.loadBalancer', `stays pending: no free address left in the load-balancer pool ${lbCidr}`);
  }
  return out;
}

/** Plain code-unit order (as Go sorts strings), independent of locale. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
