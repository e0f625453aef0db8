/**
 * The sets the tiered matrix walks with (pure; matrix-tiers.ts): cluster policies' subjects, and
 * their rules' peers on the matrix's port. Each is made once per matrix and kept in the Ctx.
 */
import { Bitset } from '../model/bitset.js';
import { IntervalSet } from '../model/intervals.js';
import { parseIPv4 } from '../model/ip.js';
import { matchesSelector, selectorKey } from '../model/labels.js';
import type { ClusterPeer, ClusterPolicy, ClusterPolicyRule, Pod } from '../model/types.js';
import { ipBlockSet } from './externals.js';
import { cached, type Ctx } from './matrix-ctx.js';

export type Direction = 'ingress' | 'egress';

/** Whether the rule's peers depend on the subject: ingress named ports resolve on the subject itself. */
export function dependsOnSubject(ctx: Ctx, rule: ClusterPolicyRule, direction: Direction): boolean {
  return direction === 'ingress' && rule.ports !== null && rule.ports.some((p) => p.kind === 'named') && !byRange(ctx, rule);
}

/** Whether the rule matches the matrix's port by number (no ports field: every port). */
export function byRange(ctx: Ctx, rule: ClusterPolicyRule): boolean {
  return rule.ports === null || rule.ports.some((p) => p.kind === 'range' && p.protocol === ctx.protocol && p.start <= ctx.port && ctx.port <= p.end);
}

/** The pods a cluster policy's subject selects: "host-networked pods are not included in subject selection". */
export function subjectPods(ctx: Ctx, policy: ClusterPolicy): number[] {
  let out = ctx.subjectCache.get(policy);
  if (out) return out;
  // Administrators repeat subjects (a team's namespaces, an environment's apps): once per subject.
  const key = `${selectorKey(policy.subject.namespaceSelector)}\u0002${selectorKey(policy.subject.podSelector)}`;
  out = ctx.subjectCache.get(key);
  if (!out) {
    out = [];
    for (const [ns, members] of ctx.byNamespace) {
      if (!matchesSelector(policy.subject.namespaceSelector, ctx.engine.namespaceLabels(ns))) continue;
      for (const i of members) if (!ctx.asNode[i] && matchesSelector(policy.subject.podSelector, ctx.pods[i].labels)) out.push(i);
    }
    ctx.subjectCache.set(key, out);
  }
  ctx.subjectCache.set(policy, out);
  return out;
}

/** The peers a cluster rule matches on the matrix's port (named ports resolve on the destination; not for dependsOnSubject's rules). */
export function ruleSet(ctx: Ctx, rule: ClusterPolicyRule, direction: Direction): Bitset {
  let set = ctx.tierCache.get(rule);
  if (!set) {
    // The port first: the peers of a rule that cannot match it are never computed.
    if (byRange(ctx, rule)) set = rulePeers(ctx, rule);
    else if (direction === 'ingress' || !rule.ports!.some((p) => p.kind === 'named')) set = empty(ctx);
    else {
      const mask = new Bitset(ctx.n);
      for (let d = 0; d < ctx.n; d++) if (namedPortOn(ctx, rule, ctx.pods[d])) mask.set(d);
      set = mask.isEmpty() ? empty(ctx) : mask.and(rulePeers(ctx, rule));
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

export function namedPortOn(ctx: Ctx, rule: ClusterPolicyRule, pod: Pod): boolean {
  return (rule.ports ?? []).some((p) => p.kind === 'named' && pod.containers.some((c) => c.ports.some((cp) => cp.name === p.name && cp.protocol === ctx.protocol && cp.containerPort === ctx.port)));
}

/** The pods a rule's peers match (on any port), once per rule; rules alike share their peers' sets. */
export function rulePeers(ctx: Ctx, rule: ClusterPolicyRule): Bitset {
  let set = ctx.tierPeersCache.get(rule);
  if (!set) {
    if (rule.peers.length === 1) set = peerPods(ctx, rule.peers[0]);
    else {
      set = new Bitset(ctx.n);
      for (const peer of rule.peers) set.or(peerPods(ctx, peer));
    }
    ctx.tierPeersCache.set(rule, set);
  }
  return set;
}

/** A cache key naming a cluster peer: equal for peers written alike. */
function peerKey(peer: ClusterPeer): string {
  switch (peer.kind) {
    case 'pods':
      return `tier|pods\u0002${selectorKey(peer.namespaceSelector)}\u0002${selectorKey(peer.podSelector)}`;
    case 'nodes':
      return `tier|nodes\u0002${selectorKey(peer.nodeSelector)}`;
    case 'networks':
      return `tier|networks\u0002${peer.cidrs.join('\u0000')}`;
    case 'domainNames':
      return 'tier|domainNames';
  }
}

function peerPods(ctx: Ctx, peer: ClusterPeer): Bitset {
  return cached(ctx, peerKey(peer), () => {
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
