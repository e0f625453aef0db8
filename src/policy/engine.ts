/**
 * The NetworkPolicy engine (networking.k8s.io/v1): pure, shared by the analyzer and (later) the
 * data plane. It decides which connections one endpoint may open to another, and says why.
 *
 * Where the API leaves behaviour open, the engine follows a semantics profile (semantics.ts;
 * README "Semantics"); the default is upstream's:
 * - a pod may always reach itself (every profile);
 * - an ipBlock matches every address it contains: the outside, pod IPs and node IPs (profiles
 *   may exclude pod IPs or node IPs);
 * - hostNetwork pods are not subject to policy; as peers they are their node's IP, matched by
 *   ipBlock only; traffic between a pod and its own node is always allowed (np-guard's profile
 *   judges them as ordinary pods instead).
 *
 * Cluster-wide tiers (tiers.ts) wrap NetworkPolicy on each side: the Admin tier first, then
 * NetworkPolicy, then the Baseline tier, then the default (allowed). Each side (egress at the
 * source, ingress at the destination) is judged on its own, and a connection needs both: an
 * egress Accept "accepts the selected traffic ... but any ingress rules at the destination do
 * apply".
 */
import { parseIPv4 } from '../model/ip.js';
import { IntervalSet } from '../model/intervals.js';
import { matchesSelector, type Labels } from '../model/labels.js';
import { PROTOCOLS, type Cluster, type ClusterPeer, type ClusterPolicy, type ClusterPolicyRule, type NetworkPolicy, type Pod, type PolicyPeer, type PolicyPort, type PolicyRule, type PolicyTier, type Protocol, type TierAction } from '../model/types.js';
import { ConnSet } from './conns.js';
import { ipBlockSet } from './externals.js';
import { DEFAULT_SEMANTICS, type Semantics } from './semantics.js';
import { selectsPod, TierIndex, type TierRule } from './tiers.js';

/**
 * One end of a connection: a pod, or a range of IPv4 addresses that are not pods (the outside,
 * or nodes' addresses).
 */
export type Endpoint = { kind: 'pod'; pod: Pod } | { kind: 'ip'; start: number; end: number };

export type Direction = 'ingress' | 'egress';

export interface RuleMatch {
  policy: NetworkPolicy;
  direction: Direction;
  /** Index of the rule in spec.ingress / spec.egress. */
  index: number;
  conns: ConnSet;
}

/** A cluster-policy rule that decided some of the connections on one side. */
export interface TierMatch extends TierRule {
  tier: PolicyTier;
  action: TierAction;
  /** The connections this rule decided (those no earlier rule had). */
  conns: ConnSet;
}

export interface SideVerdict {
  direction: Direction;
  /** Set when policy does not apply on this side, with the reason. */
  exempt?: string;
  /** Policies that select the pod on this side and affect this direction (isolating it). */
  selectedBy: readonly NetworkPolicy[];
  /** Rules whose peers match the other end; their connections add up. */
  matches: readonly RuleMatch[];
  conns: ConnSet;
  /** Cluster-policy rules that decided connections, in the order they were checked (absent: none applies). */
  tiers?: readonly TierMatch[];
  /** Cluster policies whose subject is the pod on this side (absent: none). */
  subjectOf?: readonly ClusterPolicy[];
  /** Connections that reached the NetworkPolicy tier (not decided by the Admin tier, or passed). */
  toNetworkPolicy?: ConnSet;
  /** Connections no tier decided: allowed by default. */
  byDefault?: ConnSet;
}

export interface Verdict {
  conns: ConnSet;
  egress: SideVerdict;
  ingress: SideVerdict;
  /** Set when a rule outside NetworkPolicy decided (self traffic, node-local traffic). */
  special?: string;
}

export interface EngineOptions {
  /** The semantics profile (default upstream); np-guard's is the connlist output's. */
  semantics?: Semantics;
}

