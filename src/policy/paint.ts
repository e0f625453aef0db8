/**
 * The cluster-wide tiers compiled for one pod and one side (pure): the Admin tier's rules, the
 * NetworkPolicy grants, the Baseline tier's rules and the default folded into the one set of
 * connections the pod allows, so that the data plane still does one set lookup per packet
 * whatever the number of policies.
 *
 * The order is the engine's (engine.ts `side`, tiers.ts): "Policy tiers are evaluated in the
 * following order: Admin tier, NetworkPolicy tier, Baseline tier"; within a tier "the first
 * matching rule decides". The address axis is cut at every grant boundary; on each piece the
 * rules are walked in order over the connections not yet decided, exactly as the engine walks
 * them for one peer. Connections here also cover the protocols NetworkPolicy cannot name (ICMP
 * and the rest): a rule without ports matches them, a rule with ports does not.
 */
import { IPV4_MAX } from '../model/ip.js';
import { PROTOCOLS, type TierAction } from '../model/types.js';
import { PROTOCOL_NUMBERS, type Box, type Conns, type Grant } from './boxes.js';
import { ConnSet } from './conns.js';

/** Connections: TCP/UDP/SCTP ports, and whether every other protocol is in. */
export interface Traffic {
  other: boolean;
  set: ConnSet;
}

export const ALL_TRAFFIC: Traffic = { other: true, set: ConnSet.ALL };
export const NO_TRAFFIC: Traffic = { other: false, set: ConnSet.NONE };

const traffic = (c: Conns): Traffic => (c === 'any' ? ALL_TRAFFIC : { other: false, set: c });
const union = (a: Traffic, b: Traffic): Traffic => ({ other: a.other || b.other, set: a.set.union(b.set) });
const intersect = (a: Traffic, b: Traffic): Traffic => ({ other: a.other && b.other, set: a.set.intersect(b.set) });
const subtract = (a: Traffic, b: Traffic): Traffic => ({ other: a.other && !b.other, set: a.set.subtract(b.set) });
const isNone = (a: Traffic): boolean => !a.other && a.set.isEmpty();
const same = (a: Traffic, b: Traffic): boolean => a.other === b.other && a.set.equals(b.set);

/** One rule of a tier: what it matches (the union of its grants) and what it does with it. */
export interface TierStep {
  action: TierAction;
  grants: readonly Grant[];
}

export interface TieredSide {
  admin: readonly TierStep[];
  /** The NetworkPolicy grants when some NetworkPolicy isolates the pod on this side, else null. */
  networkPolicy: readonly Grant[] | null;
  baseline: readonly TierStep[];
}

/** A run of addresses [start, end] and the connections allowed with each of them. */
export interface Segment {
  start: number;
  end: number;
  allowed: Traffic;
}

/** What the side allows, as address segments covering 0.0.0.0-255.255.255.255 in order. */
export function paintTiers(side: TieredSide): Segment[] {
  const steps = [...side.admin, ...side.baseline];
  const cuts = new Set<number>([0, IPV4_MAX + 1]);
  const every = [...steps.flatMap((s) => s.grants), ...(side.networkPolicy ?? [])];
  for (const g of every) for (const iv of g.peers.intervals) cuts.add(iv.start).add(iv.end + 1);
  const points = [...cuts].sort((a, b) => a - b);
  const index = new Map(points.map((p, i) => [p, i]));
  const pieces = points.length - 1;
  const cover = (grants: readonly Grant[]): (Traffic | undefined)[] => {
    const out: (Traffic | undefined)[] = new Array(pieces);
    for (const g of grants) {
      const t = traffic(g.conns);
      if (isNone(t)) continue;
      for (const iv of g.peers.intervals) {
        const last = index.get(iv.end + 1)!;
        for (let i = index.get(iv.start)!; i < last; i++) out[i] = out[i] ? union(out[i]!, t) : t;
      }
    }
    return out;
  };
  const admin = side.admin.map((s) => ({ action: s.action, cover: cover(s.grants) }));
  const baseline = side.baseline.map((s) => ({ action: s.action, cover: cover(s.grants) }));
  const np = side.networkPolicy ? cover(side.networkPolicy) : null;

  const segments: Segment[] = [];
  for (let i = 0; i < pieces; i++) {
    const adminOut = walk(admin, i, ALL_TRAFFIC);
    const next = union(adminOut.undecided, adminOut.passed);
    let allowed = adminOut.accepted;
    if (np) {
      // "v1.NetworkPolicy always makes a final decision for selected pods."
      allowed = union(allowed, intersect(np[i] ?? NO_TRAFFIC, next));
    } else {
      // What the Baseline tier leaves undecided or passes goes to the default: allowed.
      const base = walk(baseline, i, next);
      allowed = union(union(allowed, base.accepted), union(base.passed, base.undecided));
    }
    const last = segments[segments.length - 1];
    if (last && same(last.allowed, allowed)) last.end = points[i + 1] - 1;
    else segments.push({ start: points[i], end: points[i + 1] - 1, allowed });
  }
  return segments;
}

