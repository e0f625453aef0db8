/**
 * NetworkPolicy compiled for the data plane, from the analyzer's engine (so the two cannot
 * disagree): for every pod a policy isolates, per direction, the exact set of
 * (peer address, protocol, port) it allows, as disjoint boxes ready to be nftables interval-set
 * elements. Pure.
 *
 * Where the packet is judged (see docs/architecture.md): in the forward hook of the pod's node,
 * after Service DNAT, so Service traffic is judged on the real pod IPs. Egress is checked at the
 * source pod's node, ingress at the destination pod's node; traffic between a pod and its own
 * node never crosses the forward hook, which is podnet's rule "pod ↔ own node always allowed".
 * The semantics profile decides which addresses an ipBlock stands for (semantics.ts); a profile
 * the data plane cannot enforce (np-guard's: hostNetwork pods as pods) is refused.
 *
 * Cluster-wide tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy)
 * fold into the same per-pod sets (paint.ts): a pod that is the subject of a tier rule on one
 * side gets its set there even when no NetworkPolicy isolates it, unless the tiers leave it
 * allowing everything. So the kernel still does one lookup per packet, whatever the tiers hold.
 */
import { IPV4_MAX, parseIPv4 } from '../model/ip.js';
import { IntervalSet } from '../model/intervals.js';
import type { Cluster, ClusterPeer, NetworkPolicy, Pod, PolicyRule } from '../model/types.js';
import { podKey } from '../model/types.js';
import { decompose, type Box, type Grant } from './boxes.js';
import { nodeAddresses, PolicyEngine, type Direction, type Endpoint } from './engine.js';
import { ipBlockSet } from './externals.js';
import { allowAddress, allowsEverything, paintTiers, segmentBoxes, type Segment, type TierStep } from './paint.js';
import { DEFAULT_SEMANTICS, type Semantics } from './semantics.js';
import type { TierRule } from './tiers.js';

export type { Box } from './boxes.js';

export interface PodPolicy {
  key: string;
  ip: string;
  /** The pod's node ('' when unscheduled: no node renders it). */
  node: string;
  /** Allowed sources (peer = source address); null: not isolated for ingress. */
  ingress: readonly Box[] | null;
  /** Allowed destinations (peer = destination address); null: not isolated for egress. */
  egress: readonly Box[] | null;
}

const EVERYWHERE = IntervalSet.of(0, IPV4_MAX);
const ANY_IP: Endpoint = { kind: 'ip', start: 0, end: IPV4_MAX };

/** What one rule's peers match, independent of the pod the policy selects. */
interface RulePeers {
  /** Every address the rule's peers match (pod IPs by selectors, ipBlocks as the profile says). */
  addresses: IntervalSet;
  /** The pods (hostNetwork ones too, as their node's address) the rule's peers match. */
  pods: readonly Pod[];
}

/** Every pod that some policy isolates, with what it allows; pods without an IP are skipped. */
export function compilePolicies(cluster: Cluster, semantics: Semantics = DEFAULT_SEMANTICS): PodPolicy[] {
  if (!semantics.enforceable) throw new Error(`the ${semantics.name} semantics cannot be enforced by a data plane`);
  return new PolicyCompiler(cluster, semantics).compile();
}

class PolicyCompiler {
  private readonly engine: PolicyEngine;
  private readonly cache = new Map<PolicyRule, RulePeers>();
  /** Pods with an address of their own (not hostNetwork), and those addresses. */
  private readonly podNetworkPods: Pod[];
  /** Addresses an ipBlock does not stand for in this profile: pod IPs and/or node IPs. */
  private readonly notByIpBlock: IntervalSet;
  /** Every pod with a usable address (hostNetwork pods have their node's). */
  private readonly addressed: Pod[];
  private readonly clusterPeers = new Map<ClusterPeer, RulePeers>();
  /** Painted sides by what decides them (the rules, and the pod's named ports where they resolve on it). */
  private readonly painted = new Map<string, Segment[]>();
  /** Every addressed pod's IPv4 address as a number, parsed once. */
  private readonly ipOf = new Map<Pod, number>();

  constructor(private readonly cluster: Cluster, semantics: Semantics) {
    this.engine = new PolicyEngine(cluster, { semantics });
    for (const p of cluster.pods) {
      const ip = parseIPv4(p.ip);
      if (ip !== null) this.ipOf.set(p, ip);
    }
    this.addressed = cluster.pods.filter((p) => this.ipOf.has(p));
    this.podNetworkPods = this.addressed.filter((p) => !p.hostNetwork);
    let excluded = IntervalSet.EMPTY;
    if (!semantics.ipBlockMatchesPods) excluded = excluded.union(this.addresses(this.podNetworkPods));
    if (!semantics.ipBlockMatchesNodes) excluded = excluded.union(nodeAddresses(cluster));
    this.notByIpBlock = excluded;
  }

