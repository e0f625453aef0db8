/**
 * The cluster-wide tiers in the bitset matrix (pure): the order of the engine (engine.ts `side`,
 * tiers.ts) — "Policy tiers are evaluated in the following order: Admin tier, NetworkPolicy tier,
 * Baseline tier", and within a tier by priority, then rule order, "the first matching rule
 * decides" — computed policy by policy over every subject at once: each subject pod keeps its
 * still-undecided peers as a bitset, and each rule takes, for every pod it applies to, the peers
 * it matches among those. So the cost is one bitset operation per (rule, subject pod), with no
 * per-pod rule lists to build.
 */
import { BitsetSlab, type Bitset } from '../model/bitset.js';
import type { ClusterPolicy, ClusterPolicyRule } from '../model/types.js';
import type { Ctx } from './matrix-ctx.js';
import { dependsOnSubject, namedPortOn, rulePeers, ruleSet, subjectPods, type Direction } from './matrix-tier-sets.js';

/** One subject pod's walk through a tier. */
interface Walk {
  undecided: Bitset;
  /** Made when a rule first accepts or passes something (typed arrays are costly to allocate). */
  accepted: Bitset | null;
  passed: Bitset | null;
  /** Nothing is left undecided: the tier's later rules change nothing. */
  done: boolean;
}

/**
 * The tiers around NetworkPolicy's per-pod sets (null: not isolated), for every pod some
 * cluster policy has as subject in `direction`; the others keep NetworkPolicy's set. A walk is
 * shared by the pods that walk alike (walkTier): its sets are read, never changed, per pod.
 */
export function applyTiers(ctx: Ctx, np: (Bitset | null)[], direction: Direction): (Bitset | null)[] {
  const tiers = ctx.engine.tiers;
  if (tiers.empty) return np;
  const out = np.slice();
  const slab = new BitsetSlab(ctx.n);
  // Admin tier: every subject starts with every peer undecided.
  const admin = walkTier(ctx, slab, tiers.policies('Admin'), direction, () => 0, () => slab.full());
  // What goes on from an Admin walk to the next tier: its undecided and passed peers (once per walk).
  const rest = memo((w: Walk) => (w.passed ? w.undecided.clone().or(w.passed) : w.undecided));
  const next: (Bitset | undefined)[] = new Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) {
    const w = admin[i];
    if (!w) continue;
    // "v1.NetworkPolicy always makes a final decision for selected pods." NetworkPolicy's set is
    // this pod's own (matrix.ts makes one per pod), so it is narrowed in place.
    if (np[i]) out[i] = orInto(np[i]!.and(rest(w, i)), w.accepted);
    else next[i] = rest(w, i);
  }
  // Baseline tier, for the pods NetworkPolicy does not isolate: what the Admin tier left (all of
  // it where no Admin rule applied), and what it leaves goes to the default: allowed. Pods walk
  // alike here only if they also came out of the same Admin walk.
  const ids = new Map<Walk, number>();
  const startKey = (i: number) => (np[i] ? -1 : admin[i] ? (ids.get(admin[i]!) ?? ids.set(admin[i]!, ids.size + 1).get(admin[i]!)!) : 0);
  const baseline = walkTier(ctx, slab, tiers.policies('Baseline'), direction, startKey, (i) => (np[i] ? null : next[i] ? next[i]!.clone() : slab.full()));
  // Once per Baseline walk (its pods share their Admin walk, so its accepted peers too), and once
  // per Admin walk for the pods no Baseline rule applies to.
  const judged = memo((w: Walk) => orInto(orInto(w.undecided, w.accepted), w.passed));
  const accepted = (i: number) => admin[i]?.accepted ?? null;
  const finalBaseline = memo((w: Walk, i: number) => (accepted(i) ? judged(w, i).clone().or(accepted(i)!) : judged(w, i)));
  const finalAdmin = memo((w: Walk, i: number) => (w.accepted ? rest(w, i).clone().or(w.accepted) : rest(w, i)));
  for (let i = 0; i < ctx.n; i++) {
    const w = baseline[i];
    if (w) out[i] = finalBaseline(w, i);
    else if (next[i]) out[i] = finalAdmin(admin[i]!, i);
  }
  return out;
}

