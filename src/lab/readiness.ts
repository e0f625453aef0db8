/**
 * Pod readiness as the Services see it, derived from the node agents' statuses — one function
 * for `podnet up/apply` (reconcile), the endpoints controller and `podnet get endpointslices`,
 * so the three agree. Pure.
 */
import { readyWhen, type AppliedEndpoints, type EndpointConditions, type PodEndpointStatus, type PodStatusLookup } from '../model/endpoints.js';
import type { AgentPodStatus } from './agent-client.js';
import type { LabState } from './state.js';

export type { AppliedEndpoints, EndpointConditions } from '../model/endpoints.js';

/**
 * A pod is terminal when it has containers and every one exited for good ('exited': the restart
 * policy will not start it again; 'waiting' means a restart is pending); else ready as the agent
 * says (every container ready). No status (agent down, pod not started): not ready.
 */
/** Succeeded or Failed: every container exited and restartPolicy starts none again. */
export function isTerminal(status: AgentPodStatus | undefined): boolean {
  return status !== undefined && status.containers.length > 0 && status.containers.every((c) => c.state === 'exited');
}

export function endpointStatusOf(status: AgentPodStatus | undefined): PodEndpointStatus {
  if (!status) return 'notReady';
  if (isTerminal(status)) return 'terminal';
  return status.ready ? 'ready' : 'notReady';
}

/** The conditions of the placed pods, from the statuses the agents gave. */
export function endpointConditions(placed: Iterable<string>, statuses: ReadonlyMap<string, AgentPodStatus>): EndpointConditions {
  const ready: string[] = [];
  const terminal: string[] = [];
  for (const key of [...placed].sort()) {
    const s = endpointStatusOf(statuses.get(key));
    if (s === 'ready') ready.push(key);
    else if (s === 'terminal') terminal.push(key);
  }
  return { ready, terminal };
}

export function conditionsLookup(c: EndpointConditions): PodStatusLookup {
  const ready = new Set(c.ready);
  const terminal = new Set(c.terminal);
  return (key) => (ready.has(key) ? 'ready' : terminal.has(key) ? 'terminal' : 'notReady');
}

export function sameConditions(a: EndpointConditions | undefined, b: EndpointConditions): boolean {
  return a !== undefined && sameList(a.ready, b.ready) && sameList(a.terminal, b.terminal);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * For the lab's own processes that read the state file (DNS server, ingress controller): the
 * readiness the Services rules hold; before any sync recorded one, every placed pod is ready.
 */
export function recordedEndpoints(state: Pick<LabState, 'endpoints' | 'placements'>): PodStatusLookup {
  if (state.endpoints) return conditionsLookup(state.endpoints);
  const placed = new Set(state.placements.map((p) => p.key));
  return readyWhen((key) => placed.has(key));
}

/** The record of a sync that applied `c`. */
export function appliedRecord(c: EndpointConditions, previous: AppliedEndpoints | undefined, by: AppliedEndpoints['by']): AppliedEndpoints {
  return { ready: c.ready, terminal: c.terminal, at: new Date().toISOString(), syncs: (previous?.syncs ?? 0) + 1, by };
}