  compile(): PodPolicy[] {
    const out: PodPolicy[] = [];
    for (const pod of this.podNetworkPods) {
      const ingress = this.side(pod, 'ingress');
      const egress = this.side(pod, 'egress');
      if (ingress || egress) out.push({ key: podKey(pod), ip: pod.ip, ingress, egress, node: pod.nodeName ?? '' });
    }
    return out;
  }

  /** The boxes `pod` allows in `direction`, or null when no policy isolates it there. */
  private side(pod: Pod, direction: Direction): Box[] | null {
    const selectedBy = this.engine.selecting(pod, direction);
    const admin = this.engine.tiers.rules(pod, direction, 'Admin');
    const baseline = this.engine.tiers.rules(pod, direction, 'Baseline');
    if (admin.length === 0 && baseline.length === 0) {
      if (selectedBy.length === 0) return null;
      // podnet's rule: a pod may always reach itself (through its own Service, the only way its
      // own traffic reaches the forward hook).
      return decompose([this.selfGrant(pod), ...this.networkPolicyGrants(pod, direction, selectedBy)]);
    }
    const segments = allowAddress(this.paint(pod, direction, selectedBy, admin, baseline), this.ip(pod));
    return allowsEverything(segments) ? null : segmentBoxes(segments);
  }

  private selfGrant(pod: Pod): Grant {
    const self = this.ip(pod);
    return { peers: IntervalSet.of(self, self), conns: 'any' };
  }

  /** Every grant of the policies selecting `pod` (thousands at scale: appended in place). */
  private networkPolicyGrants(pod: Pod, direction: Direction, selectedBy: readonly NetworkPolicy[]): Grant[] {
    const grants: Grant[] = [];
    for (const policy of selectedBy) {
      if (direction === 'ingress') for (const rule of policy.ingress) this.ingressGrants(rule, policy, pod, grants);
      else for (const rule of policy.egress) this.egressGrants(rule, policy, grants);
    }
    return grants;
  }

  /**
   * The side painted through the tiers, shared by the pods with the same rules: on ingress named
   * ports resolve on the pod itself, so its declared ports are part of the key there.
   */
  private paint(pod: Pod, direction: Direction, selectedBy: readonly NetworkPolicy[], admin: readonly TierRule[], baseline: readonly TierRule[]): Segment[] {
    const id = (r: TierRule) => `${r.policy.kind}/${r.policy.name}/${r.index}`;
    const ports = direction === 'ingress' ? JSON.stringify(pod.containers.map((c) => c.ports)) : '';
    const key = [direction, admin.map(id).join(','), selectedBy.length === 0 ? '-' : selectedBy.map((p) => `${p.namespace}/${p.name}`).join(','), baseline.map(id).join(','), ports].join('|');
    let segments = this.painted.get(key);
    if (!segments) {
      const step = (r: TierRule): TierStep => ({ action: r.rule.action, grants: this.tierGrants(r, pod) });
      segments = paintTiers({
        admin: admin.map(step),
        networkPolicy: selectedBy.length === 0 ? null : this.networkPolicyGrants(pod, direction, selectedBy),
        baseline: baseline.map(step),
      });
      this.painted.set(key, segments);
    }
    return segments;
  }

  /** What one cluster-policy rule matches for `pod`, its subject. */
  private tierGrants(r: TierRule, pod: Pod): Grant[] {
    const addresses = r.rule.peers.map((p) => this.clusterPeer(p)).reduce((a, b) => a.union(b.addresses), IntervalSet.EMPTY);
    // No protocols field: "this rule matches all ports", every protocol (as a NetworkPolicy rule without ports).
    if (r.rule.ports === null) return [{ peers: addresses, conns: 'any' }];
    if (r.direction === 'ingress') return [{ peers: addresses, conns: this.engine.clusterRuleConns(r.rule, { kind: 'pod', pod }) }];
    // Egress: a destinationNamedPort resolves on each destination pod.
    const grants: Grant[] = [{ peers: addresses, conns: this.engine.clusterRuleConns(r.rule, ANY_IP) }];
    if (r.rule.ports.some((p) => p.kind === 'named')) {
      for (const dst of new Set(r.rule.peers.flatMap((p) => this.clusterPeer(p).pods))) {
        const ip = this.ip(dst);
        grants.push({ peers: IntervalSet.of(ip, ip), conns: this.engine.clusterRuleConns(r.rule, { kind: 'pod', pod: dst }) });
      }
    }
    return grants;
  }

