/**
 * Inter-pod rules, as kube-scheduler's InterPodAffinity plugin applies them: required and
 * preferred podAffinity / podAntiAffinity against the pods already placed, in topology domains
 * (nodes sharing the value of topologyKey). Pure.
 */
import { matchesSelector, type Labels } from './labels.js';
import type { SchedNode } from './node-affinity.js';
import type { Pod, PodAffinityTerm } from './types.js';

/** A pod already bound to a node. */
export interface PlacedSchedPod {
  pod: Pod;
  node: SchedNode;
}

/** namespace name → labels, for namespaceSelector. */
export type NamespaceLabels = ReadonlyMap<string, Labels>;

/**
 * "The term is applied to the union of the namespaces listed in this field and the ones selected
 * by namespaceSelector. null or empty namespaces list and null namespaceSelector means 'this
 * pod's namespace'." An empty namespaceSelector ({}) matches all namespaces.
 */
export function termSelects(term: PodAffinityTerm, owner: Pick<Pod, 'namespace'>, target: Pick<Pod, 'namespace' | 'labels'>, nsLabels: NamespaceLabels): boolean {
  if (term.selector === null || !matchesSelector(term.selector, target.labels)) return false;
  if (term.namespaces.length === 0 && term.namespaceSelector === null) return target.namespace === owner.namespace;
  if (term.namespaces.includes(target.namespace)) return true;
  return term.namespaceSelector !== null && matchesSelector(term.namespaceSelector, nsLabels.get(target.namespace) ?? { 'kubernetes.io/metadata.name': target.namespace });
}

function sameDomain(a: SchedNode, b: SchedNode, key: string): boolean {
  return a.labels[key] !== undefined && a.labels[key] === b.labels[key];
}

export type InterPodFailure = 'affinity' | 'anti-affinity' | 'existing-anti-affinity';

/**
 * The InterPodAffinity filter for `pod` on `node`, in kube-scheduler's order (the pod's affinity,
 * its anti-affinity, then existing pods' anti-affinity); null when it passes.
 */
export function interPodFilter(pod: Pod, node: SchedNode, existing: readonly PlacedSchedPod[], nsLabels: NamespaceLabels): InterPodFailure | null {
  const a = pod.affinity;
  if (!a) return existingAnti(pod, node, existing, nsLabels);
  if (a.podRequired.length > 0) {
    // Every term needs a matching pod in this node's domain; a node without the key fails.
    if (a.podRequired.some((t) => node.labels[t.topologyKey] === undefined)) return 'affinity';
    const satisfied = a.podRequired.every((t) => existing.some((e) => sameDomain(node, e.node, t.topologyKey) && termSelects(t, pod, e.pod, nsLabels)));
    if (!satisfied) {
      // The first pod of a group: "if no other pod in the cluster matches the affinity terms,
      // and the pod matches its own terms", it may go anywhere the keys exist (kube-scheduler's
      // satisfyPodAffinity).
      const anyMatch = existing.some((e) => a.podRequired.some((t) => termSelects(t, pod, e.pod, nsLabels)));
      const selfMatch = a.podRequired.every((t) => termSelects(t, pod, pod, nsLabels));
      if (anyMatch || !selfMatch) return 'affinity';
    }
  }
  for (const t of a.antiRequired) {
    if (existing.some((e) => sameDomain(node, e.node, t.topologyKey) && termSelects(t, pod, e.pod, nsLabels))) return 'anti-affinity';
  }
  return existingAnti(pod, node, existing, nsLabels);
}

/** Existing pods' required anti-affinity that selects the incoming pod keeps it out of their domain. */
function existingAnti(pod: Pod, node: SchedNode, existing: readonly PlacedSchedPod[], nsLabels: NamespaceLabels): InterPodFailure | null {
  for (const e of existing) {
    for (const term of e.pod.affinity?.antiRequired ?? []) {
      if (termSelects(term, e.pod, pod, nsLabels) && sameDomain(node, e.node, term.topologyKey)) return 'existing-anti-affinity';
    }
  }
  return null;
}

/**
 * InterPodAffinity's raw score: the weights of the incoming pod's preferred terms (affinity +,
 * anti-affinity −) for every placed pod they select in this node's domain, and symmetrically the
 * placed pods' preferred terms (and required affinity, with hardPodAffinityWeight 1) that select
 * the incoming pod.
 */
export function interPodScore(pod: Pod, node: SchedNode, existing: readonly PlacedSchedPod[], nsLabels: NamespaceLabels): number {
  const HARD_POD_AFFINITY_WEIGHT = 1;
  let score = 0;
  const a = pod.affinity;
  for (const e of existing) {
    for (const w of a?.podPreferred ?? []) if (sameDomain(node, e.node, w.term.topologyKey) && termSelects(w.term, pod, e.pod, nsLabels)) score += w.weight;
    for (const w of a?.antiPreferred ?? []) if (sameDomain(node, e.node, w.term.topologyKey) && termSelects(w.term, pod, e.pod, nsLabels)) score -= w.weight;
    const b = e.pod.affinity;
    if (!b) continue;
    for (const t of b.podRequired) if (sameDomain(node, e.node, t.topologyKey) && termSelects(t, e.pod, pod, nsLabels)) score += HARD_POD_AFFINITY_WEIGHT;
    for (const w of b.podPreferred) if (sameDomain(node, e.node, w.term.topologyKey) && termSelects(w.term, e.pod, pod, nsLabels)) score += w.weight;
    for (const w of b.antiPreferred) if (sameDomain(node, e.node, w.term.topologyKey) && termSelects(w.term, e.pod, pod, nsLabels)) score -= w.weight;
  }
  return score;
}
