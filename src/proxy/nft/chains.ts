/**
 * The per-service shape of kube-proxy's nftables backend, for Services with sessionAffinity
 * ClientIP (and for every Service with loadBalancing 'rules' or 'vmap', kept for comparison):
 * a chain per service port and policy (svc-/svl-/ext-) and per endpoint (sep-), each endpoint
 * with its own affinity set. kube-proxy: "ClientIP affinity: a client seen within timeoutSeconds
 * goes back to the endpoint it used" — the service chain first tries every endpoint's set of
 * recent clients, then picks at random; the endpoint chain records the client (`update`, the
 * set's timeout ages it out) and DNATs. Pure.
 *
 * The ClusterIP is dispatched through clusterip-chain (masquerade from outside the pod network,
 * then @clusterip-chains → this port's internal chain); LoadBalancer IPs and NodePorts go
 * straight to the port's ext- chain.
 */
import type { ServiceEndpoint, ServiceEntry } from '../../model/service-table.js';
import * as N from '../../render/nft/names.js';
import { hairpin, type ChainSpec, type Fragment, type PortFacts, type ServiceRenderOptions } from './shapes.js';

export function renderPortChains(out: Fragment, svc: ServiceEntry, f: PortFacts, opts: ServiceRenderOptions, shape: 'rules' | 'vmap'): void {
  const clusterChain = N.derivedName(N.SERVICE_CHAIN_PREFIX, f.id);
  const localChain = N.derivedName(N.LOCAL_CHAIN_PREFIX, f.id);
  const externalChain = N.derivedName(N.EXTERNAL_CHAIN_PREFIX, f.id);
  const usesCluster = f.hasEndpoints && (!f.internalLocal || f.external); // eTP Local short-circuits use it too
  const usesLocal = f.local.length > 0 && (f.internalLocal || f.externalLocal);
  const el = (map: string, key: string[], value: string) => out.elements.push({ kind: 'element', map, key, value });

  if (f.hasInternal) {
    el(N.SERVICE_IPS_MAP, f.vip, `goto ${N.CLUSTERIP_CHAIN}`);
    el(N.CLUSTERIP_CHAINS_MAP, f.vip, `goto ${f.internalLocal ? localChain : clusterChain}`);
  }
  if (f.hasEndpoints && f.lbKey) el(N.SERVICE_IPS_MAP, f.lbKey, `goto ${externalChain}`);
  if (f.hasEndpoints && f.nodePortKey) el(N.SERVICE_NODEPORTS_MAP, f.nodePortKey, `goto ${externalChain}`);

  const affinity = svc.sessionAffinity === 'ClientIP';
  const endpointChains = new Map<string, { ep: ServiceEndpoint; chain: string; set: string }>();
  const epInfo = (ep: ServiceEndpoint) => {
    const key = `${ep.ip}:${ep.port}`;
    let info = endpointChains.get(key);
    if (!info) {
      const eid = N.endpointId(f.id, ep.ip, ep.port);
      info = { ep, chain: N.derivedName(N.ENDPOINT_CHAIN_PREFIX, eid), set: N.derivedName(N.AFFINITY_SET_PREFIX, eid) };
      endpointChains.set(key, info);
    }
    return info;
  };
  const policyChain = (name: string, eps: ServiceEndpoint[]): ChainSpec => {
    const rules: string[] = [];
    if (affinity) for (const ep of eps) rules.push(`ip saddr @${epInfo(ep).set} goto ${epInfo(ep).chain}`);
    rules.push(...balance(eps.map((ep) => epInfo(ep).chain), shape));
    return { name, rules };
  };

  const chains: ChainSpec[] = [];
  if (usesCluster) chains.push(policyChain(clusterChain, f.cluster));
  if (usesLocal) chains.push(policyChain(localChain, f.local));
  if (f.hasEndpoints && f.external) {
    const rules: string[] = [];
    if (!f.externalLocal) {
      // eTP Cluster: external traffic may go to another node, so it is masqueraded.
      rules.push(`jump ${N.MARK_MASQ_CHAIN}`);
    } else {
      // eTP Local: pods short-circuit to all endpoints (as if via an external load balancer)...
      rules.push(`ip saddr ${opts.podCidr} goto ${clusterChain}`);
      // ...the node itself too, masqueraded (its source address is the node's own) ...
      rules.push(`fib saddr type local jump ${N.MARK_MASQ_CHAIN}`, `fib saddr type local goto ${clusterChain}`);
    }
    // ...and everything else goes to the policy's endpoints, keeping its source address for Local.
    if (f.hasExternal) rules.push(`goto ${f.externalLocal ? localChain : clusterChain}`);
    chains.push({ name: externalChain, rules });
  }
  // Endpoint chains first: every chain is created before a rule names it.
  const endpointSpecs: ChainSpec[] = [];
  for (const { ep, chain, set } of endpointChains.values()) {
    if (affinity) out.sets.push({ kind: 'set', name: set, type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: svc.affinityTimeoutSeconds });
    const rules = [
      // Affinity: remember this client for this endpoint (the set's timeout ages it out).
      ...(affinity ? [`update @${set} { ip saddr }`] : []),
      // The DNAT itself (a NAT statement ends the chain; conntrack keeps the binding).
      `meta l4proto ${f.proto} dnat to ${ep.ip}:${ep.port}`,
    ];
    endpointSpecs.push({ name: chain, rules });
  }
  hairpin(out, [...endpointChains.values()].map((e) => e.ep));
  out.chains.push(...endpointSpecs, ...chains);
}

/** Random choice among endpoint chains (uniform), in one of the two rule shapes. */
export function balance(targets: readonly string[], shape: 'rules' | 'vmap'): string[] {
  if (targets.length === 0) return [];
  if (shape === 'vmap') return [`numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`];
  // Rule i is reached with probability (n-i)/n and matches with 1/(n-i): each target gets 1/n.
  return targets.map((t, i) => (i === targets.length - 1 ? `goto ${t}` : `numgen random mod ${targets.length - i} == 0 goto ${t}`));
}
