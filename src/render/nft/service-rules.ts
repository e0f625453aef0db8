/**
 * The nftables objects of ONE Service on one node, following the semantics of kube-proxy's
 * nftables backend (pkg/proxy/nftables/proxier.go) with a flatter shape: a Service without
 * ClientIP affinity has NO chain of its own, only map elements (service-maps.ts): its addresses
 * dispatch to SHARED chains named by endpoint counts (`clusterip-3`, `pick-3`), and its i-th
 * endpoint is an element of map `service-endpoints-<i>` (see names.ts). So loading a Service
 * costs a few element inserts instead of a chain per service port and per endpoint, and the
 * kernel re-validates a handful of chains instead of tens of thousands. Services with ClientIP
 * affinity keep kube-proxy's per-service/per-endpoint chains (per-endpoint affinity sets need
 * them; service-chains.ts). What both shapes share is here: which endpoints are used, the
 * no-endpoint verdicts, hairpin pairs. A fragment depends only on the Service, the node and the
 * options, never on other Services: partial sync (delta.ts) diffs fragments. Pure.
 */
import { parseIPv4 } from '../../model/ip.js';
import type { ServiceEndpoint, ServiceEntry, ServicePortEntry } from '../../model/service-table.js';
import * as N from './names.js';
import { renderPortChains } from './service-chains.js';
import { mapShape, renderPortMaps, sharedObjects } from './service-maps.js';
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
  return usable(parsed(endpoints));
}

type Parsed = { e: ServiceEndpoint; n: number };

/** The IPv4 endpoints with their addresses parsed (once: this runs for every port of every
 *  Service at every sync). */
function parsed(endpoints: readonly ServiceEndpoint[]): Parsed[] {
  const out: Parsed[] = [];
  for (const e of endpoints) {
    const n = parseIPv4(e.ip);
    if (n !== null) out.push({ e, n });
  }
  return out;
}

function usable(v4: readonly Parsed[]): ServiceEndpoint[] {
  const ready = v4.filter((x) => x.e.ready);
  const chosen = ready.length > 0 ? ready : v4.filter((x) => x.e.serving && x.e.terminating);
  const seen = new Map<string, Parsed>();
  for (const x of chosen) if (!seen.has(`${x.e.ip}:${x.e.port}`)) seen.set(`${x.e.ip}:${x.e.port}`, x);
  return [...seen.values()].sort((a, b) => a.n - b.n || a.e.port - b.e.port).map((x) => x.e);
}

/** Headless and ExternalName Services have no VIP: kube-proxy renders nothing for them (nor, in
 *  this IPv4 table, for an IPv6 ClusterIP). */
export function isProxied(svc: ServiceEntry): boolean {
  return svc.type !== 'ExternalName' && svc.clusterIP !== undefined && parseIPv4(svc.clusterIP) !== null;
}

export function renderServiceFragment(svc: ServiceEntry, node: NodeRef, opts: ServiceRenderOptions): Fragment {
  const out: Fragment = { sets: [], sharedMaps: [], sharedChains: [], chains: [], elements: [] };
  if (!isProxied(svc)) return out;
  const shape = serviceShape(svc, opts);
  for (const port of svc.ports) {
    const f = portFacts(svc, port, node);
    noEndpointElements(out, f);
    if (shape === 'maps') renderPortMaps(out, f, opts);
    else renderPortChains(out, svc, f, opts, shape);
  }
  return out;
}

/** Per-service chains for ClientIP affinity (or when asked for), shared chains and maps otherwise. */
function serviceShape(svc: ServiceEntry, opts: ServiceRenderOptions): 'maps' | 'rules' | 'vmap' {
  const lb = opts.loadBalancing ?? 'maps';
  return svc.sessionAffinity === 'ClientIP' && lb === 'maps' ? 'rules' : lb;
}

/**
 * The ids ("map service-endpoints-0", "chain pick-3", …) of the shared objects a Service uses —
 * those its fragment's sharedMaps and sharedChains hold — without rendering its elements: the
 * partial sync asks this of unchanged Services.
 */
export function sharedIds(svc: ServiceEntry, node: NodeRef, opts: ServiceRenderOptions): string[] {
  if (!isProxied(svc) || serviceShape(svc, opts) !== 'maps') return [];
  return svc.ports.flatMap((port) => mapShape(portFacts(svc, port, node), opts).flatMap((d) => sharedObjects(d, opts).map((o) => o.id)));
}

function portFacts(svc: ServiceEntry, port: ServicePortEntry, node: NodeRef): PortFacts {
  const proto = port.protocol.toLowerCase();
  const v4 = parsed(port.endpoints);
  const cluster = usable(v4);
  const local = usable(v4.filter((x) => x.e.node === node.name));
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
