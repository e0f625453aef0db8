/**
 * The cluster-wide tiers around NetworkPolicy (kubernetes-sigs/network-policy-api), as the
 * engine uses them. Pure.
 *
 * The evaluation order, from ClusterNetworkPolicySpec.Tier: "Policy tiers are evaluated in the
 * following order: Admin tier, NetworkPolicy tier, Baseline tier ... If a given connection wasn't
 * allowed or denied by any of the tiers, the default kubernetes policy is applied, which says
 * that all pods can communicate with each other."
 *
 * Within a tier, policies are checked by priority: "Policies with lower priority values have
 * higher precedence, and are checked before policies with higher priority values in the same
 * tier"; within a policy, rules by position: "The relative precedence of ingress rules within a
 * single CNP object (all of which share the priority) will be determined by the order in which
 * the rule is written." So a tier is one ordered list of rules per subject pod and direction,
 * built once per pod (TierIndex) and walked with the connections not yet decided.
 *
 * Where the API leaves the order open, podnet's choice: policies of equal priority are checked
 * ClusterNetworkPolicy first, then AdminNetworkPolicy, then by name (reading warns about equal
 * priorities); the BaselineAdminNetworkPolicy, which has no priority, comes after every
 * Baseline-tier ClusterNetworkPolicy.
 */
import type { Labels } from '../model/labels.js';
import { matchesSelector } from '../model/labels.js';
import type { ClusterPolicy, ClusterPolicyKind, ClusterPolicyRule, Pod, PodsSelection, PolicyTier, TierAction } from '../model/types.js';

export type Direction = 'ingress' | 'egress';

/** One rule of a cluster policy, where it sits. */
export interface TierRule {
  policy: ClusterPolicy;
  direction: Direction;
  /** Index in spec.ingress / spec.egress. */
  index: number;
  rule: ClusterPolicyRule;
}

const KIND_ORDER: Readonly<Record<ClusterPolicyKind, number>> = { ClusterNetworkPolicy: 0, AdminNetworkPolicy: 1, BaselineAdminNetworkPolicy: 2 };

/** Precedence within a tier: lower priority first; see the header for ties. */
export function comparePolicies(a: ClusterPolicy, b: ClusterPolicy): number {
  const pa = a.priority ?? Infinity;
  const pb = b.priority ?? Infinity;
  if (pa !== pb) return pa - pb;
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The word the policy's version uses: v1alpha1 says Allow where v1alpha2 says Accept. */
export function actionWord(policy: { kind: ClusterPolicyKind }, action: TierAction): string {
  return action === 'Accept' && policy.kind !== 'ClusterNetworkPolicy' ? 'Allow' : action;
}

/** "clusternetworkpolicy deny-sensitive spec.ingress[1] (Admin, priority 10): Deny" (the rule's name is the caller's to add). */
export function tierRuleLabel(r: { policy: ClusterPolicy; direction: Direction; index: number; rule: ClusterPolicyRule }): string {
  const where = r.policy.priority === null ? r.policy.tier : `${r.policy.tier}, priority ${r.policy.priority}`;
  return `${r.policy.kind.toLowerCase()} ${r.policy.name} spec.${r.direction}[${r.index}] (${where}): ${actionWord(r.policy, r.rule.action)}`;
}

/** "clusternetworkpolicy/deny-sensitive": the policy as a metric label or a flow's decider. */
export function tierPolicyRef(p: { kind: ClusterPolicyKind; name: string }): string {
  return `${p.kind.toLowerCase()}/${p.name}`;
}

/** "clusternetworkpolicy deny-sensitive (Admin, priority 10)" */
export function tierPolicyLabel(p: ClusterPolicy): string {
  return `${p.kind.toLowerCase()} ${p.name} (${p.priority === null ? p.tier : `${p.tier}, priority ${p.priority}`})`;
}

/** The labels as one canonical string (keys sorted). */
function labelsKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000');
}

export function selectsPod(sel: PodsSelection, nsLabels: Labels, pod: Pod): boolean {
  return matchesSelector(sel.namespaceSelector, nsLabels) && matchesSelector(sel.podSelector, pod.labels);
}

