/**
 * The map shape of a service port (every Service without ClientIP affinity): no chain of its
 * own, only elements —
 *   service-ips / service-nodeports: address . protocol . port → goto a shared policy chain
 *     (clusterip-K, external-K, external-local-K-L, nodeport-K, nodeport-local-K-L), which
 *     decides masquerading and goes to a shared pick chain (pick-K: see names.ts);
 *   <role>-endpoints-<i>: the port's key → its i-th endpoint (address order), i < K;
 *   hairpin-endpoints: endpoint . endpoint pairs.
 * The shared objects depend only on endpoint counts, so thousands of Services share a handful,
 * and adding a Service is element inserts (plus a chain or two for a count no Service had). Pure.
 */
import type { ServiceEndpoint } from '../../model/service-table.js';
import * as N from '../../render/nft/names.js';
import { hairpin, type ChainSpec, type Fragment, type PortFacts, type ServiceRenderOptions } from './shapes.js';
import type { MapObj } from '../../render/nft/txn.js';

/** One endpoint list a dispatch picks from: `role` maps 0…eps.length-1 under `key`, through
 *  the pick chain `chain`. */
interface Pick {
  role: N.EndpointRole;
  key: string[];
  eps: readonly ServiceEndpoint[];
  chain: string;
}

/** One address of a service port: its element in a dispatch map, its policy chain (by name;
 *  `policy` builds it), its picks. */
export interface Dispatch {
  map: string;
  key: string[];
  chain: string;
  policy: () => ChainSpec;
  picks: Pick[];
}

/** The dispatches of a service port, from its facts (shared by the renderer and sharedIds). */
export function mapShape(f: PortFacts, opts: ServiceRenderOptions): Dispatch[] {
  const pick = (role: N.EndpointRole, key: string[], eps: readonly ServiceEndpoint[]): Pick => ({ role, key, eps, chain: N.sharedName.pick(role, eps.length) });
  const out: Dispatch[] = [];
  // ClusterIP: the internal policy's endpoints (this node's only, for internalTrafficPolicy Local).
  if (f.hasInternal) {
    const p = pick('service', f.vip, f.internalLocal ? f.local : f.cluster);
    out.push({ map: N.SERVICE_IPS_MAP, key: f.vip, chain: N.sharedName.clusterIP(p.eps.length), policy: () => clusterIPChain(p, opts), picks: [p] });
  }
  if (!f.hasEndpoints) return out;
  // LoadBalancer IP and NodePort: external traffic, with the external policy's endpoints.
  const external = [
    { kind: 'lb', key: f.lbKey, all: 'service', here: 'local', map: N.SERVICE_IPS_MAP },
    { kind: 'nodeport', key: f.nodePortKey, all: 'nodeport', here: 'nodeportLocal', map: N.SERVICE_NODEPORTS_MAP },
  ] as const;
  for (const x of external) {
    if (!x.key) continue;
    const all = pick(x.all, x.key, f.cluster);
    const here = f.externalLocal && f.local.length > 0 ? pick(x.here, x.key, f.local) : undefined;
    const chain = externalChainName(x.kind, f.externalLocal, all, here);
    out.push({ map: x.map, key: x.key, chain, policy: () => externalChain(chain, all, here, f, opts), picks: here ? [all, here] : [all] });
  }
  return out;
}

export type SharedObject = { id: string; map?: MapObj; chain?: ChainSpec };

/** The shared maps and chains a dispatch needs, in creation order: maps, pick chains, policy
 *  chain. The policy chain's name and the pod CIDR determine them all (names carry the counts,
 *  and the policy the roles), so they are built once per shape and reused, never mutated. */
export function sharedObjects(d: Dispatch, opts: ServiceRenderOptions): readonly SharedObject[] {
  const key = `${opts.podCidr} ${d.chain}`;
  let objects = SHARED.get(key);
  if (!objects) {
    const maps = d.picks.flatMap((p) =>
      p.eps.map((_, i): MapObj => ({ kind: 'map', name: N.sharedName.endpointMap(p.role, i), type: `${N.ENDPOINT_ROLES[p.role].type} : ${N.ENDPOINT_VALUE_TYPE}` })),
    );
    const chains = [...d.picks.map((p) => pickChain(p.role, p.eps.length)), d.policy()];
    objects = [...maps.map((map) => ({ id: `map ${map.name}`, map })), ...chains.map((chain) => ({ id: `chain ${chain.name}`, chain }))];
    SHARED.set(key, objects);
  }
  return objects;
}
const SHARED = new Map<string, readonly SharedObject[]>();

