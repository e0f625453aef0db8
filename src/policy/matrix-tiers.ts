/**
 * The cluster-wide tiers in the bitset matrix (pure): the order of the engine (engine.ts `side`,
 * tiers.ts) — "Policy tiers are evaluated in the following order: Admin tier, NetworkPolicy tier,
 * Baseline tier", and within a tier by priority, then rule order, "the first matching rule
 * decides" — computed policy by policy over every subject at once: each subject pod keeps its
 * still-undecided peers as a bitset, and each rule takes, for every pod it applies to, the peers
 * it matches among those. So the cost is one bitset operation per (rule, subject pod), with no
 * per-pod rule lists to build.
 */
import { Bitset, BitsetSlab } from '../model/bitset.js';
import { IntervalSet } from '../model/intervals.js';
import { parseIPv4 } from '../model/ip.js';
import { matchesSelector } from '../model/labels.js';
import type { ClusterPeer, ClusterPolicy, ClusterPolicyRule, Pod } from '../model/types.js';
import { ipBlockSet } from './externals.js';
import { cached, type Ctx } from './matrix-ctx.js';

type Direction = 'ingress' | 'egress';

/** One subject pod's walk through a tier. */
interface Walk {
  undecided: Bitset;
  /** Made when a rule first accepts or passes something (typed arrays are costly to allocate). */
  accepted: Bitset | null;
  passed: Bitset | null;
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
    if (np[i]) out[i] = orInto(np[i]!.and(rest(w)), w.accepted);
    else next[i] = rest(w);
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
  const finalBaseline = memo((w: Walk, i: number) => (accepted(i) ? judged(w).clone().or(accepted(i)!) : judged(w)));
  const finalAdmin = memo((w: Walk) => (w.accepted ? rest(w).clone().or(w.accepted) : rest(w)));
  for (let i = 0; i < ctx.n; i++) {
    const w = baseline[i];
    if (w) out[i] = finalBaseline(w, i);
    else if (next[i]) out[i] = finalAdmin(admin[i]!);
  }
  return out;
}

/** A function of a walk computed once per walk (the pods sharing it get the same set). */
function memo<A extends unknown[]>(f: (w: Walk, ...rest: A) => Bitset): (w: Walk, ...rest: A) => Bitset {
  const done = new Map<Walk, Bitset>();
  return (w, ...rest) => {
    let b = done.get(w);
    if (!b) done.set(w, (b = f(w, ...rest)));
    return b;
  };
}

/** `set` with `more` added (in place; `more` null: nothing to add). */
function orInto(set: Bitset, more: Bitset | null): Bitset {
  return more ? set.or(more) : set;
}

