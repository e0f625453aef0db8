/**
 * Node-level scheduling rules, as kube-scheduler's NodeAffinity and TaintToleration plugins
 * apply them: node selector terms (In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on
 * metadata.name) and taints against tolerations. Pure.
 */
import type { Labels } from './labels.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, TaintEffect, Toleration } from './types.js';

/** What the node-level rules need of a node. */
export interface SchedNode {
  name: string;
  labels: Labels;
  taints: readonly Taint[];
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      // As labels.Requirement: NotIn holds for objects without the key.
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      // "Gt, and Lt ... the values array must have a single element, which will be interpreted as
      // an integer." A label value that is not an integer does not match.
      if (value === undefined || !/^-?[0-9]+$/.test(value) || r.values.length !== 1) return false;
      const have = Number(value);
      const want = Number(r.values[0]);
      return r.operator === 'Gt' ? have > want : have < want;
    }
  }
}

/** One term: every requirement holds. "A null or empty node selector term matches no objects." */
export function termMatches(term: NodeSelectorTerm, node: SchedNode): boolean {
  if (term.matchExpressions.length === 0 && term.matchFields.length === 0) return false;
  const labels = node.labels;
  for (const r of term.matchExpressions) if (!requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined)) return false;
  for (const r of term.matchFields) if (!requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined)) return false;
  return true;
}

/**
 * nodeSelector and required node affinity. "If you specify both nodeSelector and nodeAffinity,
 * both must be satisfied"; "if you specify multiple terms in nodeSelectorTerms, the Pod can be
 * scheduled onto a node if one of the specified terms can be satisfied (terms are ORed)."
 */
export function matchesNodeRequirements(pod: Pick<Pod, 'nodeSelector' | 'affinity'>, node: SchedNode): boolean {
  if (pod.nodeSelector) for (const [k, v] of Object.entries(pod.nodeSelector)) if (node.labels[k] !== v) return false;
  const required = pod.affinity?.nodeRequired;
  if (required) return required.some((t) => termMatches(t, node));
  return true;
}

/** Sum of the weights of the preferred terms a node matches (NodeAffinity's score, before normalising). */
export function preferredNodeScore(pod: Pick<Pod, 'affinity'>, node: SchedNode): number {
  return (pod.affinity?.nodePreferred ?? []).reduce((sum, w) => sum + (termMatches(w.term, node) ? w.weight : 0), 0);
}

/**
 * "A toleration 'matches' a taint if the keys are the same and the effects are the same, and the
 * operator is Exists (in which case no value should be specified), or the operator is Equal and
 * the values are equal." An empty key with Exists matches every taint; an empty effect every effect.
 */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if (t.key === '') return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || t.value === taint.value;
}

/** The first taint with one of `effects` no toleration tolerates, if any. */
export function untoleratedTaint(tolerations: readonly Toleration[], taints: readonly Taint[], effects: readonly TaintEffect[] = ['NoSchedule', 'NoExecute']): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)));
}

/** TaintToleration's score input: PreferNoSchedule taints the pod does not tolerate. */
export function intolerablePreferNoSchedule(tolerations: readonly Toleration[], taints: readonly Taint[]): number {
  const relevant = tolerations.filter((t) => t.effect === undefined || t.effect === 'PreferNoSchedule');
  return taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !relevant.some((t) => tolerates(t, taint))).length;
}

/**
 * The tolerations the DaemonSet controller adds to its pods (node.kubernetes.io/not-ready,
 * unreachable, disk-pressure, memory-pressure, pid-pressure, unschedulable; network-unavailable
 * for hostNetwork pods), so node conditions do not keep daemons away.
 */
export function daemonSetTolerations(hostNetwork: boolean): Toleration[] {
  const keys = ['not-ready', 'unreachable', 'disk-pressure', 'memory-pressure', 'pid-pressure', 'unschedulable', ...(hostNetwork ? ['network-unavailable'] : [])];
  return keys.map((k) => ({ key: `node.kubernetes.io/${k}`, operator: 'Exists' as const, value: '', ...(k === 'not-ready' || k === 'unreachable' ? { effect: 'NoExecute' as const } : { effect: 'NoSchedule' as const }) }));
}
