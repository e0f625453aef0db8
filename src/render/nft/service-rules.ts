/**
 * The nftables objects of ONE Service on one node, following the semantics of kube-proxy's
 * nftables backend (pkg/proxy/nftables/proxier.go) with a flatter shape: a Service without
 * ClientIP affinity has NO chain of its own. Its ports are map elements only —
 *   service-ips / service-nodeports: address . protocol . port → goto a SHARED chain per shape
 *     (`clusterip-3`: "a ClusterIP with 3 endpoints"; see sharedChainName in names.ts);
 *   service-endpoints & co: address . protocol . port . index → endpoint address . port, which
 *     the shared chain DNATs to with `numgen random mod K` inside the lookup key;
 *   hairpin-endpoints: endpoint . endpoint pairs (masqueraded in nat-postrouting).
 * So loading a Service costs a few element inserts instead of a chain per service port and per
 * endpoint, and the kernel re-validates a handful of chains instead of tens of thousands.
 * Services with ClientIP affinity keep kube-proxy's per-service/per-endpoint chains (per-endpoint
 * affinity sets need them; see service-chains.ts). A fragment depends only on the Service, the
 * node and the options, never on other Services: partial sync (delta.ts) diffs fragments. Pure.
 */
import { parseIPv4 } from '../../model/ip.js';
import type { ServiceEndpoint, ServiceEntry, ServicePortEntry } from '../../model/service-table.js';
import * as N from './names.js';
import { renderPortChains } from './service-chains.js';
import type { ElementObj, MapObj, SetObj } from './txn.js';

export interface NodeRef {
  name: string;
  ip: string;
}

export interface ServiceRenderOptions {
  tableName: string;
  /** The cluster's pod CIDR: sources inside it are pods; anything else but the node is external. */
  podCidr: string;
  /** kube-proxy's --masquerade-all; podnet does not support it. */
  masqueradeAll?: false;
  /**
   * How a service port picks an endpoint. 'maps' (default): shared chains and endpoint maps (see
   * above); ClientIP-affinity Services use 'rules'. The per-service shapes, for comparison: 'rules',
   * one `numgen random mod K == 0 goto` rule per endpoint chain (kube-proxy iptables' cascade);
   * 'vmap', kube-proxy nftables' `numgen random mod N vmap { … }`, whose anonymous map costs the
   * kernel a scan of all the table's sets per Service (quadratic load time; docs/benchmarks.md).
   */
  loadBalancing?: 'maps' | 'rules' | 'vmap';
}

export interface ChainSpec {
  name: string;
  rules: string[];
}

/** What one Service adds to the table. Chains are created before the elements that name them. */
export interface Fragment {
  sets: SetObj[];
  /** Shared endpoint maps and chains the Service uses: in the table while any Service uses them
   *  (maps before chains, and a chain after the chains it names). */
  sharedMaps: MapObj[];
  sharedChains: ChainSpec[];
  /** The Service's own chains (per-service shape only). */
  chains: ChainSpec[];
  elements: ElementObj[];
}

/** Everything the renderers decide about one service port on one node. */
export interface PortFacts {
  id: string;
  proto: string;
  /** ClusterIP . proto . port; the LoadBalancer IP's key; the NodePort's key (proto . port). */
  vip: string[];
  lbKey?: string[];
  nodePortKey?: string[];
  /** Usable endpoints: all, and those on this node. */
  cluster: ServiceEndpoint[];
  local: ServiceEndpoint[];
  external: boolean;
  externalLocal: boolean;
  internalLocal: boolean;
  hasEndpoints: boolean;
  hasInternal: boolean;
  hasExternal: boolean;
}

/** Endpoints used for traffic: the ready ones; when there are none, the serving terminating ones
 *  (KEP-1669, kube-proxy's CategorizeEndpoints). IPv4 only (the table is `ip`), deduplicated by
 *  address, sorted numerically. */
export function usableEndpoints(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  const v4 = endpoints.filter((e) => parseIPv4(e.ip) !== null);
  const ready = v4.filter((e) => e.ready);
  const chosen = ready.length > 0 ? ready : v4.filter((e) => e.serving && e.terminating);
  const seen = new Map<string, ServiceEndpoint>();
  for (const e of chosen) if (!seen.has(`${e.ip}:${e.port}`)) seen.set(`${e.ip}:${e.port}`, e);
  return [...seen.values()].sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || a.port - b.port);
}

function ipNum(ip: string): number {
  return parseIPv4(ip) ?? 0;
}

/** Headless and ExternalName Services have no VIP: kube-proxy renders nothing for them (nor, in
 *  this IPv4 table, for an IPv6 ClusterIP). */
