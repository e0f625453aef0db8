/**
 * The NetworkPolicy engine (networking.k8s.io/v1): pure, shared by the analyzer and (later) the
 * data plane. It decides which connections one endpoint may open to another, and says why.
 *
 * podnet's choices where the API leaves behaviour open (see README "Semantics"):
 * - a pod may always reach itself;
 * - ipBlock peers match addresses that are not pod IPs (pods are matched by selectors only);
 * - hostNetwork pods are not subject to policy; as peers they are their node's IP, matched by
 *   ipBlock only; traffic between a pod and its own node is always allowed.
 */
import { parseIPv4 } from '../model/ip.js';
import type { IntervalSet } from '../model/intervals.js';
import { matchesSelector, type Labels } from '../model/labels.js';
import type { Cluster, NetworkPolicy, Pod, PolicyPeer, PolicyPort, PolicyRule, Protocol } from '../model/types.js';
import { ConnSet } from './conns.js';
import { ipBlockSet } from './externals.js';

/** One end of a connection: a pod, or a range of IPv4 addresses outside the pod network. */
export type Endpoint = { kind: 'pod'; pod: Pod } | { kind: 'ip'; start: number; end: number };

export type Direction = 'ingress' | 'egress';

export interface RuleMatch {
  policy: NetworkPolicy;
  direction: Direction;
  /** Index of the rule in spec.ingress / spec.egress. */
  index: number;
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
}

export interface Verdict {
  conns: ConnSet;
  egress: SideVerdict;
  ingress: SideVerdict;
  /** Set when a rule outside NetworkPolicy decided (self traffic, node-local traffic). */
  special?: string;
}

export interface EngineOptions {
  /**
   * true (default): hostNetwork pods are node traffic, exempt from policy and matched by ipBlock.
   * false: they are judged like any other pod — np-guard netpol-analyzer's model, used by the
   * connlist output so that it stays comparable with that tool.
   */
  hostNetworkAsNode?: boolean;
}

export class PolicyEngine {
  private readonly hostNetworkAsNode: boolean;
  private readonly byNamespace = new Map<string, NetworkPolicy[]>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly blocks = new Map<string, IntervalSet>();

  constructor(readonly cluster: Cluster, options: EngineOptions = {}) {
    this.hostNetworkAsNode = options.hostNetworkAsNode ?? true;
    for (const ns of cluster.namespaces) this.nsLabels.set(ns.name, ns.labels);
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
    if (this.isNode(subject.pod)) return { direction, exempt: 'hostNetwork pods are not subject to NetworkPolicy', selectedBy: [], matches: [], conns: ConnSet.ALL };
    const selectedBy = this.selecting(subject.pod, direction);
    // "If no NetworkPolicy objects in the pod's namespace select a particular pod, that pod is
    // not isolated" for that direction: everything is allowed.
    if (selectedBy.length === 0) return { direction, exempt: `no policy selects it for ${direction}`, selectedBy, matches: [], conns: ConnSet.ALL };
    const matches: RuleMatch[] = [];
    let conns = ConnSet.NONE;
    for (const policy of selectedBy) {
      const rules = direction === 'ingress' ? policy.ingress : policy.egress;
      rules.forEach((rule, index) => {
        if (!this.ruleMatchesPeer(rule, policy.namespace, other)) return;
        const ruleConns = this.ruleConns(rule, dst);
        if (ruleConns.isEmpty()) return;
        matches.push({ policy, direction, index, conns: ruleConns });
        conns = conns.union(ruleConns);
      });
    }
    return { direction, selectedBy, matches, conns };
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

  private ipBlockMatches(peer: Extract<PolicyPeer, { kind: 'ipBlock' }>, other: Endpoint): boolean {
    let start: number;
    let end: number;
    if (other.kind === 'ip') ({ start, end } = other);
    else {
      // Pod IPs are matched by selectors only; a hostNetwork pod is its node's address.
      if (!this.isNode(other.pod)) return false;
      const ip = parseIPv4(other.pod.ip);
      if (ip === null) return false;
      start = end = ip;
    }
    return this.blockSet(peer).covers(start, end);
  }

  private blockSet(peer: Extract<PolicyPeer, { kind: 'ipBlock' }>): IntervalSet {
    const key = `${peer.cidr} ${peer.except.join(' ')}`;
    let set = this.blocks.get(key);
    if (!set) {
      set = ipBlockSet(peer.cidr, peer.except);
      this.blocks.set(key, set);
    }
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

/** A hostNetwork pod and a pod scheduled on the same node: node-local traffic. */
export function isNodeLocal(a: Pod, b: Pod): boolean {
  if (a.hostNetwork === b.hostNetwork) return false;
  return a.nodeName !== undefined && a.nodeName === b.nodeName;
}
