/**
 * Graceful pod deletion, as kubelet does it. A deleted pod first becomes a terminating pod
 * (state.terminating): its object shows deletionTimestamp, its endpoints stay with
 * ready=false, serving as its readiness says and terminating=true, its network and address stay,
 * and its node's agent runs each container's preStop hook, sends it SIGTERM, then SIGKILL once
 * the grace period is over (agent/pod.ts).
 * When every container has stopped (or the grace period is long past and the agent cannot say),
 * the next reconcile removes it for good: `podnet apply|delete` wait for that, and for
 * deletions through the API the lab's monitor runs it (controller/endpoints.ts).
 *
 * terminationGracePeriodSeconds: "Optional duration in seconds the pod needs to terminate
 * gracefully. May be decreased in delete request. Value must be non-negative integer. The value
 * zero indicates stop immediately via the kill signal (no opportunity to shut down). [...] The
 * grace period is the duration in seconds after the processes running in the pod are sent a
 * termination signal and the time when the processes are forcibly halted with a kill signal.
 * [...] Defaults to 30 seconds." DeleteOptions.gracePeriodSeconds overrides it: "The value zero
 * indicates delete immediately."
 */
import { labCluster } from '../api/lab-cluster.js';
import type { AgentPodStatus } from './agent-client.js';
import type { PodTermination } from './agent/protocol.js';
import type { PlacedPod, TerminatingPod } from '../model/lab.js';
import { podKey, type Pod } from '../model/types.js';
import type { LabState } from './state.js';

/** The pod spec's default (PodSpec.terminationGracePeriodSeconds). */
export const DEFAULT_GRACE_SECONDS = 30;
/** How long past its grace period a terminating pod whose agent says nothing is waited for. */
export const OVERDUE_MS = 5_000;

/** The grace period of a pod's deletion: the request's, else the pod's own, else 30 s. */
export function graceSeconds(pod: Pod | undefined, asked: number | undefined): number {
  return asked ?? pod?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/**
 * Terminating pods that can go now (pure): every container stopped (the agent says so), the
 * agent answered without the pod (it lost it: a restarted agent), the grace period is over by
 * OVERDUE_MS, or the objects want a pod of that name again (it must make room: its old
 * incarnation is ended at once).
 */
export function finishedTerminating(
  terminating: readonly TerminatingPod[],
  statuses: ReadonlyMap<string, AgentPodStatus>,
  answered: ReadonlySet<string>,
  now: number,
  wanted: ReadonlySet<string> = new Set(),
): Set<string> {
  const out = new Set<string>();
  for (const t of terminating) {
    const key = t.placement.key;
    const s = statuses.get(key);
    const overdue = now >= Date.parse(t.at) + t.graceSeconds * 1000 + OVERDUE_MS;
    if (wanted.has(key) || s?.stopped === true || (s === undefined && answered.has(t.placement.node)) || overdue) out.add(key);
  }
  return out;
}

/** Every pod with a place in the lab: the placed ones and those terminating (their endpoints and status count). */
export function livePlacements(state: Pick<LabState, 'placements' | 'terminating'>): PlacedPod[] {
  return [...state.placements, ...(state.terminating ?? []).map((t) => t.placement)];
}

/** What each node's agent is told of its terminating pods: the grace left of each (never below 0). */
export function terminations(terminating: readonly TerminatingPod[], node: string, now: number): PodTermination[] {
  return terminating
    .filter((t) => t.placement.node === node)
    .map((t) => ({ key: t.placement.key, graceMs: Math.max(0, Date.parse(t.at) + t.graceSeconds * 1000 - now) }));
}

/** The model pod as a terminating pod keeps it (its address comes from the placement). */
export function keptPod(pod: Pod): Pod {
  const { deletion: _deletion, ...rest } = pod;
  return { ...rest, ip: '' };
}

/**
 * The pods about to be deleted that terminate gracefully (grace period above 0), each with its
 * model pod as it was (read from the lab's objects before the change) and the time of deletion.
 */
export function gracefulDeletions(state: LabState, gone: readonly PlacedPod[], asked: ReadonlyMap<string, number> | undefined, now = new Date()): TerminatingPod[] {
  if (gone.length === 0) return [];
  const before = new Map(labCluster({ ...state, terminating: undefined }).pods.map((p) => [podKey(p), p]));
  const out: TerminatingPod[] = [];
  for (const placement of gone) {
    const pod = before.get(placement.key);
    const grace = graceSeconds(pod, asked?.get(placement.key));
    if (pod && grace > 0) out.push({ placement, pod: keptPod(pod), at: now.toISOString(), graceSeconds: grace });
  }
  return out;
}
