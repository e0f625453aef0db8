/**
 * The IPv4 space outside the cluster, cut into the disjoint ranges that the policies' ipBlocks
 * (cidr minus except, as one canonical set of intervals) tell apart. Every address in one range
 * is treated alike by every policy.
 */
import { IPV4_MAX, parseCidr, parseIPv4 } from '../model/ip.js';
import { IntervalSet } from '../model/intervals.js';
import { matchesSelector } from '../model/labels.js';
import type { ClusterPolicy, NetworkPolicy, Node } from '../model/types.js';

/** The IPv4 addresses an ipBlock matches: cidr minus every except, as canonical intervals. */
export function ipBlockSet(cidrText: string, except: readonly string[]): IntervalSet {
  const cidr = parseCidr(cidrText);
  if (!cidr || cidr.family !== 4) return IntervalSet.EMPTY;
  if (except.length === 0) return IntervalSet.of(cidr.start, cidr.end);
  const cut = IntervalSet.from(
    except
      .map(parseCidr)
      .filter((c) => c !== null && c.family === 4)
      .map((c) => ({ start: c!.start, end: c!.end })),
  );
  return IntervalSet.of(cidr.start, cidr.end).subtract(cut);
}

/** Cluster policies whose peers cut the address space, and the nodes their nodes peers select from. */
export interface TierCuts {
  policies: readonly ClusterPolicy[];
  nodes: readonly Node[];
}

export interface IpRange {
  start: number;
  end: number;
}

/**
 * The ranges for one direction: "ingress" cuts by the ipBlocks of ingress rules (the sources a
 * policy tells apart), "egress" by those of egress rules (the destinations).
 */
export function externalRanges(policies: readonly NetworkPolicy[], direction: 'ingress' | 'egress', tiers: TierCuts = { policies: [], nodes: [] }): IpRange[] {
  const cuts = new Set<number>([0]);
  const cut = (set: IntervalSet) => {
    for (const iv of set.intervals) {
      cuts.add(iv.start);
      if (iv.end < IPV4_MAX) cuts.add(iv.end + 1);
    }
  };
  // Cluster policies' egress peers tell addresses apart too: networks by CIDR, nodes by the
  // selected nodes' addresses (ingress peers are pods only).
  if (direction === 'egress') {
    for (const pol of tiers.policies) {
      for (const rule of pol.egress) {
        for (const peer of rule.peers) {
          if (peer.kind === 'networks') for (const c of peer.cidrs) cut(ipBlockSet(c, []));
          if (peer.kind === 'nodes') {
            for (const n of tiers.nodes) {
              const ip = n.internalIP === undefined ? null : parseIPv4(n.internalIP);
              if (ip !== null && matchesSelector(peer.nodeSelector, n.labels)) cut(IntervalSet.of(ip, ip));
            }
          }
        }
      }
    }
  }
  for (const pol of policies) {
    for (const rule of direction === 'ingress' ? pol.ingress : pol.egress) {
      for (const peer of rule.peers ?? []) {
        if (peer.kind !== 'ipBlock') continue;
        for (const iv of ipBlockSet(peer.cidr, peer.except).intervals) {
          cuts.add(iv.start);
          if (iv.end < IPV4_MAX) cuts.add(iv.end + 1);
        }
      }
    }
  }
  const starts = [...cuts].sort((a, b) => a - b);
  return starts.map((start, i) => ({ start, end: i + 1 < starts.length ? starts[i + 1] - 1 : IPV4_MAX }));
}