export class PolicyEngine {
  readonly semantics: Semantics;
  private readonly hostNetworkAsNode: boolean;
  private readonly byNamespace = new Map<string, NetworkPolicy[]>();
  private readonly nsLabels = new Map<string, Labels>();
  /** Per ipBlock peer (records are immutable): cidr minus except, and that minus what the profile skips. */
  private readonly rawBlocks = new WeakMap<PolicyPeer, IntervalSet>();
  private readonly outsideBlocks = new WeakMap<object, IntervalSet>();
  private readonly podIPs = new WeakMap<Pod, number | null>();
  /** Node addresses (InternalIPs, hostNetwork pods'): what a profile without node matching skips. */
  private readonly nodeIPs: IntervalSet;
  readonly tiers: TierIndex;
  /** Per networks peer: its CIDRs as a set; per nodes peer: the selected nodes' addresses. */
  private readonly peerSets = new WeakMap<ClusterPeer, IntervalSet>();

  constructor(readonly cluster: Cluster, options: EngineOptions = {}) {
    this.semantics = options.semantics ?? DEFAULT_SEMANTICS;
    this.hostNetworkAsNode = this.semantics.hostNetworkAsNode;
    this.nodeIPs = nodeAddresses(cluster);
    for (const ns of cluster.namespaces) this.nsLabels.set(ns.name, ns.labels);
    this.tiers = new TierIndex(cluster.clusterPolicies ?? [], (ns) => this.namespaceLabels(ns));
    for (const pol of cluster.policies) {
      const list = this.byNamespace.get(pol.namespace) ?? [];
      list.push(pol);
      this.byNamespace.set(pol.namespace, list);
    }
  }

  /** A hostNetwork pod counts as its node, unless the engine models np-guard's view. */
  private isNode(pod: Pod): boolean {
    return pod.hostNetwork && this.hostNetworkAsNode;
  }

  namespaceLabels(ns: string): Labels {
    return this.nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
  }

  /** Policies in the pod's namespace whose podSelector selects it and that affect `direction`. */
  selecting(pod: Pod, direction: Direction): NetworkPolicy[] {
    return (this.byNamespace.get(pod.namespace) ?? []).filter(
      (p) => (direction === 'ingress' ? p.affectsIngress : p.affectsEgress) && matchesSelector(p.podSelector, pod.labels),
    );
  }

  evaluate(src: Endpoint, dst: Endpoint): Verdict {
    const egress = this.side('egress', src, dst, dst);
    const ingress = this.side('ingress', dst, src, dst);
    if (src.kind === 'pod' && dst.kind === 'pod') {
      if (src.pod === dst.pod) return { conns: ConnSet.ALL, egress, ingress, special: 'a pod may always reach itself' };
      if (this.hostNetworkAsNode && isNodeLocal(src.pod, dst.pod)) {
        return { conns: ConnSet.ALL, egress, ingress, special: `traffic between a pod and its own node (${src.pod.nodeName}) is always allowed` };
      }
    }
    return { conns: egress.conns.intersect(ingress.conns), egress, ingress };
  }

