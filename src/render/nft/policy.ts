/**
 * NetworkPolicy on nftables for one node namespace: table `ip podnet-policy`, separate from the
 * Services table. Pure. Sets and maps, never a rule per peer:
 *
 *   filter forward (priority 0, after Service DNAT in prerouting, so Service traffic is judged
 *   on the real pod IPs; same-node traffic too: pods are attached by routed veths):
 *     ct state established,related accept
 *     limit … meta nftrace set 1    the first packet of a connection is traced (up to 100 new
 *                                   connections/s per node): `podnet flows` reads the verdicts
 *                                   with `nft monitor trace` (src/flows/)
 *     ip saddr vmap @egress-pods    pod isolated for egress ─▶ jump egr-<ip>
 *     ip daddr vmap @ingress-pods   pod isolated for ingress ─▶ jump ing-<ip>
 *   egr-<ip>: ip daddr . meta l4proto . th dport @egr-<ip> return, else counter reject
 *   ing-<ip>: ip saddr . meta l4proto . th dport @ing-<ip> accept, else counter reject
 *
 * Each per-pod set is an interval set of disjoint (peer range . protocol . port range) boxes
 * compiled by src/policy/compile.ts. Denied connections are refused at once with ICMP
 * admin-prohibited (a probe can tell "denied" from "closed port", which is a TCP reset).
 * Traffic between a pod and its own node never reaches the forward hook: always allowed.
 * A lab's table also has an empty chain `gen-<id>` naming the sync that wrote it, which later
 * syncs check before they send only what changed (policy-delta.ts).
 */
import { formatIPv4 } from '../../model/ip.js';
import type { Box, PodPolicy } from '../../policy/compile.js';
import { Transaction, type ElementObj } from './txn.js';

export const POLICY_TABLE = 'podnet-policy';
export const POLICY_FORWARD = 'forward';
export const INGRESS_MAP = 'ingress-pods';
export const EGRESS_MAP = 'egress-pods';
/** After DNAT (-100) and the Services table's filter chains (-110). */
export const PRIORITY_POLICY = 0;
export const BOX_TYPE = 'ipv4_addr . inet_proto . inet_service';
const DENY = 'counter reject with icmp admin-prohibited';
/** New connections per second per node whose first packet is traced for `podnet flows`. */
export const TRACE_RATE = 100;

export type PolicyDirection = 'ingress' | 'egress';

/** Chain and set name of one pod's allowed peers in one direction ("ing-10.244.0.5"). */
export function podSetName(direction: PolicyDirection, ip: string): string {
  return `${direction === 'ingress' ? 'ing' : 'egr'}-${ip}`;
}

/** The inverse of podSetName: the direction and pod IP of a per-pod chain, or null for any other chain. */
export function parsePodSetName(name: string): { direction: PolicyDirection; ip: string } | null {
  const m = /^(egr|ing)-(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(name);
  return m ? { direction: m[1] === 'egr' ? 'egress' : 'ingress', ip: m[2] } : null;
}

/** The nft element key of one box: peer range . protocol . port range. */
export function boxKey(b: Box): string[] {
  const range = (a: string, z: string) => (a === z ? a : `${a}-${z}`);
  const proto = b.protocol === 'any' ? '0-255' : range(String(b.protocol), String(b.protocolEnd ?? b.protocol));
  return [range(formatIPv4(b.peerStart), formatIPv4(b.peerEnd)), proto, range(String(b.portStart), String(b.portEnd))];
}

/** The whole table for the pods of `node`, replacing whatever was there in one transaction. */
export function renderPolicyFull(pods: readonly PodPolicy[], node: string, tableName = POLICY_TABLE): Transaction {
  const tx = new Transaction('ip', tableName);
  tx.add({ kind: 'table' }).delete({ kind: 'table' });
  tx.add({ kind: 'table', comment: 'podnet: NetworkPolicy' });
  tx.add({ kind: 'map', name: EGRESS_MAP, type: 'ipv4_addr : verdict' });
  tx.add({ kind: 'map', name: INGRESS_MAP, type: 'ipv4_addr : verdict' });
  tx.add({ kind: 'chain', name: POLICY_FORWARD, type: 'filter', hook: 'forward', priority: PRIORITY_POLICY });
  const rule = (chain: string, text: string) => tx.add({ kind: 'rule', chain, rule: text });
  rule(POLICY_FORWARD, 'ct state established,related accept');
  // Costs nothing while no `nft monitor trace` listens (the kernel checks for listeners first).
  // With the lab monitor listening, every traced packet costs a netlink event per rule it meets:
  // measured, new connections took ~1.6x as long (p50 360 vs 225 µs). So at most 100 new
  // connections per second per node (bursts of 100) are traced — every one in interactive use
  // and in tests; beyond that `podnet flows` samples, and the reject counters still count all.
  rule(POLICY_FORWARD, `limit rate ${TRACE_RATE}/second burst ${TRACE_RATE} packets meta nftrace set 1`);
  rule(POLICY_FORWARD, `ip saddr vmap @${EGRESS_MAP}`);
  rule(POLICY_FORWARD, `ip daddr vmap @${INGRESS_MAP}`);
  const local = pods.filter((p) => p.node === node).sort((a, b) => a.key.localeCompare(b.key));
  for (const pod of local) {
    for (const direction of ['egress', 'ingress'] as const) addPodSide(tx, pod, direction);
  }
  return tx;
}

/** One isolated pod's set, chain and dispatch element for one direction. */
export function addPodSide(tx: Transaction, pod: PodPolicy, direction: PolicyDirection): void {
  const boxes = pod[direction];
  if (!boxes) return;
  const name = podSetName(direction, pod.ip);
  tx.add({ kind: 'set', name, type: BOX_TYPE, flags: ['interval'] });
  tx.add({ kind: 'chain', name });
  const field = direction === 'ingress' ? 'ip saddr' : 'ip daddr';
  // Egress returns to the forward chain, where the destination's ingress is checked next.
  tx.add({ kind: 'rule', chain: name, rule: `${field} . meta l4proto . th dport @${name} ${direction === 'ingress' ? 'accept' : 'return'}` });
  tx.add({ kind: 'rule', chain: name, rule: DENY });
  for (const b of boxes) tx.add({ kind: 'element', set: name, key: boxKey(b) } satisfies ElementObj);
  tx.add({ kind: 'element', map: direction === 'ingress' ? INGRESS_MAP : EGRESS_MAP, key: [pod.ip], value: `jump ${name}` });
}
