/**
 * The pod-to-pod matrix for one port and protocol, computed with bitsets: each policy's selected
 * pods and each rule's peers become sets over pod indexes, unions replace pair-by-pair checks.
 * It must agree with PolicyEngine.evaluate on every pair (a property test checks that).
 * Cluster-wide tiers (tiers.ts) are applied per subject pod on top of NetworkPolicy's sets, with
 * the same order as the engine: Admin rules walk the still-undecided peers, NetworkPolicy decides
 * for the pods it isolates, the Baseline tier and the default for the others.
 */
import { Bitset } from '../model/bitset.js';
import { parseIPv4 } from '../model/ip.js';
import { matchesSelector } from '../model/labels.js';
import type { Cluster, NetworkPolicy, Pod, PolicyPeer, PolicyRule, Protocol } from '../model/types.js';
import { PolicyEngine, type EngineOptions } from './engine.js';
import { ipBlockSet } from './externals.js';
import { DEFAULT_SEMANTICS } from './semantics.js';
import { cached, type Ctx } from './matrix-ctx.js';
import { applyTiers } from './matrix-tiers.js';

export interface Matrix {
  pods: readonly Pod[];
  port: number;
  protocol: Protocol;
  /** rows[s].has(d): source pod s may connect to destination pod d. */
  rows: readonly Bitset[];
}

export function computeMatrix(cluster: Cluster, port: number, protocol: Protocol, options: EngineOptions = {}): Matrix {
  const pods = cluster.pods;
  const n = pods.length;
  const semantics = options.semantics ?? DEFAULT_SEMANTICS;
  const hostNetworkAsNode = semantics.hostNetworkAsNode;
  const byNamespace = new Map<string, number[]>();
  pods.forEach((p, i) => {
    const list = byNamespace.get(p.namespace) ?? [];
    list.push(i);
    byNamespace.set(p.namespace, list);
  });
  const ctx: Ctx = {
    pods, n, port, protocol, byNamespace, semantics,
    asNode: pods.map((p) => hostNetworkAsNode && p.hostNetwork),
    engine: new PolicyEngine(cluster, options),
    peerCache: new Map(),
    ruleCache: new Map(),
    tierCache: new Map(),
    tierPeersCache: new Map(),
    subjectCache: new Map(),
  };
  const ingress = applyTiers(ctx, directionSets(ctx, cluster.policies, 'ingress'), 'ingress');
  const egress = applyTiers(ctx, directionSets(ctx, cluster.policies, 'egress'), 'egress');
  // rows[s] starts as the destinations whose ingress admits s (every pod not isolated for
  // ingress, and the isolated ones whose policies allow s): the per-destination ingress sets
  // transposed word by word, so each row needs one AND with its egress set, not n lookups.
  const all = Bitset.full(n);
  const rows = Bitset.transpose(ingress.map((set) => set ?? all), n);
  const local = hostNetworkAsNode ? nodeLocalSets(pods) : null;
  for (let s = 0; s < n; s++) {
    const row = rows[s];
    const out = egress[s];
    if (out) row.and(out);
    row.set(s); // a pod may always reach itself
    if (local && pods[s].nodeName !== undefined) {
      const peers = local.get(pods[s].nodeName!)?.[pods[s].hostNetwork ? 'pods' : 'hosts'];
      if (peers) row.or(peers);
    }
  }
  return { pods, port, protocol, rows };
}

/**
 * Per node, its hostNetwork pods and its other pods: traffic between the two groups is node-local
 * (isNodeLocal), always allowed.
 */
function nodeLocalSets(pods: readonly Pod[]): Map<string, { hosts: Bitset; pods: Bitset }> {
  const byNode = new Map<string, { hosts: Bitset; pods: Bitset }>();
  pods.forEach((p, i) => {
    if (p.nodeName === undefined) return;
    let sets = byNode.get(p.nodeName);
    if (!sets) byNode.set(p.nodeName, (sets = { hosts: new Bitset(pods.length), pods: new Bitset(pods.length) }));
    (p.hostNetwork ? sets.hosts : sets.pods).set(i);
  });
  return byNode;
}

/**
 * For every pod isolated in `direction`, the set of peers (sources for ingress, destinations
 * for egress) its policies allow on the port; null for a pod that is not isolated.
 */