  /** Connections `subject` allows in `direction` with `other`; `dst` resolves named ports. */
  private side(direction: Direction, subject: Endpoint, other: Endpoint, dst: Endpoint): SideVerdict {
    if (subject.kind !== 'pod') return { direction, exempt: 'not a pod: no policy applies outside the cluster', selectedBy: [], matches: [], conns: ConnSet.ALL };
    // ClusterNetworkPolicySubject: "Note that host-networked pods are not included in subject selection."
    if (this.isNode(subject.pod)) return { direction, exempt: 'hostNetwork pods are not subject to NetworkPolicy', selectedBy: [], matches: [], conns: ConnSet.ALL };
    const selectedBy = this.selecting(subject.pod, direction);
    const admin = this.tiers.rules(subject.pod, direction, 'Admin');
    const baseline = this.tiers.rules(subject.pod, direction, 'Baseline');
    // "If no NetworkPolicy objects in the pod's namespace select a particular pod, that pod is
    // not isolated" for that direction: everything is allowed.
    if (selectedBy.length === 0 && admin.length === 0 && baseline.length === 0) return { direction, exempt: `no policy selects it for ${direction}`, selectedBy, matches: [], conns: ConnSet.ALL };
    const tiers: TierMatch[] = [];
    // Admin tier. Accept: "No further ingress ClusterNetworkPolicy or NetworkPolicy rules will be
    // processed"; Deny: "Drops the selected traffic. No further ClusterNetworkPolicy or
    // NetworkPolicy rules will be processed"; Pass: "Skips all further ClusterNetworkPolicy
    // rules in the current tier for the selected traffic, and passes evaluation to the next tier."
    const adminOut = this.walkTier('Admin', admin, ConnSet.ALL, other, dst, tiers);
    const next = adminOut.undecided.union(adminOut.passed);
    const matches: RuleMatch[] = [];
    let conns = adminOut.accepted;
    let toNetworkPolicy: ConnSet | undefined = next;
    let byDefault: ConnSet | undefined;
    if (selectedBy.length > 0) {
      // "v1.NetworkPolicy always makes a final decision for selected pods. Further evaluation
      // only happens for Pods not selected by a v1.NetworkPolicy."
      let npConns = ConnSet.NONE;
      for (const policy of selectedBy) {
        const rules = direction === 'ingress' ? policy.ingress : policy.egress;
        rules.forEach((rule, index) => {
          if (!this.ruleMatchesPeer(rule, policy.namespace, other)) return;
          const ruleConns = this.ruleConns(rule, dst);
          if (ruleConns.isEmpty()) return;
          matches.push({ policy, direction, index, conns: ruleConns });
          npConns = npConns.union(ruleConns);
        });
      }
      conns = conns.union(npConns.intersect(next));
    } else {
      // Baseline tier: "If Baseline tier has made a final decision (Accept or Deny) on a
      // connection, then no further evaluation is done." What it leaves (Pass included: the
      // next tier is the default) is allowed.
      const base = this.walkTier('Baseline', baseline, next, other, dst, tiers);
      byDefault = base.undecided.union(base.passed);
      conns = conns.union(base.accepted).union(byDefault);
      if (admin.length === 0) toNetworkPolicy = undefined;
    }
    const subjectOf = [...new Set([...admin, ...baseline].map((r) => r.policy))];
    if (subjectOf.length === 0) return { direction, selectedBy, matches, conns };
    return { direction, selectedBy, matches, conns, tiers, subjectOf, ...(toNetworkPolicy ? { toNetworkPolicy } : {}), ...(byDefault ? { byDefault } : {}) };
  }

  /**
   * One tier's rules, in order, over the connections still `undecided`: "the first matching
   * rule decides" — each rule takes the connections it matches that no earlier rule took.
   */
  private walkTier(tier: PolicyTier, rules: readonly TierRule[], undecided: ConnSet, other: Endpoint, dst: Endpoint, out: TierMatch[]): { accepted: ConnSet; passed: ConnSet; undecided: ConnSet } {
    let accepted = ConnSet.NONE;
    let passed = ConnSet.NONE;
    for (const r of rules) {
      if (undecided.isEmpty()) break;
      if (!r.rule.peers.some((peer) => this.clusterPeerMatches(peer, other))) continue;
      const c = this.clusterRuleConns(r.rule, dst).intersect(undecided);
      if (c.isEmpty()) continue;
      out.push({ ...r, tier, action: r.rule.action, conns: c });
      undecided = undecided.subtract(c);
      if (r.rule.action === 'Accept') accepted = accepted.union(c);
      else if (r.rule.action === 'Pass') passed = passed.union(c);
    }
    return { accepted, passed, undecided };
  }

