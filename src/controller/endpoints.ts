/**
 * The endpoints controller: follows pod readiness between CLI commands. Every ~500 ms it asks
 * each node agent for its pods' statuses, derives each pod's ready / not ready / terminal
 * condition (src/lab/readiness.ts, as reconcile does) and, when that differs from what the
 * Services rules reflect (recorded in the state as `endpoints`), takes the lab lock, re-reads
 * the state, asks the agents again and runs the same syncServices (its delta path: only changed
 * endpoints are sent). It also ends graceful deletions made through the API: once a terminating
 * pod's containers have stopped, a reconcile under the lock removes it. Level-triggered — desired against last applied, never events — so a
 * burst of changes between two ticks is one sync. Runs in the lab's monitor process.
 */
import type { AgentPodStatus } from '../lab/agent-client.js';
import type { LabLock } from '../lab/lock.js';
import type { EndpointConditions } from '../model/endpoints.js';
import { endpointConditions, sameConditions } from '../lab/readiness.js';
import type { LabState } from '../lab/state.js';
import { finishedTerminating, livePlacements } from '../lab/terminating.js';

export const TICK_MS = 500;

/** What a tick needs from the world (real ones in src/controller/endpoints-runtime.ts). */
export interface ControllerDeps {
  /** The state file now; null when the lab is gone or the file cannot be read. */
  readState(): LabState | null;
  /** Every agent's pods; null when an agent did not answer (nothing is decided on half a view). */
  statuses(state: LabState): Promise<ReadonlyMap<string, AgentPodStatus> | null>;
  /** The lab lock at once, or null while another command holds it. */
  tryLock(): LabLock | null;
  /** Applies `conditions` to the Services rules and records them in the state (saved). */
  apply(state: LabState, conditions: EndpointConditions): Promise<void>;
  /** Reconciles the lab as it is, which removes the terminating pods that have stopped (lab/terminating.ts). */
  finish(state: LabState): Promise<void>;
}

export type TickResult = 'idle' | 'synced' | 'busy' | 'skipped';

/** The conditions to apply, or null when the rules reflect them already. Pure. */
export function pendingConditions(state: LabState, statuses: ReadonlyMap<string, AgentPodStatus>): EndpointConditions | null {
  const want = endpointConditions(livePlacements(state).map((p) => p.key), statuses);
  return sameConditions(state.endpoints, want) ? null : want;
}

/** Whether some terminating pod has stopped or is past its grace period (pure). */
export function terminationsToFinish(state: LabState, statuses: ReadonlyMap<string, AgentPodStatus>, now: number): boolean {
  return finishedTerminating(state.terminating ?? [], statuses, new Set(), now).size > 0;
}

/**
 * Which silent nodes count as NotReady: those whose agent has not answered for `graceMs`
 * (kube-controller-manager's node monitor grace period). null while any silent node is still
 * within it: nothing is decided on half a view. Pure.
 */
export function notReadyNodes(silent: readonly string[], lastAnswer: ReadonlyMap<string, number>, since: number, now: number, graceMs: number): string[] | null {
  for (const node of silent) if (now - (lastAnswer.get(node) ?? since) < graceMs) return null;
  return [...silent];
}

/** Whether the controller acts on the lab: made and reconciled at least once. */
function active(state: LabState | null): state is LabState {
  return state !== null && state.phase === 'ready' && state.endpoints !== undefined;
}

/** One pass: compare, and sync under the lock when something changed. */
export async function controllerTick(deps: ControllerDeps): Promise<TickResult> {
  const seen = deps.readState();
  if (!active(seen)) return 'skipped';
  const statuses = await deps.statuses(seen);
  if (!statuses) return 'skipped';
  if (!terminationsToFinish(seen, statuses, Date.now()) && !pendingConditions(seen, statuses)) return 'idle';
  const lock = deps.tryLock();
  if (!lock) return 'busy'; // a CLI command is reconciling: it records readiness itself; look again next tick
  try {
    // Under the lock: the state and the statuses as they are now (an apply may have added pods).
    const state = deps.readState();
    if (!active(state)) return 'skipped';
    const fresh = await deps.statuses(state);
    // Pods deleted through the API whose containers stopped: a reconcile removes them (and syncs).
    if (fresh && terminationsToFinish(state, fresh, Date.now())) {
      await deps.finish(state);
      return 'synced';
    }
    const want = fresh && pendingConditions(state, fresh);
    if (!want) return fresh ? 'idle' : 'skipped';
    await deps.apply(state, want);
    return 'synced';
  } finally {
    lock.release();
  }
}

/** Ticks every `intervalMs` (a tick never overlaps the next); failures are logged and retried. */
export function startEndpointsController(deps: ControllerDeps, log: (line: string) => void, intervalMs = TICK_MS): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastError = '';
  const loop = async () => {
    try {
      await controllerTick(deps);
      lastError = '';
    } catch (e) {
      const message = (e as Error).message;
      if (message !== lastError) log(`endpoints controller: ${message}`); // once per distinct failure
      lastError = message;
    }
    if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
  };
  timer = setTimeout(() => void loop(), intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
