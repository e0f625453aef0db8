/**
 * Allowed traffic as disjoint boxes (peer address range × protocol × port range): the shape of
 * an nftables interval set keyed `ipv4_addr . inet_proto . inet_service`, which refuses
 * overlapping elements. Pure.
 */
import { IPV4_MAX } from '../model/ip.js';
import type { IntervalSet } from '../model/intervals.js';
import { PROTOCOLS, type Protocol } from '../model/types.js';
import type { ConnSet } from './conns.js';

/** 'any': every protocol and port, ICMP included (a rule without ports). */
export type Conns = 'any' | ConnSet;

/** Connections allowed with every address of `peers`. */
export interface Grant {
  peers: IntervalSet;
  conns: Conns;
}

export interface Box {
  peerStart: number;
  peerEnd: number;
  /** IANA protocol number, or 'any'. */
  protocol: number | 'any';
  /** With a number in `protocol`: the last protocol number of a range (the protocols ports cannot name). */
  protocolEnd?: number;
  portStart: number;
  portEnd: number;
}

export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = { TCP: 6, UDP: 17, SCTP: 132 };

export function unionConns(a: Conns | undefined, b: Conns): Conns {
  if (a === undefined) return b;
  if (a === 'any' || b === 'any') return 'any';
  return a.union(b);
}

function sameConns(a: Conns | undefined, b: Conns | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a === 'any' || b === 'any') return a === b;
  return a.equals(b);
}

/**
 * The union of the grants as disjoint boxes: the address axis is cut at every grant boundary,
 * each piece gets the union of the connections of the grants covering it, and neighbouring
 * pieces with equal connections are merged again.
 */
export function decompose(grants: readonly Grant[]): Box[] {
  const cuts = new Set<number>();
  for (const g of grants) {
    if (g.conns !== 'any' && g.conns.isEmpty()) continue;
    for (const iv of g.peers.intervals) {
      cuts.add(iv.start);
      cuts.add(iv.end + 1);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const index = new Map(points.map((p, i) => [p, i]));
  const pieces: (Conns | undefined)[] = new Array(Math.max(0, points.length - 1));
  for (const g of grants) {
    if (g.conns !== 'any' && g.conns.isEmpty()) continue;
    for (const iv of g.peers.intervals) {
      const last = index.get(iv.end + 1)!;
      for (let i = index.get(iv.start)!; i < last; i++) pieces[i] = unionConns(pieces[i], g.conns);
    }
  }
  const boxes: Box[] = [];
  let i = 0;
  while (i < pieces.length) {
    const conns = pieces[i];
    let j = i + 1;
    while (j < pieces.length && sameConns(pieces[j], conns) && conns !== undefined) j++;
    if (conns !== undefined) boxes.push(...connBoxes(points[i], Math.min(points[j] - 1, IPV4_MAX), conns));
    i = j;
  }
  return boxes;
}

function connBoxes(peerStart: number, peerEnd: number, conns: Conns): Box[] {
  if (conns === 'any') return [{ peerStart, peerEnd, protocol: 'any', portStart: 0, portEnd: 65535 }];
  return PROTOCOLS.flatMap((p) =>
    conns.portsOf(p).intervals.map((iv) => ({ peerStart, peerEnd, protocol: PROTOCOL_NUMBERS[p], portStart: iv.start, portEnd: iv.end })),
  );
}

/** Whether the boxes allow (peer, protocol, port): the set lookup the data plane does. */
export function boxesAllow(boxes: readonly Box[], peer: number, protocol: Protocol, port: number): boolean {
  const n = PROTOCOL_NUMBERS[protocol];
  return boxes.some((b) => b.peerStart <= peer && peer <= b.peerEnd && boxHasProtocol(b, n) && b.portStart <= port && port <= b.portEnd);
}

/** Whether protocol number `n` is in the box. */
export function boxHasProtocol(b: Box, n: number): boolean {
  if (b.protocol === 'any') return true;
  return b.protocolEnd === undefined ? b.protocol === n : b.protocol <= n && n <= b.protocolEnd;
}