/** A tier policy ready to walk: its rules on this side, their peer sets where they do not depend on the subject. */
interface Prepared {
  rules: readonly ClusterPolicyRule[];
  sets: (Bitset | null)[];
  /** Per rule, whether its peers depend on the subject's own named ports (ingress). */
  onSubject: boolean[];
  subjects: number[];
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
    // "CNPs with no ingress rules do not affect ingress traffic" (and the same for egress).
    const rules = direction === 'ingress' ? policy.ingress : policy.egress;
    if (rules.length === 0) continue;
    const onSubject = rules.map((rule) => dependsOnSubject(ctx, rule, direction));
    // Each rule's peers once per policy, except where they depend on the subject's own ports.
    prepared.push({ rules, onSubject, sets: rules.map((rule, r) => (onSubject[r] ? null : ruleSet(ctx, rule, -1, direction))), subjects: subjectPods(ctx, policy) });
  }
  const leader = alikeLeaders(ctx, prepared, startKey);
  const walks: (Walk | null | undefined)[] = new Array(ctx.n);
  for (const p of prepared) {
    for (const i of p.subjects) {
      if (leader[i] !== i) continue;
      let w = walks[i];
      if (w === null) continue;
      if (w === undefined) {
        const undecided = start(i);
        walks[i] = w = undecided ? { undecided, accepted: null, passed: null } : null;
        if (!w) continue;
      }
      for (let r = 0; r < p.rules.length; r++) if (!take(slab, w, p.sets[r] ?? ruleSet(ctx, p.rules[r], i, direction), p.rules[r].action)) break;
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
  // Edges of the trie: one map lookup per (pod, policy met). A state below 2^22 and a policy
  // index below 2^31 make an exact number key; otherwise (named-port results, rare) a string one.
  const starts = new Map<number, number>();
  const edges = new Map<number, number>();
  const dependentEdges = new Map<string, number>();
  let ids = 1;
  const next = <K>(m: Map<K, number>, key: K): number => {
    let to = m.get(key);
    if (to === undefined) m.set(key, (to = ids++));
    return to;
  };
  prepared.forEach((p, k) => {
    const dependent = p.onSubject.some(Boolean);
    for (const i of p.subjects) {
      if (state[i] < 0) state[i] = next(starts, startKey(i));
      // Exact as a double while state < 2^22 (and k < 2^31); beyond that, the string key.
      if (!dependent && state[i] < 2 ** 22) {
        state[i] = next(edges, state[i] * 2 ** 31 + k);
        continue;
      }
      let bits = '';
      p.rules.forEach((rule, r) => {
        if (p.onSubject[r]) bits += namedPortOn(ctx, rule, ctx.pods[i]) ? '1' : '0';
      });
      state[i] = next(dependentEdges, `${state[i]}|${k}|${bits}`);
    }
  });
  const leader = new Int32Array(ctx.n).fill(-1);
  const first = new Map<number, number>();
  for (let i = 0; i < ctx.n; i++) {
    if (state[i] < 0) continue;
    const f = first.get(state[i]);
    if (f === undefined) first.set(state[i], i);
    leader[i] = f ?? i;
  }
  return leader;
}

/** Whether the rule's peers depend on the subject: ingress named ports resolve on the subject itself. */
function dependsOnSubject(ctx: Ctx, rule: ClusterPolicyRule, direction: Direction): boolean {
  return direction === 'ingress' && rule.ports !== null && rule.ports.some((p) => p.kind === 'named') && !byRange(ctx, rule);
}

/** Whether the rule matches the matrix's port by number (no ports field: every port). */
function byRange(ctx: Ctx, rule: ClusterPolicyRule): boolean {
  return rule.ports === null || rule.ports.some((p) => p.kind === 'range' && p.protocol === ctx.protocol && p.start <= ctx.port && ctx.port <= p.end);
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

/** The pods a cluster policy's subject selects: "host-networked pods are not included in subject selection". */
function subjectPods(ctx: Ctx, policy: ClusterPolicy): number[] {
  let out = ctx.subjectCache.get(policy);
  if (!out) {
    out = [];
    for (const [ns, members] of ctx.byNamespace) {
      if (!matchesSelector(policy.subject.namespaceSelector, ctx.engine.namespaceLabels(ns))) continue;
      for (const i of members) if (!ctx.asNode[i] && matchesSelector(policy.subject.podSelector, ctx.pods[i].labels)) out.push(i);
    }
    ctx.subjectCache.set(policy, out);
  }
  return out;
}

/** The peers a cluster rule matches on the matrix's port (named ports resolve on the destination). */
function ruleSet(ctx: Ctx, rule: ClusterPolicyRule, subject: number, direction: Direction): Bitset {
  // Ingress named ports resolve on the subject itself: all its peers or none.
  if (dependsOnSubject(ctx, rule, direction)) return namedPortOn(ctx, rule, ctx.pods[subject]) ? rulePeers(ctx, rule) : empty(ctx);
  let set = ctx.tierCache.get(rule);
  if (!set) {
    const named = rule.ports !== null && rule.ports.some((p) => p.kind === 'named');
    const peers = rulePeers(ctx, rule);
    if (byRange(ctx, rule)) set = peers;
    else if (!named || direction === 'ingress') set = empty(ctx);
    else {
      const mask = new Bitset(ctx.n);
      for (let d = 0; d < ctx.n; d++) if (namedPortOn(ctx, rule, ctx.pods[d])) mask.set(d);
      set = mask.and(peers);
    }
    ctx.tierCache.set(rule, set);
  }
  return set;
}

/** Every pod's address as a number (null: none), once per matrix. */
function podAddresses(ctx: Ctx): (number | null)[] {
  return (ctx.podIPs ??= ctx.pods.map((p) => parseIPv4(p.ip)));
}

function empty(ctx: Ctx): Bitset {
  return cached(ctx, 'tier|empty', () => new Bitset(ctx.n));
}

function namedPortOn(ctx: Ctx, rule: ClusterPolicyRule, pod: Pod): boolean {
  return (rule.ports ?? []).some((p) => p.kind === 'named' && pod.containers.some((c) => c.ports.some((cp) => cp.name === p.name && cp.protocol === ctx.protocol && cp.containerPort === ctx.port)));
}

function rulePeers(ctx: Ctx, rule: ClusterPolicyRule): Bitset {
  let set = ctx.tierPeersCache.get(rule);
  if (!set) {
    set = cached(ctx, `tier|${JSON.stringify(rule.peers)}`, () => {
      const out = new Bitset(ctx.n);
      for (const peer of rule.peers) out.or(peerPods(ctx, peer));
      return out;
    });
    ctx.tierPeersCache.set(rule, set);
  }
  return set;
}

function peerPods(ctx: Ctx, peer: ClusterPeer): Bitset {
  return cached(ctx, `tier|${JSON.stringify(peer)}`, () => {
    const set = new Bitset(ctx.n);
    if (peer.kind === 'domainNames') return set; // not modeled: matches nothing (engine.ts)
    if (peer.kind === 'pods') {
      for (const [ns, members] of ctx.byNamespace) {
        // The namespace selector once per namespace, then the pod selector per pod.
        if (!matchesSelector(peer.namespaceSelector, ctx.engine.namespaceLabels(ns))) continue;
        for (const i of members) if (!ctx.asNode[i] && matchesSelector(peer.podSelector, ctx.pods[i].labels)) set.set(i);
      }
      return set;
    }
    // networks: the address decides, within what the semantics profile lets an address block
    // match (pods' and/or nodes' addresses); nodes: hostNetwork pods by their node's address —
    // as engine.clusterPeerMatches judges one pod.
    const ips = podAddresses(ctx);
    if (peer.kind === 'networks') {
      const raw = peer.cidrs.map((c) => ipBlockSet(c, [])).reduce((a, b) => a.union(b), IntervalSet.EMPTY);
      const { ipBlockMatchesNodes, ipBlockMatchesPods } = ctx.semantics;
      for (let i = 0; i < ctx.n; i++) if (ips[i] !== null && (ctx.asNode[i] ? ipBlockMatchesNodes : ipBlockMatchesPods) && raw.has(ips[i]!)) set.set(i);
    } else {
      const nodes = ctx.engine.nodePeerAddresses(peer);
      for (let i = 0; i < ctx.n; i++) if (ctx.asNode[i] && ips[i] !== null && nodes.has(ips[i]!)) set.set(i);
    }
    return set;
  });
}