function directionSets(ctx: Ctx, policies: readonly NetworkPolicy[], direction: 'ingress' | 'egress'): (Bitset | null)[] {
  const out: (Bitset | null)[] = new Array(ctx.n).fill(null);
  for (const policy of policies) {
    if (direction === 'ingress' ? !policy.affectsIngress : !policy.affectsEgress) continue;
    const selected = (ctx.byNamespace.get(policy.namespace) ?? []).filter((i) => !ctx.asNode[i] && matchesSelector(policy.podSelector, ctx.pods[i].labels));
    if (selected.length === 0) continue;
    const rules = direction === 'ingress' ? policy.ingress : policy.egress;
    const common = new Bitset(ctx.n);
    const named: PolicyRule[] = [];
    for (const rule of rules) {
      if (hasNamedPort(rule)) named.push(rule);
      else if (portMatches(ctx, rule, null)) common.or(rulePeers(ctx, rule, policy.namespace));
    }
    // Egress named ports resolve on each destination: peers ∩ destinations whose port matches.
    let egressNamed: Bitset | null = null;
    if (direction === 'egress' && named.length > 0) {
      egressNamed = new Bitset(ctx.n);
      for (const rule of named) {
        const mask = new Bitset(ctx.n);
        for (let d = 0; d < ctx.n; d++) if (portMatches(ctx, rule, ctx.pods[d])) mask.set(d);
        egressNamed.or(mask.and(rulePeers(ctx, rule, policy.namespace)));
      }
    }
    for (const i of selected) {
      const acc = (out[i] ??= new Bitset(ctx.n)).or(common);
      if (egressNamed) acc.or(egressNamed);
      if (direction === 'ingress') for (const rule of named) if (portMatches(ctx, rule, ctx.pods[i])) acc.or(rulePeers(ctx, rule, policy.namespace));
    }
  }
  return out;
}

function hasNamedPort(rule: PolicyRule): boolean {
  return rule.ports !== null && rule.ports.some((p) => typeof p.port === 'string');
}

/** Whether the rule's ports admit the matrix's port; `dst` resolves named ports. */
function portMatches(ctx: Ctx, rule: PolicyRule, dst: Pod | null): boolean {
  if (rule.ports === null) return true;
  return rule.ports.some((p) => {
    if (p.protocol !== ctx.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return ctx.port >= p.port && ctx.port <= (p.endPort ?? p.port);
    return dst !== null && dst.containers.some((c) => c.ports.some((cp) => cp.name === p.port && cp.protocol === ctx.protocol && cp.containerPort === ctx.port));
  });
}

function rulePeers(ctx: Ctx, rule: PolicyRule, namespace: string): Bitset {
  let set = ctx.ruleCache.get(rule);
  if (!set) {
    set = computeRulePeers(ctx, rule, namespace);
    ctx.ruleCache.set(rule, set);
  }
  return set;
}

function computeRulePeers(ctx: Ctx, rule: PolicyRule, namespace: string): Bitset {
  if (rule.peers === null) return cached(ctx, '*', () => Bitset.full(ctx.n));
  if (rule.peers.length === 1) return peerSet(ctx, rule.peers[0], namespace);
  const acc = new Bitset(ctx.n);
  for (const peer of rule.peers) acc.or(peerSet(ctx, peer, namespace));
  return acc;
}

function peerSet(ctx: Ctx, peer: PolicyPeer, namespace: string): Bitset {
  const key = peer.kind === 'ipBlock' || peer.namespaceSelector ? JSON.stringify(peer) : `${namespace}|${JSON.stringify(peer)}`;
  return cached(ctx, key, () => {
    const set = new Bitset(ctx.n);
    if (peer.kind === 'ipBlock') {
      const block = ipBlockSet(peer.cidr, peer.except);
      // The address decides (upstream), unless the profile keeps ipBlocks off pods or nodes.
      const { ipBlockMatchesPods, ipBlockMatchesNodes } = ctx.semantics;
      ctx.pods.forEach((p, i) => {
        const ip = (ctx.asNode[i] ? ipBlockMatchesNodes : ipBlockMatchesPods) ? parseIPv4(p.ip) : null;
        if (ip !== null && block.has(ip)) set.set(i);
      });
      return set;
    }
    const namespaces = peer.namespaceSelector
      ? [...ctx.byNamespace.keys()].filter((ns) => matchesSelector(peer.namespaceSelector!, ctx.engine.namespaceLabels(ns)))
      : [namespace];
    for (const ns of namespaces) {
      for (const i of ctx.byNamespace.get(ns) ?? []) {
        if (!ctx.asNode[i] && (!peer.podSelector || matchesSelector(peer.podSelector, ctx.pods[i].labels))) set.set(i);
      }
    }
    return set;
  });
}
