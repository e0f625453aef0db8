/**
 * The nftables objects of ONE Service on one node — its map elements, its per-service-port and
 * per-endpoint chains and its affinity sets — following kube-proxy's nftables backend
 * (pkg/proxy/nftables/proxier.go). A Service's fragment depends only on the Service, the node
 * and the options, never on other Services: that is what makes partial sync (delta.ts) a diff of
 * fragments. Pure.
 */
import { parseIPv4 } from '../../model/ip.js';
import type { ServiceEndpoint, ServiceEntry, ServicePortEntry } from '../../model/service-table.js';
import * as N from './names.js';
import type { ElementObj, SetObj } from './txn.js';

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
   * How a service chain picks an endpoint. 'rules' (default): one `numgen random mod K == 0 goto`
   * rule per endpoint, as kube-proxy's iptables mode does with probabilities. 'vmap': kube-proxy
   * nftables' `numgen random mod N vmap { … }`, whose anonymous map costs the kernel a scan of all
   * the table's sets per Service (quadratic load time; see docs/benchmarks.md "services").
   */
  loadBalancing?: 'rules' | 'vmap';
}

export interface ChainSpec {
  name: string;
  rules: string[];
}

/** What one Service adds to the table. Chains are listed before the elements that name them. */
export interface Fragment {
  sets: SetObj[];
  chains: ChainSpec[];
  elements: ElementObj[];
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
  const out: Fragment = { sets: [], chains: [], elements: [] };
  if (isProxied(svc)) for (const port of svc.ports) renderPort(out, svc, port, node, opts);
  return out;
}