/** A function of a walk computed once per walk, for the first pod `i` that asks (the pods sharing it get the same set). */
function memo(f: (w: Walk, i: number) => Bitset): (w: Walk, i: number) => Bitset {
  const done = new Map<Walk, Bitset>();
  return (w, i) => {
    let b = done.get(w);
    if (!b) done.set(w, (b = f(w, i)));
    return b;
  };
}

/** `set` with `more` added (in place; `more` null: nothing to add). */
function orInto(set: Bitset, more: Bitset | null): Bitset {
  return more ? set.or(more) : set;
}

/**
 * A tier policy ready to walk: its rules on this side that can match anything on the matrix's
 * port, with their peer sets where these do not depend on the subject (null: they do).
 */
interface Prepared {
  rules: ClusterPolicyRule[];
  sets: (Bitset | null)[];
  /** Whether some rule's peers depend on the subject's own named ports (ingress). */
  dependent: boolean;
  subjects: number[];
}

/**
 * The policy's rules that can decide anything on the port: a rule whose peers match nothing on
 * it takes nothing from any walk (the first matching rule decides, and it matches no peer), so
 * it is left out, and a policy left with no rule is not met at all.
 */
function prepare(ctx: Ctx, policy: ClusterPolicy, direction: Direction): Prepared | null {
  // "CNPs with no ingress rules do not affect ingress traffic" (and the same for egress).
  const all = direction === 'ingress' ? policy.ingress : policy.egress;
  const rules: ClusterPolicyRule[] = [];
  const sets: (Bitset | null)[] = [];
  let dependent = false;
  for (const rule of all) {
    if (dependsOnSubject(ctx, rule, direction)) {
      dependent = true;
      rules.push(rule);
      sets.push(null);
      continue;
    }
    const set = ruleSet(ctx, rule, direction);
    if (set.isEmpty()) continue;
    rules.push(rule);
    sets.push(set);
  }
  return rules.length === 0 ? null : { rules, sets, dependent, subjects: subjectPods(ctx, policy) };
}

/**
 * Subject `i`'s results for the subject-dependent rules of `p`, a character each ('1': the rule's
 * named port is on the pod); null: no rule of `p` can match anything for this pod.
 */
function onSubject(ctx: Ctx, p: Prepared, i: number): string | null {
  let bits = '';
  let any = false;
  for (let r = 0; r < p.rules.length; r++) {
    if (p.sets[r] !== null) any = true;
    else if (namedPortOn(ctx, p.rules[r], ctx.pods[i])) (bits += '1'), (any = true);
    else bits += '0';
  }
  return any ? bits : null;
}

/**
 * One tier's policies in order over their subjects, indexed by pod; `start(i)` gives a subject's
 * undecided peers when the tier first meets it (null: the tier does not judge that pod).
 *
 * Pods walk alike when they start alike (`startKey`) and meet the same policies in the same
 * order with the same named-port results on themselves: such pods share one walk, made for the
 * first of them. Replicas of one workload usually do (the same namespace and labels), so the
 * cost is one bitset operation per (rule, group of alike subjects).
 */
function walkTier(ctx: Ctx, slab: BitsetSlab, policies: readonly ClusterPolicy[], direction: Direction, startKey: (i: number) => number, start: (i: number) => Bitset | null): (Walk | null | undefined)[] {
  const prepared: Prepared[] = [];
  for (const policy of policies) {
    const p = prepare(ctx, policy, direction);
    if (p) prepared.push(p);
  }
  const leader = alikeLeaders(ctx, prepared, startKey);
  const walks: (Walk | null | undefined)[] = new Array(ctx.n);
  for (const p of prepared) {
    for (const i of p.subjects) {
      if (leader[i] !== i) continue;
      let w = walks[i];
      if (w === null) continue;
      if (p.dependent && onSubject(ctx, p, i) === null) continue;
      if (w === undefined) {
        const undecided = start(i);
        walks[i] = w = undecided ? { undecided, accepted: null, passed: null, done: false } : null;
        if (!w) continue;
      }
      if (w.done) continue;
      for (let r = 0; r < p.rules.length; r++) {
        const set = p.sets[r] ?? (namedPortOn(ctx, p.rules[r], ctx.pods[i]) ? rulePeers(ctx, p.rules[r]) : null);
        if (set && !take(slab, w, set, p.rules[r].action)) {
          w.done = true;
          break;
        }
      }
    }
  }
  for (let i = 0; i < ctx.n; i++) if (leader[i] >= 0 && leader[i] !== i) walks[i] = walks[leader[i]];
  return walks;
}