/** One tier's rules in order on piece `i`: each takes what it matches of what is still undecided. */
function walk(steps: readonly { action: TierAction; cover: (Traffic | undefined)[] }[], i: number, undecided: Traffic): { accepted: Traffic; passed: Traffic; undecided: Traffic } {
  let accepted = NO_TRAFFIC;
  let passed = NO_TRAFFIC;
  for (const s of steps) {
    if (isNone(undecided)) break;
    const matched = s.cover[i];
    if (!matched) continue;
    const c = intersect(matched, undecided);
    if (isNone(c)) continue;
    undecided = subtract(undecided, c);
    if (s.action === 'Accept') accepted = union(accepted, c);
    else if (s.action === 'Pass') passed = union(passed, c);
  }
  return { accepted, passed, undecided };
}

/** The segments with one address allowed everything (the pod itself). */
export function allowAddress(segments: readonly Segment[], address: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    if (address < s.start || address > s.end) {
      out.push(s);
      continue;
    }
    if (s.start < address) out.push({ ...s, end: address - 1 });
    out.push({ start: address, end: address, allowed: ALL_TRAFFIC });
    if (address < s.end) out.push({ ...s, start: address + 1 });
  }
  return out;
}

/** Whether the segments allow every connection with every address. */
export function allowsEverything(segments: readonly Segment[]): boolean {
  return segments.every((s) => same(s.allowed, ALL_TRAFFIC));
}

/** The protocol numbers outside TCP, UDP and SCTP, as ranges. */
const OTHER_PROTOCOLS: readonly [number, number][] = (() => {
  const named = PROTOCOLS.map((p) => PROTOCOL_NUMBERS[p]).sort((a, b) => a - b);
  const out: [number, number][] = [];
  let from = 0;
  for (const n of named) {
    if (from < n) out.push([from, n - 1]);
    from = n + 1;
  }
  if (from <= 255) out.push([from, 255]);
  return out;
})();

/** The allowed connections as disjoint boxes (neighbouring segments with equal traffic merged). */
export function segmentBoxes(segments: readonly Segment[]): Box[] {
  const boxes: Box[] = [];
  for (let k = 0; k < segments.length; k++) {
    const s = segments[k];
    let end = s.end;
    while (k + 1 < segments.length && same(segments[k + 1].allowed, s.allowed)) end = segments[++k].end;
    const t = s.allowed;
    if (isNone(t)) continue;
    if (t.other && t.set.isAll()) {
      boxes.push({ peerStart: s.start, peerEnd: end, protocol: 'any', portStart: 0, portEnd: 65535 });
      continue;
    }
    for (const p of PROTOCOLS) for (const iv of t.set.portsOf(p).intervals) boxes.push({ peerStart: s.start, peerEnd: end, protocol: PROTOCOL_NUMBERS[p], portStart: iv.start, portEnd: iv.end });
    if (t.other) for (const [a, z] of OTHER_PROTOCOLS) boxes.push({ peerStart: s.start, peerEnd: end, protocol: a, protocolEnd: z, portStart: 0, portEnd: 65535 });
  }
  return boxes;
}