function renderPort(out: Fragment, svc: ServiceEntry, port: ServicePortEntry, node: NodeRef, opts: ServiceRenderOptions): void {
  const proto = port.protocol.toLowerCase();
  const id = N.servicePortId(svc.key, proto, port.name, port.port);
  const clusterChain = N.derivedName(N.SERVICE_CHAIN_PREFIX, id);
  const localChain = N.derivedName(N.LOCAL_CHAIN_PREFIX, id);
  const externalChain = N.derivedName(N.EXTERNAL_CHAIN_PREFIX, id);

  const cluster = usableEndpoints(port.endpoints);
  const local = usableEndpoints(port.endpoints.filter((e) => e.node === node.name));
  const nodePort = svc.type === 'NodePort' || svc.type === 'LoadBalancer' ? port.nodePort : undefined;
  const lbIP = svc.type === 'LoadBalancer' && svc.loadBalancerIP && parseIPv4(svc.loadBalancerIP) !== null ? svc.loadBalancerIP : undefined;
  const external = nodePort !== undefined || lbIP !== undefined;
  const externalLocal = external && svc.externalTrafficPolicy === 'Local';
  const internalLocal = svc.internalTrafficPolicy === 'Local';

  const hasEndpoints = cluster.length > 0;
  const usesCluster = hasEndpoints && (!internalLocal || external); // eTP Local short-circuits use it too
  const usesLocal = local.length > 0 && (internalLocal || externalLocal);
  const internalChain = internalLocal ? localChain : clusterChain;
  const hasInternal = internalLocal ? local.length > 0 : hasEndpoints;
  const hasExternal = externalLocal ? local.length > 0 : hasEndpoints;
  // No endpoints anywhere: reject at once. Endpoints, but none here for a Local policy: drop.
  const noEndpoints = hasEndpoints ? 'drop' : `goto ${N.REJECT_CHAIN}`;

  const vip = [svc.clusterIP!, proto, String(port.port)];
  const el = (map: string, key: string[], value: string) => out.elements.push({ kind: 'element', map, key, value });
  // ClusterIP: dispatch to the internal policy chain, or reject/drop in the filter hooks.
  if (hasInternal) el(N.SERVICE_IPS_MAP, vip, `goto ${internalChain}`);
  else el(N.NO_ENDPOINT_SERVICES_MAP, vip, noEndpoints);
  // Traffic to the ClusterIP from outside the pod network (the node, the host) is masqueraded,
  // so that replies come back through this node: marked by the services chain's @cluster-ips
  // rule just before its dispatch, i.e. exactly when the internal chain is entered for the VIP.
  if (hasInternal) out.elements.push({ kind: 'element', set: N.CLUSTER_IPS_SET, key: vip });
  // LoadBalancer IP: external traffic to the Service, like a NodePort.
  if (lbIP !== undefined) {
    if (hasEndpoints) el(N.SERVICE_IPS_MAP, [lbIP, proto, String(port.port)], `goto ${externalChain}`);
    if (!hasExternal) el(N.NO_ENDPOINT_SERVICES_MAP, [lbIP, proto, String(port.port)], noEndpoints);
  }
  // NodePort on every local address of the node (matched with fib in the services chain).
  if (nodePort !== undefined) {
    if (hasEndpoints) el(N.SERVICE_NODEPORTS_MAP, [proto, String(nodePort)], `goto ${externalChain}`);
    if (!hasExternal) el(N.NO_ENDPOINT_NODEPORTS_MAP, [proto, String(nodePort)], noEndpoints);
  }

  const affinity = svc.sessionAffinity === 'ClientIP';
  const endpointChains = new Map<string, { ep: ServiceEndpoint; chain: string; set: string }>();
  const epInfo = (ep: ServiceEndpoint) => {
    const key = `${ep.ip}:${ep.port}`;
    let info = endpointChains.get(key);
    if (!info) {
      const eid = N.endpointId(id, ep.ip, ep.port);
      info = { ep, chain: N.derivedName(N.ENDPOINT_CHAIN_PREFIX, eid), set: N.derivedName(N.AFFINITY_SET_PREFIX, eid) };
      endpointChains.set(key, info);
    }
    return info;
  };
  const policyChain = (name: string, eps: ServiceEndpoint[]): ChainSpec => {
    const rules: string[] = [];
    // ClientIP affinity: a client seen recently goes back to the endpoint it used.
    if (affinity) for (const ep of eps) rules.push(`ip saddr @${epInfo(ep).set} goto ${epInfo(ep).chain}`);
    rules.push(...balance(eps.map((ep) => epInfo(ep).chain), opts.loadBalancing ?? 'rules'));
    return { name, rules };
  };

  const chains: ChainSpec[] = [];
  if (usesCluster) chains.push(policyChain(clusterChain, cluster));
  if (usesLocal) chains.push(policyChain(localChain, local));
  if (hasEndpoints && external) {
    const rules: string[] = [];
    if (!externalLocal) {
      // eTP Cluster: external traffic may go to another node, so it is masqueraded.
      rules.push(`jump ${N.MARK_MASQ_CHAIN}`);
    } else {
      // eTP Local: pods short-circuit to all endpoints (as if via an external load balancer)...
      rules.push(`ip saddr ${opts.podCidr} goto ${clusterChain}`);
      // ...the node itself too, masqueraded (its source address is the node's own) ...
      rules.push(`fib saddr type local jump ${N.MARK_MASQ_CHAIN}`, `fib saddr type local goto ${clusterChain}`);
    }
    // ...and everything else goes to the policy's endpoints, keeping its source address for Local.
    if (hasExternal) rules.push(`goto ${externalLocal ? localChain : clusterChain}`);
    chains.push({ name: externalChain, rules });
  }
  // Endpoint chains first: every chain is created before a rule names it.
  const endpointSpecs: ChainSpec[] = [];
  for (const { ep, chain, set } of endpointChains.values()) {
    if (affinity) out.sets.push({ kind: 'set', name: set, type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: svc.affinityTimeoutSeconds });
    // Hairpin: a pod reaching itself through the Service is masqueraded so the reply returns
    // (nat-postrouting matches the DNAT'd packet's source . destination against this pair).
    out.elements.push({ kind: 'element', set: N.HAIRPIN_SET, key: [ep.ip, ep.ip] });
    const rules = [
      // Affinity: remember this client for this endpoint (the set's timeout ages it out).
      ...(affinity ? [`update @${set} { ip saddr }`] : []),
      // The DNAT itself (a NAT statement ends the chain; conntrack keeps the binding).
      `meta l4proto ${proto} dnat to ${ep.ip}:${ep.port}`,
    ];
    endpointSpecs.push({ name: chain, rules });
  }
  out.chains.push(...endpointSpecs, ...chains);
}

/** Random choice among endpoint chains (uniform), in one of the two rule shapes. */
export function balance(targets: readonly string[], shape: 'rules' | 'vmap'): string[] {
  if (targets.length === 0) return [];
  if (shape === 'vmap') return [`numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`];
  // Rule i is reached with probability (n-i)/n and matches with 1/(n-i): each target gets 1/n.
  return targets.map((t, i) => (i === targets.length - 1 ? `goto ${t}` : `numgen random mod ${targets.length - i} == 0 goto ${t}`));
}
