/**
 * Services on nftables for one node namespace: podnet does kube-proxy's job with kube-proxy's
 * nftables semantics — one table, verdict maps for dispatch (one lookup per packet whatever the
 * number of Services) — and a flat shape: endpoints are map elements, DNAT'd by a few chains
 * shared by every Service with the same endpoint count (see rules.ts). Pure.
 *
 *   pod/external ─▶ nat-prerouting ─▶ services: @service-ips / fib-local @service-nodeports
 *                     (-100)              └─▶ shared policy chain (clusterip-K, external-K, nodeport-K, …):
 *                                             mark for masquerade if the policy says so, then
 *                                             pick-K: numgen cascade, dnat through map @…-endpoints-<i>
 *                   ─▶ routing ─▶ filter-forward/-input (-110): ct new ─▶ endpoints-check:
 *                                   @no-endpoint-services / @no-endpoint-nodeports ─▶ reject/drop
 *                   ─▶ nat-postrouting (100): mark hairpin (DNAT'd, source . destination in
 *                                   @hairpin-endpoints), masquerading (packets marked 0x4000)
 *   node process ─▶ filter-output (-110, sees the VIP) ─▶ nat-output (-100) ─▶ postrouting
 *
 * The filter chains run at priority -110, before DNAT: in output they see the Service address;
 * in input/forward they see what DNAT left, so only packets no chain DNAT'd are rejected.
 * ClientIP-affinity Services keep per-service chains, reached through clusterip-chain.
 */
import type { ServiceTable } from '../../model/service-table.js';
import * as N from '../../render/nft/names.js';
import { renderServiceFragment, type ChainSpec, type Fragment, type NodeRef, type ServiceRenderOptions } from './rules.js';
import { Transaction, type ChainObj, type Hook, type MapObj } from '../../render/nft/txn.js';

export type { NodeRef, ServiceRenderOptions } from './rules.js';

const BASE_CHAINS: readonly { name: string; type: 'filter' | 'nat'; hook: Hook; priority: number }[] = [
  { name: N.FILTER_INPUT, type: 'filter', hook: 'input', priority: N.PRIORITY_FILTER },
  { name: N.FILTER_FORWARD, type: 'filter', hook: 'forward', priority: N.PRIORITY_FILTER },
  { name: N.FILTER_OUTPUT, type: 'filter', hook: 'output', priority: N.PRIORITY_FILTER },
  { name: N.NAT_PREROUTING, type: 'nat', hook: 'prerouting', priority: N.PRIORITY_DSTNAT },
  { name: N.NAT_OUTPUT, type: 'nat', hook: 'output', priority: N.PRIORITY_DSTNAT },
  { name: N.NAT_POSTROUTING, type: 'nat', hook: 'postrouting', priority: N.PRIORITY_SRCNAT },
];

/** The table, its base chains and the fixed chains, maps and rules every node has. */
function renderBase(tx: Transaction, opts: ServiceRenderOptions): void {
  const chain = (name: string): ChainObj => ({ kind: 'chain', name });
  const rule = (c: string, text: string) => tx.add({ kind: 'rule', chain: c, rule: text });
  tx.add({ kind: 'table', comment: 'podnet: Services, kube-proxy nftables semantics' });
  for (const b of BASE_CHAINS) tx.add({ kind: 'chain', ...b });
  for (const c of [N.SERVICES_CHAIN, N.CLUSTERIP_CHAIN, N.ENDPOINTS_CHECK_CHAIN, N.REJECT_CHAIN, N.MARK_MASQ_CHAIN, N.MASQUERADING_CHAIN]) tx.add(chain(c));
  tx.add({ kind: 'map', name: N.SERVICE_IPS_MAP, type: `${N.ADDR_PROTO_PORT} : verdict` });
  tx.add({ kind: 'map', name: N.CLUSTERIP_CHAINS_MAP, type: `${N.ADDR_PROTO_PORT} : verdict` });
  tx.add({ kind: 'map', name: N.SERVICE_NODEPORTS_MAP, type: `${N.PROTO_PORT} : verdict` });
  tx.add({ kind: 'map', name: N.NO_ENDPOINT_SERVICES_MAP, type: `${N.ADDR_PROTO_PORT} : verdict` });
  tx.add({ kind: 'map', name: N.NO_ENDPOINT_NODEPORTS_MAP, type: `${N.PROTO_PORT} : verdict` });
  tx.add({ kind: 'set', name: N.HAIRPIN_SET, type: N.ADDR_ADDR });

  // New connections to a Service with no usable endpoint are refused in the filter hooks.
  for (const c of [N.FILTER_INPUT, N.FILTER_FORWARD, N.FILTER_OUTPUT]) rule(c, `ct state new jump ${N.ENDPOINTS_CHECK_CHAIN}`);
  // Service dispatch for pods and outside traffic (prerouting) and for the node's own (output).
  rule(N.NAT_PREROUTING, `jump ${N.SERVICES_CHAIN}`);
  rule(N.NAT_OUTPUT, `jump ${N.SERVICES_CHAIN}`);
  // Hairpin: a packet DNAT'd to an endpoint that is its own source is masqueraded, so the reply
  // comes back through the node (one set lookup instead of a rule per endpoint chain).
  rule(N.NAT_POSTROUTING, `ct status dnat ip saddr . ip daddr @${N.HAIRPIN_SET} jump ${N.MARK_MASQ_CHAIN}`);
  rule(N.NAT_POSTROUTING, `jump ${N.MASQUERADING_CHAIN}`);

  // ClusterIPs and LoadBalancer IPs: one map lookup on (daddr, protocol, port).
  rule(N.SERVICES_CHAIN, `ip daddr . meta l4proto . th dport vmap @${N.SERVICE_IPS_MAP}`);
  // NodePorts: on any local address of the node but loopback, as kube-proxy does.
  rule(N.SERVICES_CHAIN, `fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${N.SERVICE_NODEPORTS_MAP}`);
  // ClusterIPs of Services with per-service chains: masqueraded from outside the pod network
  // (replies must come back through this node), then their own chain.
  rule(N.CLUSTERIP_CHAIN, `ip saddr != ${opts.podCidr} jump ${N.MARK_MASQ_CHAIN}`);
  rule(N.CLUSTERIP_CHAIN, `ip daddr . meta l4proto . th dport vmap @${N.CLUSTERIP_CHAINS_MAP}`);
  // The same two lookups for Services whose packets must be rejected or dropped.
  rule(N.ENDPOINTS_CHECK_CHAIN, `ip daddr . meta l4proto . th dport vmap @${N.NO_ENDPOINT_SERVICES_MAP}`);
  rule(N.ENDPOINTS_CHECK_CHAIN, `fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${N.NO_ENDPOINT_NODEPORTS_MAP}`);
  // TCP gets a reset, everything else ICMP port unreachable: the client fails at once.
  rule(N.REJECT_CHAIN, 'meta l4proto tcp reject with tcp reset');
  rule(N.REJECT_CHAIN, 'reject with icmp port-unreachable');
  // Marking: the decision is taken in nat prerouting/output, acted on in postrouting.
  rule(N.MARK_MASQ_CHAIN, `mark set mark or ${N.MASQ_MARK}`);
  rule(N.MASQUERADING_CHAIN, `mark and ${N.MASQ_MARK} == 0 return`);
  rule(N.MASQUERADING_CHAIN, `mark set mark xor ${N.MASQ_MARK}`);
  rule(N.MASQUERADING_CHAIN, 'masquerade fully-random');
}