  /** Whether a cluster-policy peer matches the other end. */
  clusterPeerMatches(peer: ClusterPeer, other: Endpoint): boolean {
    switch (peer.kind) {
      case 'pods':
        // "Note that host-networked pods are not included in this type of peer."
        if (other.kind !== 'pod' || this.isNode(other.pod)) return false;
        return selectsPod(peer, this.namespaceLabels(other.pod.namespace), other.pod);
      case 'nodes': {
        // "It selects the nodeIPs as the peer type by matching on the IPs present in the
        // node.Status.Addresses field of the node": the address decides, so a hostNetwork pod
        // matches by the address it has (its node's), as a data plane sees its packets.
        if (other.kind === 'ip') return this.peerSet(peer).covers(other.start, other.end);
        if (!this.isNode(other.pod)) return false;
        const ip = parseIPv4(other.pod.ip);
        return ip !== null && this.peerSet(peer).has(ip);
      }
      case 'networks':
        // "cluster-internal traffic will be checked against the rule as well": like an ipBlock,
        // the address decides, within what the semantics profile lets an address block match.
        return this.addressBlockMatches(peer, this.peerSet(peer), other);
      case 'domainNames':
        // Not modeled: names are resolved at run time. Only Accept rules may have them, so
        // matching nothing can only deny more than a cluster would, never allow more.
        return false;
    }
  }

  /** The addresses of the nodes a `nodes` peer selects (their InternalIPs). */
  nodePeerAddresses(peer: Extract<ClusterPeer, { kind: 'nodes' }>): IntervalSet {
    return this.peerSet(peer);
  }

  private peerSet(peer: Extract<ClusterPeer, { kind: 'networks' | 'nodes' }>): IntervalSet {
    let set = this.peerSets.get(peer);
    if (!set) {
      if (peer.kind === 'networks') set = peer.cidrs.map((c) => ipBlockSet(c, [])).reduce((a, b) => a.union(b), IntervalSet.EMPTY);
      else {
        const ips = this.cluster.nodes.filter((n) => matchesSelector(peer.nodeSelector, n.labels)).map((n) => (n.internalIP === undefined ? null : parseIPv4(n.internalIP))).filter((ip): ip is number => ip !== null);
        set = IntervalSet.from(ips.map((ip) => ({ start: ip, end: ip })));
      }
      this.peerSets.set(peer, set);
    }
    return set;
  }

  /** A cluster rule's ports against the destination; no protocols field: every connection. */
  clusterRuleConns(rule: ClusterPolicyRule, dst: Endpoint): ConnSet {
    if (rule.ports === null) return ConnSet.ALL;
    let out = ConnSet.NONE;
    for (const port of rule.ports) {
      if (port.kind === 'range') out = out.union(ConnSet.ports(port.protocol, port.start, port.end));
      // destinationNamedPort "selects a destination port on a pod based on the ContainerPort name".
      else if (dst.kind === 'pod') for (const proto of PROTOCOLS) out = out.union(namedPortConns(dst.pod, port.name, proto));
    }
    return out;
  }

  /** "If this field is empty or missing, this rule matches all sources/destinations." */
  ruleMatchesPeer(rule: PolicyRule, policyNamespace: string, other: Endpoint): boolean {
    return rule.peers === null || rule.peers.some((peer) => this.peerMatches(peer, policyNamespace, other));
  }

  peerMatches(peer: PolicyPeer, policyNamespace: string, other: Endpoint): boolean {
    if (peer.kind === 'ipBlock') return this.ipBlockMatches(peer, other);
    if (other.kind !== 'pod' || this.isNode(other.pod)) return false;
    const pod = other.pod;
    // podSelector alone: "selects particular Pods in the same namespace as the NetworkPolicy".
    // namespaceSelector present: the namespaces it selects; with podSelector too, both must match.
    if (peer.namespaceSelector) {
      if (!matchesSelector(peer.namespaceSelector, this.namespaceLabels(pod.namespace))) return false;
    } else if (pod.namespace !== policyNamespace) return false;
    return !peer.podSelector || matchesSelector(peer.podSelector, pod.labels);
  }

