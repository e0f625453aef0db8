/**
 * The IPv4 space outside the cluster, cut into the disjoint ranges that the policies' ipBlocks
 * (cidr minus except, as one canonical set of intervals) tell apart. Every address in one range
 * is treated alike by every policy.
 */
import { IPV4_MAX, parseCidr } from '../model/ip.js';
import { IntervalSet } from '../model/intervals.js';
import type { NetworkPolicy } from '../model/types.js';

/** The IPv4 addresses an ipBlock matches: cidr minus every except, as canonical intervals. */
export function ipBlockSet(cidrText: string, except: readonly string[]): IntervalSet {
  const cidr = parseCidr(cidrText);
  if (!cidr || cidr.family !== 4) return IntervalSet.EMPTY;
  const cut = IntervalSet.from(
    except
      .map(parseCidr)
      .filter((c) => c !== null && c.family === 4)
      .map((c) => ({ start: c!.start, end: c!.end })),
  );
  return IntervalSet.of(cidr.start, cidr.end).subtract(cut);
}

export interface IpRange {
  start: number;
  end: number;
}

/**
 * The ranges for one direction: "ingress" cuts by the ipBlocks of ingress rules (the sources a
 * policy tells apart), "egress" by those of egress rules (the destinations).
 */
export function externalRanges(policies: readonly NetworkPolicy[], direction: 'ingress' | 'egress'): IpRange[] {
  const cuts = new Set<number>([0]);
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