/** Adds one Service's own objects (sets, chains, elements) to a transaction on a table where
 *  none of them exists yet; its shared chains must exist (fill adds them first). */
export function addFragment(tx: Transaction, f: Fragment, shared: Set<string> = new Set()): void {
  for (const s of f.sets) tx.add(s);
  for (const c of f.chains) addChain(tx, c);
  for (const e of f.elements) {
    // Hairpin pairs are shared between Services (and ports): each is added once.
    if (e.set === N.HAIRPIN_SET) {
      const k = e.key.join(' . ');
      if (shared.has(k)) continue;
      shared.add(k);
    }
    tx.add(e);
  }
}

export function addChain(tx: Transaction, c: ChainSpec): void {
  tx.add({ kind: 'chain', name: c.name });
  for (const r of c.rules) tx.add({ kind: 'rule', chain: c.name, rule: r });
}

/** Names in natural order: "pick-2" before "pick-10". */
export function byName(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Services in a stable order (by key), whatever order the table lists them in. */
export function sortedServices(table: ServiceTable): ServiceTable['services'] {
  return [...table.services].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The full ruleset for one node namespace, as a transaction that creates it in a namespace where
 * the table does not exist yet (see renderServicesFull to replace an existing one).
 */
export function renderServices(table: ServiceTable, node: NodeRef, opts: ServiceRenderOptions): Transaction {
  return fill(new Transaction('ip', opts.tableName), table, node, opts);
}

/** The base, then the shared maps and chains any Service uses (by name; every chain before any
 *  rule, as rules name other shared chains), then every Service. */
function fill(tx: Transaction, table: ServiceTable, node: NodeRef, opts: ServiceRenderOptions): Transaction {
  renderBase(tx, opts);
  const fragments = sortedServices(table).map((svc) => renderServiceFragment(svc, node, opts));
  const maps = new Map<string, MapObj>();
  const chains = new Map<string, ChainSpec>();
  for (const f of fragments) {
    for (const m of f.sharedMaps) maps.set(m.name, m);
    for (const c of f.sharedChains) chains.set(c.name, c);
  }
  for (const name of [...maps.keys()].sort(byName)) tx.add(maps.get(name)!);
  const sorted = [...chains.keys()].sort(byName);
  for (const name of sorted) tx.add({ kind: 'chain', name });
  for (const name of sorted) for (const rule of chains.get(name)!.rules) tx.add({ kind: 'rule', chain: name, rule });
  const pairs = new Set<string>();
  for (const f of fragments) addFragment(tx, f, pairs);
  return tx;
}

/**
 * The whole table flushed and rebuilt in one atomic transaction: `add table` (so the delete
 * cannot fail), `delete table`, then everything. For the first sync and after any failure.
 * Established connections keep their NAT bindings (they live in conntrack); the affinity sets
 * start empty.
 */
export function renderServicesFull(table: ServiceTable, node: NodeRef, opts: ServiceRenderOptions): Transaction {
  const tx = new Transaction('ip', opts.tableName);
  tx.add({ kind: 'table' }).delete({ kind: 'table' });
  return fill(tx, table, node, opts);
}