export function renderPortMaps(out: Fragment, f: PortFacts, opts: ServiceRenderOptions): void {
  for (const d of mapShape(f, opts)) {
    for (const p of d.picks) {
      p.eps.forEach((ep, i) => out.elements.push({ kind: 'element', map: N.sharedName.endpointMap(p.role, i), key: p.key, value: `${ep.ip} . ${ep.port}` }));
      hairpin(out, p.eps);
    }
    out.elements.push({ kind: 'element', map: d.map, key: d.key, value: `goto ${d.chain}` });
    for (const o of sharedObjects(d, opts)) {
      if (o.map && !out.sharedMaps.some((m) => m.name === o.map!.name)) out.sharedMaps.push(o.map);
      if (o.chain && !out.sharedChains.some((c) => c.name === o.chain!.name)) out.sharedChains.push(o.chain);
    }
  }
}

/**
 * Uniform random choice among k endpoints, as kube-proxy's cascade: rule i is reached with
 * probability (k-i)/k and matches with 1/(k-i), so each endpoint gets 1/k. The DNAT is one
 * lookup of the packet's key in map i (a port with k endpoints has elements in maps 0…k-1).
 */
function pickChain(role: N.EndpointRole, k: number): ChainSpec {
  const { key } = N.ENDPOINT_ROLES[role];
  const rules = Array.from({ length: k }, (_, i) => {
    const dnat = `dnat ip to ${key} map @${N.sharedName.endpointMap(role, i)}`;
    return i === k - 1 ? dnat : `numgen random mod ${k - i} == 0 ${dnat}`;
  });
  return { name: N.sharedName.pick(role, k), rules };
}

/** A ClusterIP: sources outside the pod network (the node, the host) are masqueraded so that
 *  replies come back through this node (kube-proxy masquerades off-cluster traffic to a
 *  ClusterIP, telling pods by the cluster CIDR); then an endpoint. */
function clusterIPChain(p: Pick, opts: ServiceRenderOptions): ChainSpec {
  return { name: N.sharedName.clusterIP(p.eps.length), rules: [`ip saddr != ${opts.podCidr} jump ${N.MARK_MASQ_CHAIN}`, `goto ${p.chain}`] };
}

/**
 * External traffic (LoadBalancer IP or NodePort): `all` picks among every endpoint, `here`
 * among this node's (externalTrafficPolicy Local with local endpoints).
 *  - Cluster: it may go to another node, so it is masqueraded.
 *  - Local: "traffic from within the cluster" short-circuits to all endpoints, as if it had gone
 *    through an external load balancer (kube-proxy: pods by source CIDR, the node by fib, the
 *    node masqueraded since its source address is its own); everything else keeps its source
 *    address and goes to this node's endpoints — or, with none here, falls through un-DNAT'd
 *    and is dropped by @no-endpoint-* in the filter hooks.
 */
function externalChain(name: string, all: Pick, here: Pick | undefined, f: PortFacts, opts: ServiceRenderOptions): ChainSpec {
  if (!f.externalLocal) return { name, rules: [`jump ${N.MARK_MASQ_CHAIN}`, `goto ${all.chain}`] };
  const rules = [`ip saddr ${opts.podCidr} goto ${all.chain}`, `fib saddr type local jump ${N.MARK_MASQ_CHAIN}`, `fib saddr type local goto ${all.chain}`];
  if (here) rules.push(`goto ${here.chain}`);
  return { name, rules };
}

function externalChainName(kind: 'lb' | 'nodeport', local: boolean, all: Pick, here: Pick | undefined): string {
  const k = all.eps.length;
  const l = here?.eps.length ?? 0;
  if (kind === 'lb') return local ? N.sharedName.externalLocal(k, l) : N.sharedName.external(k);
  return local ? N.sharedName.nodePortLocal(k, l) : N.sharedName.nodePort(k);
}