export function isProxied(svc: ServiceEntry): boolean {
  return svc.type !== 'ExternalName' && svc.clusterIP !== undefined && parseIPv4(svc.clusterIP) !== null;
}

export function renderServiceFragment(svc: ServiceEntry, node: NodeRef, opts: ServiceRenderOptions): Fragment {
  const out: Fragment = { sets: [], sharedMaps: [], sharedChains: [], chains: [], elements: [] };
  if (!isProxied(svc)) return out;
  const shape = svc.sessionAffinity === 'ClientIP' && (opts.loadBalancing ?? 'maps') === 'maps' ? 'rules' : (opts.loadBalancing ?? 'maps');
  for (const port of svc.ports) {
    const f = portFacts(svc, port, node);
    noEndpointElements(out, f);
    if (shape === 'maps') renderPortMaps(out, f, opts);
    else renderPortChains(out, svc, f, opts, shape);
  }
  return out;
}

function portFacts(svc: ServiceEntry, port: ServicePortEntry, node: NodeRef): PortFacts {
  const proto = port.protocol.toLowerCase();
  const cluster = usableEndpoints(port.endpoints);
  const local = usableEndpoints(port.endpoints.filter((e) => e.node === node.name));
  const nodePort = svc.type === 'NodePort' || svc.type === 'LoadBalancer' ? port.nodePort : undefined;
  const lbIP = svc.type === 'LoadBalancer' && svc.loadBalancerIP && parseIPv4(svc.loadBalancerIP) !== null ? svc.loadBalancerIP : undefined;
  const external = nodePort !== undefined || lbIP !== undefined;
  const externalLocal = external && svc.externalTrafficPolicy === 'Local';
  const internalLocal = svc.internalTrafficPolicy === 'Local';
  return {
    id: N.servicePortId(svc.key, proto, port.name, port.port),
    proto,
    vip: [svc.clusterIP!, proto, String(port.port)],
    ...(lbIP !== undefined ? { lbKey: [lbIP, proto, String(port.port)] } : {}),
    ...(nodePort !== undefined ? { nodePortKey: [proto, String(nodePort)] } : {}),
    cluster,
    local,
    external,
    externalLocal,
    internalLocal,
    hasEndpoints: cluster.length > 0,
    hasInternal: internalLocal ? local.length > 0 : cluster.length > 0,
    hasExternal: externalLocal ? local.length > 0 : cluster.length > 0,
  };
}

/** No endpoints anywhere: rejected at once (kube-proxy: "has no endpoints" → REJECT). Endpoints,
 *  but none here for a Local policy: dropped. Checked in the filter hooks (endpoints-check). */
function noEndpointElements(out: Fragment, f: PortFacts): void {
  const verdict = f.hasEndpoints ? 'drop' : `goto ${N.REJECT_CHAIN}`;
  const el = (map: string, key: string[]) => out.elements.push({ kind: 'element', map, key, value: verdict });
  if (!f.hasInternal) el(N.NO_ENDPOINT_SERVICES_MAP, f.vip);
  if (!f.hasExternal && f.lbKey) el(N.NO_ENDPOINT_SERVICES_MAP, f.lbKey);
  if (!f.hasExternal && f.nodePortKey) el(N.NO_ENDPOINT_NODEPORTS_MAP, f.nodePortKey);
}

/** Hairpin: a pod reaching itself through the Service is masqueraded so the reply returns
 *  (nat-postrouting matches the DNAT'd packet's source . destination against this pair). */
export function hairpin(out: Fragment, eps: readonly ServiceEndpoint[]): void {
  // Pairs may repeat (ports, Services): the full and partial renderers add each pair once.
  for (const ep of eps) out.elements.push({ kind: 'element', set: N.HAIRPIN_SET, key: [ep.ip, ep.ip] });
}