  /**
   * Whether the ipBlock matches `other` in this profile. Upstream: "IPBlock describes a
   * particular CIDR ... that is allowed"; the address alone decides, whoever has it.
   */
  ipBlockMatches(peer: Extract<PolicyPeer, { kind: 'ipBlock' }>, other: Endpoint): boolean {
    return this.addressBlockMatches(peer, this.rawBlock(peer), other);
  }

  /** An address block (ipBlock, networks peer) against the other end, in this profile; `key` caches. */
  private addressBlockMatches(key: object, raw: IntervalSet, other: Endpoint): boolean {
    if (other.kind === 'ip') return this.blockSet(key, raw).covers(other.start, other.end);
    let ip = this.podIPs.get(other.pod);
    if (ip === undefined) this.podIPs.set(other.pod, (ip = parseIPv4(other.pod.ip)));
    if (ip === null) return false;
    // A hostNetwork pod (as its node) has its node's address; other pods their own.
    if (this.isNode(other.pod) ? !this.semantics.ipBlockMatchesNodes : !this.semantics.ipBlockMatchesPods) return false;
    return raw.has(ip);
  }

  /** The addresses outside the pods that the ipBlock matches: node IPs only if the profile says. */
  private blockSet(key: object, raw: IntervalSet): IntervalSet {
    let set = this.outsideBlocks.get(key);
    if (!set) {
      set = this.semantics.ipBlockMatchesNodes ? raw : raw.subtract(this.nodeIPs);
      this.outsideBlocks.set(key, set);
    }
    return set;
  }

  /** cidr minus except. */
  private rawBlock(peer: Extract<PolicyPeer, { kind: 'ipBlock' }>): IntervalSet {
    let set = this.rawBlocks.get(peer);
    if (!set) this.rawBlocks.set(peer, (set = ipBlockSet(peer.cidr, peer.except)));
    return set;
  }

  /** The rule's ports resolved against the destination. "If empty or missing, matches all ports." */
  ruleConns(rule: PolicyRule, dst: Endpoint): ConnSet {
    if (rule.ports === null) return ConnSet.ALL;
    return rule.ports.reduce((acc, port) => acc.union(portConns(port, dst)), ConnSet.NONE);
  }
}

/** One NetworkPolicyPort against a destination; a named port resolves on the destination pod. */
export function portConns(port: PolicyPort, dst: Endpoint): ConnSet {
  if (port.port === undefined) return ConnSet.protocol(port.protocol);
  if (typeof port.port === 'number') return ConnSet.ports(port.protocol, port.port, port.endPort ?? port.port);
  if (dst.kind !== 'pod') return ConnSet.NONE;
  return namedPortConns(dst.pod, port.port, port.protocol);
}

export function namedPortConns(pod: Pod, name: string, protocol: Protocol): ConnSet {
  let out = ConnSet.NONE;
  for (const c of pod.containers) {
    for (const cp of c.ports) if (cp.name === name && cp.protocol === protocol) out = out.union(ConnSet.ports(protocol, cp.containerPort));
  }
  return out;
}

/** The nodes' InternalIPs and the hostNetwork pods' addresses, as a set. */
export function nodeAddresses(cluster: Cluster): IntervalSet {
  const ips = [...cluster.nodes.map((n) => n.internalIP), ...cluster.pods.filter((p) => p.hostNetwork).map((p) => p.ip)]
    .map((ip) => (ip === undefined ? null : parseIPv4(ip)))
    .filter((ip): ip is number => ip !== null);
  return IntervalSet.from(ips.map((ip) => ({ start: ip, end: ip })));
}

/** A hostNetwork pod and a pod scheduled on the same node: node-local traffic. */
export function isNodeLocal(a: Pod, b: Pod): boolean {
  if (a.hostNetwork === b.hostNetwork) return false;
  return a.nodeName !== undefined && a.nodeName === b.nodeName;
}
