/**
 * The nftables objects of ONE Service on one node, following the semantics of kube-proxy's
 * nftables backend (pkg/proxy/nftables/proxier.go) with a flatter shape: a Service without
 * ClientIP affinity has NO chain of its own, only map elements (maps.ts): its addresses
 * dispatch to SHARED chains named by endpoint counts (`clusterip-3`, `pick-3`), and its i-th
 * endpoint is an element of map `service-endpoints-<i>` (see names.ts). So loading a Service
 * costs a few element inserts instead of a chain per service port and per endpoint, and the
 * kernel re-validates a handful of chains instead of tens of thousands. Services with ClientIP
 * affinity keep kube-proxy's per-service/per-endpoint chains (per-endpoint affinity sets need
 * them; chains.ts). What both shapes share is here: the no-endpoint verdicts (the types
 * and hairpin pairs are in shapes.ts). A fragment depends only on the Service, the node and the
 * options, never on other Services: partial sync (delta.ts) diffs fragments. Pure.
 */
import { parseIPv4 } from '../../model/ip.js';
import type { ServiceEntry, ServicePortEntry } from '../../model/service-table.js';
import { usableEndpointsSplit } from '../../model/usable-endpoints.js';
import * as N from '../../render/nft/names.js';
import { hairpin, type ChainSpec, type Fragment, type NodeRef, type PortFacts, type ServiceRenderOptions } from './shapes.js';
import { renderPortChains } from './chains.js';
import { mapShape, renderPortMaps, sharedObjects } from './maps.js';

export type { ChainSpec, Fragment, NodeRef, PortFacts, ServiceRenderOptions } from './shapes.js';

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
  const { cluster, local } = usableEndpointsSplit(port.endpoints, node.name);
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