/**
 * For every subject of some policy, the first pod that walks alike (-1: subject of none): an
 * exact signature per pod — its start, then each policy it meets with the named-port results of
 * that policy's subject-dependent rules — interned as a path in a trie of small integers.
 */
function alikeLeaders(ctx: Ctx, prepared: readonly Prepared[], startKey: (i: number) => number): Int32Array {
  const state = new Int32Array(ctx.n).fill(-1);
  // The trie's states are numbered from 1; a pod meeting policy k goes along the edge (its state,
  // k). One policy's edges are found by state in `to`, valid where `seen` holds that policy's
  // stamp: no hashing, and no table kept per policy. Named-port results (rare) key a string map.
  const starts = new Map<number, number>();
  const dependentEdges = new Map<string, number>();
  let ids = 1;
  // Small at first (they double as the trie grows), so that even small clusters grow them.
  let seen = new Int32Array(2);
  let to = new Int32Array(2);
  prepared.forEach((p, k) => {
    const stamp = k + 1;
    for (const i of p.subjects) {
      // A pod none of whose rules here can match meets this policy as if it were not a subject.
      const bits = p.dependent ? onSubject(ctx, p, i) : '';
      if (bits === null) continue;
      let s = state[i];
      if (s < 0) {
        const key = startKey(i);
        s = starts.get(key) ?? 0;
        if (s === 0) starts.set(key, (s = ids++));
      }
      if (p.dependent) {
        const key = `${s}|${k}|${bits}`;
        s = dependentEdges.get(key) ?? 0;
        if (s === 0) dependentEdges.set(key, (s = ids++));
      } else {
        if (s >= seen.length) [seen, to] = [grown(seen, s), grown(to, s)];
        if (seen[s] !== stamp) (seen[s] = stamp), (to[s] = ids++);
        s = to[s];
      }
      state[i] = s;
    }
  });
  // Each pod's leader: the first pod that ended in its state.
  const leader = new Int32Array(ctx.n).fill(-1);
  const first = new Int32Array(ids).fill(-1);
  for (let i = 0; i < ctx.n; i++) {
    const s = state[i];
    if (s < 0) continue;
    if (first[s] < 0) first[s] = i;
    leader[i] = first[s];
  }
  return leader;
}

/** `a` copied into an array with room for index `i`. */
function grown(a: Int32Array<ArrayBuffer>, i: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(Math.max(2 * a.length, i + 1));
  out.set(a);
  return out;
}

/**
 * The rule takes the peers it matches among the undecided ones: Accept and Pass record them,
 * Deny just decides them. In place, word by word (no set is allocated per rule and pod).
 * Returns whether anything is still undecided.
 */
function take(slab: BitsetSlab, w: Walk, matched: Bitset, action: ClusterPolicyRule['action']): boolean {
  const u = w.undecided.words;
  const m = matched.words;
  let into: Uint32Array | null = null;
  let left = 0;
  for (let k = 0; k < u.length; k++) {
    const hit = m[k] & u[k];
    if (hit !== 0) {
      u[k] &= ~hit;
      if (action !== 'Deny') {
        if (!into) {
          const target = action === 'Accept' ? (w.accepted ??= slab.empty()) : (w.passed ??= slab.empty());
          into = target.words;
        }
        into[k] |= hit;
      }
    }
    left |= u[k];
  }
  return left !== 0;
}
