/**
 * topologySpreadConstraints, as kube-scheduler's PodTopologySpread plugin applies them: the
 * DoNotSchedule constraints filter nodes by skew, the ScheduleAnyway ones (or the system default
 * constraints, for pods without any) score them. Pure.
 */
import { matchesSelector } from './labels.js';
import { matchesNodeRequirements, untoleratedTaint, type SchedNode } from './node-affinity.js';
import type { PlacedSchedPod } from './pod-affinity.js';
import type { Pod, TopologySpreadConstraint } from './types.js';

export const HOSTNAME_KEY = 'kubernetes.io/hostname';
export const ZONE_KEY = 'topology.kubernetes.io/zone';

interface Counting {
  key: string;
  maxSkew: number;
  minDomains: number;
  /** Which placed pods count. */
  counts: (p: Pod) => boolean;
  selfMatch: boolean;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

function counting(pod: Pod, c: TopologySpreadConstraint): Counting {
  // "matchLabelKeys is a set of pod label keys to select the pods over which spreading will be
  // calculated. The keys are used to lookup values from the incoming pod labels, those key-value
  // labels are ANDed with labelSelector."
  const extra = Object.fromEntries(c.matchLabelKeys.filter((k) => pod.labels[k] !== undefined).map((k) => [k, pod.labels[k]]));
  const selector = c.selector === null ? null : { ...c.selector, matchLabels: { ...c.selector.matchLabels, ...extra } };
  // Pods are counted in the incoming pod's namespace only.
  const counts = (p: Pod) => selector !== null && p.namespace === pod.namespace && matchesSelector(selector, p.labels);
  return { key: c.topologyKey, maxSkew: c.maxSkew, minDomains: c.minDomains, counts, selfMatch: counts(pod), nodeAffinityPolicy: c.nodeAffinityPolicy, nodeTaintsPolicy: c.nodeTaintsPolicy };
}

/**
 * The system default constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) for pods
 * without constraints of their own. Upstream counts the pods the same Services, ReplicaSets or
 * StatefulSets select; here: the pods of the same workload.
 */
function systemDefaults(pod: Pod): Counting[] {
  const counts = (p: Pod) => p.namespace === pod.namespace && p.owner.kind === pod.owner.kind && p.owner.name === pod.owner.name;
  const base = { minDomains: 1, counts, selfMatch: true, nodeAffinityPolicy: 'Honor' as const, nodeTaintsPolicy: 'Ignore' as const };
  return [{ ...base, key: HOSTNAME_KEY, maxSkew: 3 }, { ...base, key: ZONE_KEY, maxSkew: 5 }];
}

/** Per domain value of c.key: matching pods, over the nodes the policies let count. */
function domainCounts(pod: Pod, c: Counting, nodes: readonly SchedNode[], existing: readonly PlacedSchedPod[], allKeys: readonly string[]): Map<string, number> {
  const counted = new Set<string>();
  const domains = new Map<string, number>();
  for (const n of nodes) {
    if (allKeys.some((k) => n.labels[k] === undefined)) continue;
    if (c.nodeAffinityPolicy === 'Honor' && !matchesNodeRequirements(pod, n)) continue;
    if (c.nodeTaintsPolicy === 'Honor' && untoleratedTaint(pod.tolerations ?? [], n.taints)) continue;
    counted.add(n.name);
    if (!domains.has(n.labels[c.key])) domains.set(n.labels[c.key], 0);
  }
  for (const e of existing) {
    if (!counted.has(e.node.name) || !c.counts(e.pod)) continue;
    const v = e.node.labels[c.key];
    domains.set(v, (domains.get(v) ?? 0) + 1);
  }
  return domains;
}

export type SpreadFailure = 'missing-label' | 'skew';

/**
 * The filter. "maxSkew ... describes the degree to which Pods may be unevenly distributed ...
 * the maximum permitted difference between the number of matching pods in the target topology
 * and the global minimum"; with minDomains, "when the number of eligible domains with matching
 * topology keys is less than minDomains, ... the global minimum is treated as 0".
 */
export function spreadFilter(pod: Pod, node: SchedNode, nodes: readonly SchedNode[], existing: readonly PlacedSchedPod[]): SpreadFailure | null {
  const hard = (pod.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
  if (hard.length === 0) return null;
  const keys = hard.map((c) => c.topologyKey);
  if (keys.some((k) => node.labels[k] === undefined)) return 'missing-label';
  for (const c of hard.map((x) => counting(pod, x))) {
    const domains = domainCounts(pod, c, nodes, existing, keys);
    const min = domains.size < c.minDomains ? 0 : Math.min(...domains.values());
    const skew = (domains.get(node.labels[c.key]) ?? 0) + (c.selfMatch ? 1 : 0) - min;
    if (skew > c.maxSkew) return 'skew';
  }
  return null;
}

/**
 * The score, normalised to 0..100 over `feasible` (more matching pods in a domain: lower):
 * raw = Σ count(domain) · log(domains + 2) + maxSkew − 1 per constraint; nodes without a
 * required key score 0.
 */
export function spreadScores(pod: Pod, feasible: readonly SchedNode[], nodes: readonly SchedNode[], existing: readonly PlacedSchedPod[]): Map<string, number> {
  const own = pod.topologySpreadConstraints ?? [];
  const soft = own.length > 0 ? own.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway').map((c) => counting(pod, c)) : systemDefaults(pod);
  const requireAll = own.length > 0;
  const out = new Map<string, number>();
  if (soft.length === 0) return out;
  const keys = requireAll ? soft.map((c) => c.key) : [];
  const perConstraint = soft.map((c) => {
    const domains = domainCounts(pod, c, nodes, existing, requireAll ? keys : [c.key]);
    const feasibleDomains = new Set(feasible.filter((n) => n.labels[c.key] !== undefined).map((n) => n.labels[c.key]));
    return { c, domains, weight: Math.log(feasibleDomains.size + 2) };
  });
  const raw = new Map<string, number>();
  for (const n of feasible) {
    if (keys.some((k) => n.labels[k] === undefined)) continue;
    let s = 0;
    for (const { c, domains, weight } of perConstraint) {
      if (n.labels[c.key] === undefined) continue;
      s += (domains.get(n.labels[c.key]) ?? 0) * weight + (c.maxSkew - 1);
    }
    raw.set(n.name, s);
  }
  const values = [...raw.values()];
  const max = values.length ? Math.max(...values) : 0;
  const min = values.length ? Math.min(...values) : 0;
  for (const n of feasible) {
    const s = raw.get(n.name);
    out.set(n.name, s === undefined ? 0 : max === 0 ? 100 : Math.floor((100 * (max + min - s)) / max));
  }
  return out;
}
