/**
 * podnet's kube-scheduler: one pod at a time, filter then score, with the default profile's
 * plugins that concern placement (NodeName, TaintToleration, NodeAffinity, NodePorts,
 * PodTopologySpread, InterPodAffinity; pod count stands in for NodeResourcesFit) and their
 * default score weights. When no node fits, the reason reads as the scheduler's
 * FailedScheduling event. Pure.
 */
import { intolerablePreferNoSchedule, matchesNodeRequirements, preferredNodeScore, untoleratedTaint, type SchedNode } from './node-affinity.js';
import { interPodFilter, interPodScore, type NamespaceLabels, type PlacedSchedPod } from './pod-affinity.js';
import { spreadFilter, spreadScores } from './topology-spread.js';
import type { Pod } from './types.js';

/** The filter plugins' reasons, worded as kube-scheduler words them. */
export const REASONS = {
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  spreadMissing: "node(s) didn't match pod topology spread constraints (missing required label)",
  spread: "node(s) didn't match pod topology spread constraints",
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAnti: "node(s) didn't satisfy existing pods anti-affinity rules",
  podIPs: 'node(s) had no free pod IP',
} as const;

export const taintReason = (t: { key: string; value: string }) => `node(s) had untolerated taint {${t.key}: ${t.value}}`;

/** Default profile score weights (kube-scheduler's default plugin set). */
const WEIGHTS = { taint: 3, nodeAffinity: 2, interPod: 2, spread: 2, fit: 1 };
/** The kubelet's default --max-pods: the capacity the pod-count score is taken against. */
const MAX_PODS = 110;

export interface ScheduleContext {
  nodes: readonly SchedNode[];
  existing: readonly PlacedSchedPod[];
  namespaces: NamespaceLabels;
  /** Extra per-node check after the others (e.g. a free pod IP); a reason or null. */
  extraFilter?: (node: SchedNode) => string | null;
}

export type ScheduleResult = { node: SchedNode } | { reason: string };

function hostPorts(pod: Pod): string[] {
  // With hostNetwork, "hostPort must match containerPort" (the API server defaults it so).
  return pod.containers.flatMap((c) => c.ports.flatMap((p) => (p.hostPort ?? (pod.hostNetwork ? p.containerPort : undefined)) === undefined ? [] : [`${p.protocol}/${p.hostPort ?? p.containerPort}`]));
}

/** The first filter a node fails, in the default profile's order; null when it fits. */
function filter(pod: Pod, node: SchedNode, ctx: ScheduleContext): string | null {
  if (pod.nodeName !== undefined && pod.nodeName !== node.name) return REASONS.nodeName;
  const taint = untoleratedTaint(pod.tolerations ?? [], node.taints);
  if (taint) return taintReason(taint);
  if (!matchesNodeRequirements(pod, node)) return REASONS.nodeAffinity;
  const wanted = hostPorts(pod);
  if (wanted.length > 0) {
    const taken = new Set(ctx.existing.filter((e) => e.node.name === node.name).flatMap((e) => hostPorts(e.pod)));
    if (wanted.some((p) => taken.has(p))) return REASONS.nodePorts;
  }
  const extra = ctx.extraFilter?.(node);
  if (extra) return extra;
  const spread = spreadFilter(pod, node, ctx.nodes, ctx.existing);
  if (spread) return spread === 'skew' ? REASONS.spread : REASONS.spreadMissing;
  const inter = interPodFilter(pod, node, ctx.existing, ctx.namespaces);
  if (inter) return inter === 'affinity' ? REASONS.affinity : inter === 'anti-affinity' ? REASONS.antiAffinity : REASONS.existingAnti;
  return null;
}

/** "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 node(s) didn't match …." */
export function fitError(total: number, reasons: readonly string[]): string {
  const histogram = new Map<string, number>();
  for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/** Normalises raw scores to 0..100: by the maximum, reversed (lower raw is better) when asked. */
function normalise(raw: Map<string, number>, reverse: boolean): Map<string, number> {
  const max = Math.max(0, ...raw.values());
  return new Map([...raw].map(([k, v]) => {
    const s = max === 0 ? (reverse ? 100 : 0) : Math.floor((100 * v) / max);
    return [k, reverse ? 100 - s : s];
  }));
}

/** Picks a node for `pod`: the feasible node with the highest weighted score, first in node order on ties. */
export function schedule(pod: Pod, ctx: ScheduleContext): ScheduleResult {
  if (ctx.nodes.length === 0) return { reason: 'no nodes available to schedule pods' };
  const reasons: string[] = [];
  const feasible: SchedNode[] = [];
  for (const n of ctx.nodes) {
    const r = filter(pod, n, ctx);
    if (r) reasons.push(r);
    else feasible.push(n);
  }
  if (feasible.length === 0) return { reason: fitError(ctx.nodes.length, reasons) };
  if (feasible.length === 1) return { node: feasible[0] };
  const nodeAff = normalise(new Map(feasible.map((n) => [n.name, preferredNodeScore(pod, n)])), false);
  const taints = normalise(new Map(feasible.map((n) => [n.name, intolerablePreferNoSchedule(pod.tolerations ?? [], n.taints)])), true);
  const interRaw = new Map(feasible.map((n) => [n.name, interPodScore(pod, n, ctx.existing, ctx.namespaces)]));
  const lo = Math.min(...interRaw.values());
  const hi = Math.max(...interRaw.values());
  const spread = spreadScores(pod, feasible, ctx.nodes, ctx.existing);
  const load = new Map<string, number>();
  for (const e of ctx.existing) load.set(e.node.name, (load.get(e.node.name) ?? 0) + 1);
  let best = feasible[0];
  let bestScore = -Infinity;
  for (const n of feasible) {
    const inter = hi === lo ? 0 : Math.floor((100 * ((interRaw.get(n.name) ?? 0) - lo)) / (hi - lo));
    const fit = Math.floor((100 * Math.max(0, MAX_PODS - (load.get(n.name) ?? 0))) / MAX_PODS);
    const score = WEIGHTS.nodeAffinity * (nodeAff.get(n.name) ?? 0) + WEIGHTS.taint * (taints.get(n.name) ?? 0) + WEIGHTS.interPod * inter + WEIGHTS.spread * (spread.get(n.name) ?? 0) + WEIGHTS.fit * fit;
    if (score > bestScore) {
      best = n;
      bestScore = score;
    }
  }
  return { node: best };
}
