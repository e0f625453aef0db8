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
 * cluster policy has as subject in `direction`; the others keep NetworkPolicy's set.
 */
export function applyTiers(ctx: Ctx, np: (Bitset | null)[], direction: Direction): (Bitset | null)[] {
  const tiers = ctx.engine.tiers;
  if (tiers.empty) return np;
  const out = np.slice();
  const slab = new BitsetSlab(ctx.n);
  // Admin tier: every subject starts with every peer undecided.
  const admin = walkTier(ctx, slab, tiers.policies('Admin'), direction, () => slab.full());
  const next: (Bitset | undefined)[] = new Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) {
    const w = admin[i];
    if (!w) continue;
    const rest = w.passed ? w.undecided.or(w.passed) : w.undecided;
    // "v1.NetworkPolicy always makes a final decision for selected pods."
    if (np[i]) out[i] = orInto(rest.and(np[i]!), w.accepted);
    else next[i] = rest;
  }
  // Baseline tier, for the pods NetworkPolicy does not isolate: what the Admin tier left (all of
  // it where no Admin rule applied), and what it leaves goes to the default: allowed.
  const baseline = walkTier(ctx, slab, tiers.policies('Baseline'), direction, (i) => (np[i] ? null : next[i] ?? slab.full()));
  for (let i = 0; i < ctx.n; i++) {
    const w = baseline[i];
    const accepted = admin[i]?.accepted ?? null;
    if (w) out[i] = orInto(orInto(orInto(w.undecided, w.accepted), w.passed), accepted);
    else if (next[i]) out[i] = orInto(next[i]!, accepted);
  }
  return out;
}

/** `set` with `more` added (in place; `more` null: nothing to add). */
function orInto(set: Bitset, more: Bitset | null): Bitset {
  return more ? set.or(more) : set;
}

/**
 * One tier's policies in order over their subjects, indexed by pod; `start(i)` gives a subject's
 * undecided peers when the tier first meets it (null: the tier does not judge that pod).
 */
function walkTier(ctx: Ctx, slab: BitsetSlab, policies: readonly ClusterPolicy[], direction: Direction, start: (i: number) => Bitset | null): (Walk | null | undefined)[] {
  const walks: (Walk | null | undefined)[] = new Array(ctx.n);
  for (const policy of policies) {
    // "CNPs with no ingress rules do not affect ingress traffic" (and the same for egress).
    const rules = direction === 'ingress' ? policy.ingress : policy.egress;
    if (rules.length === 0) continue;
    // Each rule's peers once per policy, except where they depend on the subject's own ports.
    const sets = rules.map((rule) => (onSubject(ctx, rule, direction) ? null : ruleSet(ctx, rule, -1, direction)));
    for (const i of subjectPods(ctx, policy)) {
      let w = walks[i];
      if (w === null) continue;
      if (w === undefined) {
        const undecided = start(i);
        walks[i] = w = undecided ? { undecided, accepted: null, passed: null } : null;
        if (!w) continue;
      }
      for (let r = 0; r < rules.length; r++) if (!take(slab, w, sets[r] ?? ruleSet(ctx, rules[r], i, direction), rules[r].action)) break;
    }
  }
  return walks;
}

/** Whether the rule's peers depend on the subject: ingress named ports resolve on the subject itself. */
function onSubject(ctx: Ctx, rule: ClusterPolicyRule, direction: Direction): boolean {
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
  if (onSubject(ctx, rule, direction)) return namedPortOn(ctx, rule, ctx.pods[subject]) ? rulePeers(ctx, rule) : empty(ctx);
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
