/**
 * Per-cluster-policy summaries for the web view and the HTML report (pure): the cluster-wide
 * tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) in the order they
 * are evaluated — "Admin tier, NetworkPolicy tier, Baseline tier", within a tier by priority —
 * with what each selects as its subject and, per rule, its action, peers, ports and the pods
 * the peers match.
 */
import { formatSelector, type Selector } from '../model/labels.js';
import { podKey, type Cluster, type ClusterPeer, type ClusterPolicy, type ClusterPolicyRule, type PodsSelection } from '../model/types.js';
import { PolicyEngine } from '../policy/engine.js';
import type { Semantics } from '../policy/semantics.js';
import { actionWord, comparePolicies, selectsPod, tierPolicyRef } from '../policy/tiers.js';

export interface TierRuleSummary {
  /** e.g. "spec.ingress[0]", with the rule's name when it has one. */
  rule: string;
  /** In the policy's own version's words: Accept (v1alpha2) or Allow (v1alpha1), Deny, Pass. */
  action: string;
  peers: string[];
  /** Lab pods the peers match (networks and nodes peers match addresses; hostNetwork pods are their nodes). */
  pods: string[];
  ports: string;
}

export interface ClusterPolicySummary {
  /** "clusternetworkpolicy/deny-sensitive" */
  key: string;
  file: string;
  tier: 'Admin' | 'Baseline';
  /** null: a BaselineAdminNetworkPolicy, which has none. */
  priority: number | null;
  subject: string;
  /** The pods it is the subject of ("host-networked pods are not included in subject selection"). */
  selects: string[];
  ingress: TierRuleSummary[];
  egress: TierRuleSummary[];
}

/** An empty selector selects everything: "all pods", "all namespaces". */
const selector = (s: Selector, noun: string) => {
  const text = formatSelector(s);
  return text === '{}' || text === '' ? `all ${noun}` : `${noun} {${text}}`;
};

const selection = (s: PodsSelection) => `${selector(s.podSelector, 'pods')} in ${selector(s.namespaceSelector, 'namespaces')}`;

function peerText(p: ClusterPeer): string {
  switch (p.kind) {
    case 'pods':
      return selection(p);
    case 'nodes':
      return selector(p.nodeSelector, 'nodes');
    case 'networks':
      return `networks ${p.cidrs.join(', ')}`;
    case 'domainNames':
      return `domain names ${p.names.join(', ')} (not modelled: matches nothing)`;
  }
}

function portsText(rule: ClusterPolicyRule): string {
  if (rule.ports === null) return 'all ports';
  return rule.ports.map((p) => (p.kind === 'named' ? `port named ${p.name}` : `${p.protocol}/${p.start === p.end ? p.start : `${p.start}-${p.end}`}`)).join(', ');
}

export function clusterPolicySummaries(cluster: Cluster, semantics?: Semantics): ClusterPolicySummary[] {
  const policies = cluster.clusterPolicies ?? [];
  if (policies.length === 0) return [];
  const engine = new PolicyEngine(cluster, { semantics });
  const rules = (policy: ClusterPolicy, direction: 'ingress' | 'egress') =>
    (direction === 'ingress' ? policy.ingress : policy.egress).map((rule, i): TierRuleSummary => ({
      rule: `spec.${direction}[${i}]${rule.name ? ` ${rule.name}` : ''}`,
      action: actionWord(policy, rule.action),
      peers: rule.peers.map(peerText),
      pods: cluster.pods.filter((p) => rule.peers.some((peer) => engine.clusterPeerMatches(peer, { kind: 'pod', pod: p }))).map(podKey),
      ports: portsText(rule),
    }));
  const order = (p: ClusterPolicy) => (p.tier === 'Admin' ? 0 : 1);
  return [...policies]
    .sort((a, b) => order(a) - order(b) || comparePolicies(a, b))
    .map((policy) => ({
      key: tierPolicyRef(policy),
      file: policy.source.file,
      tier: policy.tier,
      priority: policy.priority,
      subject: selection(policy.subject),
      selects: cluster.pods.filter((p) => !p.hostNetwork && selectsPod(policy.subject, engine.namespaceLabels(p.namespace), p)).map(podKey),
      ingress: rules(policy, 'ingress'),
      egress: rules(policy, 'egress'),
    }));
}
