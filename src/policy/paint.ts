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
const isNone = (a: Traffic): boolean => !a.other && a.set.isEmpty();
const isAll = (a: Traffic): boolean => a === ALL_TRAFFIC || (a.other && a.set.isAll());
// The identities first: most pieces of a side meet no tier rule, so they cost no allocation.
const union = (a: Traffic, b: Traffic): Traffic => (a === NO_TRAFFIC || b === ALL_TRAFFIC ? b : b === NO_TRAFFIC || a === ALL_TRAFFIC ? a : { other: a.other || b.other, set: a.set.union(b.set) });
const intersect = (a: Traffic, b: Traffic): Traffic => (a === ALL_TRAFFIC || b === NO_TRAFFIC ? b : b === ALL_TRAFFIC || a === NO_TRAFFIC ? a : { other: a.other && b.other, set: a.set.intersect(b.set) });
const subtract = (a: Traffic, b: Traffic): Traffic => (b === NO_TRAFFIC ? a : b === ALL_TRAFFIC ? NO_TRAFFIC : { other: a.other && !b.other, set: a.set.subtract(b.set) });
const same = (a: Traffic, b: Traffic): boolean => a === b || (a.other === b.other && (a.set === b.set || a.set.equals(b.set)));

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

/** The sorted, distinct cut points of the grants' intervals, 0 and 2^32 included. */
function cutPoints(grants: readonly Grant[]): Float64Array {
  let n = 2;
  for (const g of grants) n += 2 * g.peers.intervals.length;
  const all = new Float64Array(n);
  let k = 0;
  all[k++] = 0;
  all[k++] = IPV4_MAX + 1;
  for (const g of grants) for (const iv of g.peers.intervals) (all[k++] = iv.start), (all[k++] = iv.end + 1);
  all.sort();
  let m = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[m - 1]) all[m++] = all[i];
  return all.subarray(0, m);
}

/** The index of `point` among the cut points (it is one of them). */
function indexOf(points: Float64Array, point: number): number {
  let [lo, hi] = [0, points.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid] < point) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per piece between the cut points, the union of what the grants allow there (undefined: nothing). */
function cover(grants: readonly Grant[], points: Float64Array): (Traffic | undefined)[] {
  const out: (Traffic | undefined)[] = new Array(points.length - 1);
  for (const g of grants) {
    const t = traffic(g.conns);
    if (isNone(t)) continue;
    for (const iv of g.peers.intervals) {
      const last = indexOf(points, iv.end + 1);
      for (let i = indexOf(points, iv.start); i < last; i++) out[i] = out[i] ? union(out[i]!, t) : t;
    }
  }
  return out;
}

/** Appends [start, end] with `allowed`, merging it into the last segment when that allows the same. */
function push(segments: Segment[], start: number, end: number, allowed: Traffic): void {
  const last = segments[segments.length - 1];
  if (last && same(last.allowed, allowed)) last.end = end;
  else segments.push({ start, end, allowed });
}

/**
 * What the side allows, as address segments covering 0.0.0.0-255.255.255.255 in order. The tiers
 * are walked on the pieces their own rules cut (few); the NetworkPolicy grants (possibly
 * thousands) are cut separately and met with them in one merge.
 */
export function paintTiers(side: TieredSide): Segment[] {
  const tierCut = cutPoints([...side.admin, ...side.baseline].flatMap((s) => s.grants));
  const admin = side.admin.map((s) => ({ action: s.action, cover: cover(s.grants, tierCut) }));
  const baseline = side.baseline.map((s) => ({ action: s.action, cover: cover(s.grants, tierCut) }));
  // Per tier piece: what the Admin tier accepted, and what goes on to the next tier.
  const tiers: { start: number; end: number; accepted: Traffic; next: Traffic }[] = [];
  for (let i = 0; i < tierCut.length - 1; i++) {
    const out = walk(admin, i, ALL_TRAFFIC);
    let accepted = out.accepted;
    let next = union(out.undecided, out.passed);
    if (!side.networkPolicy) {
      // What the Baseline tier leaves undecided or passes goes to the default: allowed.
      const base = walk(baseline, i, next);
      accepted = union(union(accepted, base.accepted), union(base.passed, base.undecided));
      next = NO_TRAFFIC;
    }
    tiers.push({ start: tierCut[i], end: tierCut[i + 1] - 1, accepted, next });
  }
  const segments: Segment[] = [];
  if (!side.networkPolicy) {
    for (const t of tiers) push(segments, t.start, t.end, t.accepted);
    return segments;
  }
  // "v1.NetworkPolicy always makes a final decision for selected pods."
  const npCut = cutPoints(side.networkPolicy);
  const np = cover(side.networkPolicy, npCut);
  let k = 0;
  for (let i = 0; i < np.length; i++) {
    const [start, end] = [npCut[i], npCut[i + 1] - 1];
    for (let at = start; at <= end; ) {
      while (tiers[k].end < at) k++;
      const t = tiers[k];
      const to = Math.min(end, t.end);
      push(segments, at, to, union(t.accepted, intersect(np[i] ?? NO_TRAFFIC, t.next)));
      at = to + 1;
    }
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
    if (isAll(t)) {
      boxes.push({ peerStart: s.start, peerEnd: end, protocol: 'any', portStart: 0, portEnd: 65535 });
      continue;
    }
    for (const p of PROTOCOLS) for (const iv of t.set.portsOf(p).intervals) boxes.push({ peerStart: s.start, peerEnd: end, protocol: PROTOCOL_NUMBERS[p], portStart: iv.start, portEnd: iv.end });
    if (t.other) for (const [a, z] of OTHER_PROTOCOLS) boxes.push({ peerStart: s.start, peerEnd: end, protocol: a, protocolEnd: z, portStart: 0, portEnd: 65535 });
  }
  return boxes;
}