  /**
   * The addresses a cluster-policy peer matches: the pods the engine says it matches (hostNetwork
   * ones by their node's address), and outside the pods what it stands for — nodes' addresses for
   * a `nodes` peer, the CIDRs (within what the profile lets an address block match) for `networks`.
   */
  private clusterPeer(peer: ClusterPeer): RulePeers {
    let out = this.clusterPeers.get(peer);
    if (!out) {
      const pods = this.addressed.filter((p) => this.engine.clusterPeerMatches(peer, { kind: 'pod', pod: p }));
      let outside = IntervalSet.EMPTY;
      if (peer.kind === 'networks') outside = peer.cidrs.map((c) => ipBlockSet(c, [])).reduce((a, b) => a.union(b), IntervalSet.EMPTY).subtract(this.notByIpBlock);
      else if (peer.kind === 'nodes') outside = this.engine.nodePeerAddresses(peer);
      out = { addresses: this.addresses(pods).union(outside), pods };
      this.clusterPeers.set(peer, out);
    }
    return out;
  }

  /** Ingress: named ports resolve on the selected pod itself, the destination. */
  private ingressGrants(rule: PolicyRule, policy: NetworkPolicy, pod: Pod, out: Grant[]): void {
    const peers = this.peers(rule, policy);
    // "If this field is empty or missing, this rule matches all ports (traffic not restricted
    // by port)": every protocol, ICMP included.
    if (rule.ports === null) out.push({ peers: peers.addresses, conns: 'any' });
    else out.push({ peers: peers.addresses, conns: this.engine.ruleConns(rule, { kind: 'pod', pod }) });
  }

  /** Egress: a named port resolves on each destination pod, so those pods get their own grant. */
  private egressGrants(rule: PolicyRule, policy: NetworkPolicy, out: Grant[]): void {
    const peers = this.peers(rule, policy);
    if (rule.ports === null) {
      out.push({ peers: peers.addresses, conns: 'any' });
      return;
    }
    // Numbered ports apply to every peer; named ones match nothing outside the cluster.
    out.push({ peers: peers.addresses, conns: this.engine.ruleConns(rule, ANY_IP) });
    if (rule.ports.some((p) => typeof p.port === 'string')) {
      for (const dst of peers.pods) {
        const ip = this.ip(dst);
        out.push({ peers: IntervalSet.of(ip, ip), conns: this.engine.ruleConns(rule, { kind: 'pod', pod: dst }) });
      }
    }
  }

  private peers(rule: PolicyRule, policy: NetworkPolicy): RulePeers {
    let peers = this.cache.get(rule);
    if (!peers) {
      peers = this.resolvePeers(rule, policy);
      this.cache.set(rule, peers);
    }
    return peers;
  }

  private resolvePeers(rule: PolicyRule, policy: NetworkPolicy): RulePeers {
    // "If this field is empty or missing, this rule matches all sources (traffic not restricted
    // by source)" / "…all destinations".
    if (rule.peers === null) return { addresses: EVERYWHERE, pods: this.addressed };
    let blocks = IntervalSet.EMPTY;
    for (const peer of rule.peers) if (peer.kind === 'ipBlock') blocks = blocks.union(ipBlockSet(peer.cidr, peer.except));
    // Upstream: an ipBlock matches every address in it, pods' too. Profiles may keep it off pod
    // IPs (matched by selectors only) or node IPs (hostNetwork pods included).
    if (!this.notByIpBlock.isEmpty()) blocks = blocks.subtract(this.notByIpBlock);
    const selectors = rule.peers.filter((peer) => peer.kind !== 'ipBlock');
    const pods: Pod[] = [];
    let own = 0;
    for (const p of this.addressed) {
      const matched = blocks.has(this.ip(p)) || (!p.hostNetwork && selectors.length > 0 && selectors.some((peer) => this.engine.peerMatches(peer, policy.namespace, { kind: 'pod', pod: p })));
      if (!matched) continue;
      pods.push(p);
      if (!p.hostNetwork) own++;
    }
    return { addresses: own === 0 ? blocks : this.addresses(pods.filter((p) => !p.hostNetwork)).union(blocks), pods };
  }

  private ip(pod: Pod): number {
    return this.ipOf.get(pod)!;
  }

  /** The pods' addresses as a set (every pod given has a valid IPv4 address). */
  private addresses(pods: readonly Pod[]): IntervalSet {
    return IntervalSet.from(pods.map((p) => ({ start: this.ip(p), end: this.ip(p) })));
  }
}