function renderPortMaps(out: Fragment, f: PortFacts, opts: ServiceRenderOptions): void {
  const use = shared(out);
  const dispatch = (map: string, key: string[], chain: ChainSpec) => out.elements.push({ kind: 'element', map, key, value: `goto ${use(chain)}` });
  /** A role's endpoints (element i in map i) and the pick chain over them. */
  const pick = (role: N.EndpointRole, key: string[], eps: readonly ServiceEndpoint[]): string => {
    eps.forEach((ep, i) => out.elements.push({ kind: 'element', map: N.sharedChainName.endpointMap(role, i), key, value: `${ep.ip} . ${ep.port}` }));
    hairpin(out, eps);
    for (let i = 0; i < eps.length; i++) {
      const name = N.sharedChainName.endpointMap(role, i);
      if (!out.sharedMaps.some((m) => m.name === name)) out.sharedMaps.push({ kind: 'map', name, type: `${N.ENDPOINT_ROLES[role].type} : ${N.ENDPOINT_VALUE_TYPE}` });
    }
    return use(pickChain(role, eps.length));
  };
  // ClusterIP: the internal policy's endpoints (this node's only, for internalTrafficPolicy Local).
  if (f.hasInternal) dispatch(N.SERVICE_IPS_MAP, f.vip, clusterIPChain(pick('service', f.vip, f.internalLocal ? f.local : f.cluster), f, opts));
  if (!f.hasEndpoints) return;
  // LoadBalancer IP and NodePort: external traffic, with the external policy's endpoints.
  if (f.lbKey) {
    const all = pick('service', f.lbKey, f.cluster);
    const here = f.externalLocal ? (f.local.length > 0 ? pick('local', f.lbKey, f.local) : null) : undefined;
    dispatch(N.SERVICE_IPS_MAP, f.lbKey, externalChain('lb', all, here, f, opts));
  }
  if (f.nodePortKey) {
    const all = pick('nodeport', f.nodePortKey, f.cluster);
    const here = f.externalLocal ? (f.local.length > 0 ? pick('nodeportLocal', f.nodePortKey, f.local) : null) : undefined;
    dispatch(N.SERVICE_NODEPORTS_MAP, f.nodePortKey, externalChain('nodeport', all, here, f, opts));
  }
}

/** Records a shared chain in the fragment (once); returns its name. */
function shared(out: Fragment): (chain: ChainSpec) => string {
  return (chain) => {
    if (!out.sharedChains.some((c) => c.name === chain.name)) out.sharedChains.push(chain);
    return chain.name;
  };
}

/**
 * Uniform random choice among k endpoints, as kube-proxy's cascade: rule i is reached with
 * probability (k-i)/k and matches with 1/(k-i), so each endpoint gets 1/k. The DNAT is one
 * lookup of the packet's key in map i (no element: the rule does not match — never the case,
 * a port with k endpoints has elements 0…k-1). k = 0 picks nothing (an empty chain: the policy
 * chain falls through).
 */
function pickChain(role: N.EndpointRole, k: number): ChainSpec {
  const { key } = N.ENDPOINT_ROLES[role];
  const rules = Array.from({ length: k }, (_, i) => {
    const dnat = `dnat ip to ${key} map @${N.sharedChainName.endpointMap(role, i)}`;
    return i === k - 1 ? dnat : `numgen random mod ${k - i} == 0 ${dnat}`;
  });
  return { name: N.sharedChainName.pick(role, k), rules };
}

/** A ClusterIP: sources outside the pod network (the node, the host) are masqueraded so that
 *  replies come back through this node (kube-proxy's "masquerade off-cluster traffic to
 *  ClusterIPs" with a pod CIDR); then an endpoint. */
function clusterIPChain(pick: string, f: PortFacts, opts: ServiceRenderOptions): ChainSpec {
  const k = f.internalLocal ? f.local.length : f.cluster.length;
  return { name: N.sharedChainName.clusterIP(k), rules: [`ip saddr != ${opts.podCidr} jump ${N.MARK_MASQ_CHAIN}`, `goto ${pick}`] };
}

/**
 * External traffic (LoadBalancer IP or NodePort): `all` picks among every endpoint, `here`
 * among this node's — undefined for externalTrafficPolicy Cluster, null for Local without one.
 *  - Cluster: it may go to another node, so it is masqueraded.
 *  - Local: "traffic from within the cluster" short-circuits to all endpoints, as if it had gone
 *    through an external load balancer (kube-proxy: pods by source CIDR, the node by fib, the
 *    node masqueraded since its source address is its own); everything else keeps its source
 *    address and goes to this node's endpoints — or, with none here, falls through un-DNAT'd
 *    and is dropped by @no-endpoint-* in the filter hooks.
 */
function externalChain(kind: 'lb' | 'nodeport', all: string, here: string | null | undefined, f: PortFacts, opts: ServiceRenderOptions): ChainSpec {
  const lb = kind === 'lb';
  const k = f.cluster.length;
  if (here === undefined) return { name: lb ? N.sharedChainName.external(k) : N.sharedChainName.nodePort(k), rules: [`jump ${N.MARK_MASQ_CHAIN}`, `goto ${all}`] };
  const l = f.local.length;
  const rules = [`ip saddr ${opts.podCidr} goto ${all}`, `fib saddr type local jump ${N.MARK_MASQ_CHAIN}`, `fib saddr type local goto ${all}`];
  if (here !== null) rules.push(`goto ${here}`);
  return { name: lb ? N.sharedChainName.externalLocal(k, l) : N.sharedChainName.nodePortLocal(k, l), rules };
}