/** Per subject pod and direction, the rules of each tier in the order they are checked. */
export class TierIndex {
  private readonly tiers: Readonly<Record<PolicyTier, readonly ClusterPolicy[]>>;
  private readonly cache = new WeakMap<Pod, Record<`${PolicyTier}/${Direction}`, readonly TierRule[]>>();
  private readonly byLabels = new Map<string, Record<`${PolicyTier}/${Direction}`, readonly TierRule[]>>();
  private readonly ruleObjects = new Map<ClusterPolicyRule, TierRule>();
  private readonly lists = new Map<string, readonly TierRule[]>();
  private readonly byNamespace = new Map<string, Readonly<Record<PolicyTier, readonly ClusterPolicy[]>>>();
  readonly empty: boolean;

  constructor(policies: readonly ClusterPolicy[], private readonly nsLabels: (ns: string) => Labels) {
    const sorted = [...policies].sort(comparePolicies);
    this.tiers = { Admin: sorted.filter((p) => p.tier === 'Admin'), Baseline: sorted.filter((p) => p.tier === 'Baseline') };
    this.empty = policies.length === 0;
  }

  policies(tier: PolicyTier): readonly ClusterPolicy[] {
    return this.tiers[tier];
  }

  /**
   * The rules that apply to `pod` (a subject: "host-networked pods are not included in subject
   * selection", so the caller never asks for one) in `direction` and `tier`, in order.
   */
  rules(pod: Pod, direction: Direction, tier: PolicyTier): readonly TierRule[] {
    if (this.empty) return [];
    let entry = this.cache.get(pod);
    if (!entry) {
      // Pods of one namespace with the same labels are selected alike: one entry for all of them.
      const key = `${pod.namespace}\n${labelsKey(pod.labels)}`;
      entry = this.byLabels.get(key);
      if (!entry) {
        const inNamespace = this.namespaceSubjects(pod.namespace);
        const build = (t: PolicyTier, d: Direction): readonly TierRule[] => {
          const selected = inNamespace[t].filter((pol) => matchesSelector(pol.subject.podSelector, pod.labels));
          // Equal lists are one array (callers may key their own caches on it).
          const listKey = `${t}/${d}/${selected.map((pol) => pol.name + '\u0000' + pol.kind).join('\u0001')}`;
          let list = this.lists.get(listKey);
          if (!list) this.lists.set(listKey, (list = selected.flatMap((policy) => (d === 'ingress' ? policy.ingress : policy.egress).map((rule, index) => this.tierRule(policy, d, index, rule)))));
          return list;
        };
        entry = { 'Admin/ingress': build('Admin', 'ingress'), 'Admin/egress': build('Admin', 'egress'), 'Baseline/ingress': build('Baseline', 'ingress'), 'Baseline/egress': build('Baseline', 'egress') };
        this.byLabels.set(key, entry);
      }
      this.cache.set(pod, entry);
    }
    return entry[`${tier}/${direction}`];
  }

  /** The policies of each tier whose subject's namespaceSelector selects namespace `ns`, in order. */
  private namespaceSubjects(ns: string): Readonly<Record<PolicyTier, readonly ClusterPolicy[]>> {
    let out = this.byNamespace.get(ns);
    if (!out) {
      const labels = this.nsLabels(ns);
      const pick = (t: PolicyTier) => this.tiers[t].filter((pol) => matchesSelector(pol.subject.namespaceSelector, labels));
      this.byNamespace.set(ns, (out = { Admin: pick('Admin'), Baseline: pick('Baseline') }));
    }
    return out;
  }

  /** One TierRule object per rule, so the lists of different pods share them. */
  private tierRule(policy: ClusterPolicy, direction: Direction, index: number, rule: ClusterPolicyRule): TierRule {
    let r = this.ruleObjects.get(rule);
    if (!r) this.ruleObjects.set(rule, (r = { policy, direction, index, rule }));
    return r;
  }
}
