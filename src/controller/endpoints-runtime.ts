/**
 * The endpoints controller wired to a real lab (src/controller/endpoints.ts has the logic): the
 * state file, the node agents' control sockets, the lab lock and podnet's kube-proxy.
 */
import type { Host } from '../host/host.js';
import type { AgentPodStatus } from '../lab/agent-client.js';
import { agentReports, reconcile } from '../lab/lab.js';
import { labCluster } from '../api/lab-cluster.js';
import { tryLock } from '../lab/lock.js';
import { syncServices } from '../proxy/sync.js';
import { appliedRecord, conditionsLookup } from '../lab/readiness.js';
import { statSync } from 'node:fs';
import { loadState, saveState, stateFilePath, type LabState } from '../lab/state.js';
import { NODE_MONITOR_GRACE_MS } from '../model/lab.js';
import { notReadyNodes, type ControllerDeps } from './endpoints.js';

const STATUS_TIMEOUT_MS = 2_000;
export const CONTROLLER_LOCK_COMMAND = 'podnet endpoints controller';

export function labControllerDeps(lab: string, host: Host, log: (line: string) => void): ControllerDeps {
  const reader = stateReader(lab);
  return {
    readState: reader.read,
    statuses: agentStatuses(log),
    tryLock: () => tryLock(lab, CONTROLLER_LOCK_COMMAND),
    async apply(state, conditions) {
      reader.forget(); // `state` is changed from here on: the next read parses what was saved
      const start = performance.now();
      const report = await syncServices(host, state, labCluster(state), conditionsLookup(conditions), { beforeApply: (pending) => saveState(Object.assign(state, pending)) });
      Object.assign(state, report.record);
      state.endpoints = appliedRecord(conditions, state.endpoints, 'controller');
      saveState(state);
      const full = report.full.length > 0 ? `, full sync on ${report.full.join(',')}` : '';
      log(`endpoints: ${conditions.ready.length} ready, ${conditions.terminal.length} terminal of ${state.placements.length} pods applied in ${(performance.now() - start).toFixed(0)} ms${full} (sync ${state.endpoints.syncs})`);
    },
    async finish(state) {
      reader.forget();
      const before = (state.terminating ?? []).map((t) => t.placement.key);
      await reconcile(host, state, state.objects);
      const left = new Set((state.terminating ?? []).map((t) => t.placement.key));
      log(`terminating pods gone: ${before.filter((k) => !left.has(k)).join(', ') || 'none'}`);
    },
  };
}

/**
 * The state file, parsed again only when it changed (same mtime and size: the same file, as
 * saveState replaces it by rename): a tick every 500 ms must not re-parse a big lab's state.
 */
function stateReader(lab: string): { read(): LabState | null; forget(): void } {
  const path = stateFilePath(lab);
  let cached: { mtimeMs: number; size: number; state: LabState } | null = null;
  return {
    read() {
      let st;
      try {
        st = statSync(path);
      } catch {
        cached = null;
        return null;
      }
      if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) return cached.state;
      const state = loadState(lab);
      cached = state ? { mtimeMs: st.mtimeMs, size: st.size, state } : null;
      return state;
    },
    forget() {
      cached = null;
    },
  };
}

/**
 * Every node's pod statuses. A node whose agent does not answer (or answers with an error) holds
 * the decision back (null) until it has been silent for the node monitor grace period; then the
 * node is NotReady and its pods are left out, so they count as not ready — as the node lifecycle
 * controller marks every pod of a NotReady node not ready.
 */
function agentStatuses(log: (line: string) => void): (state: LabState) => Promise<Map<string, AgentPodStatus> | null> {
  const since = Date.now();
  const lastAnswer = new Map<string, number>();
  let notReady = new Set<string>();
  return async (state) => {
    const { pods, answered } = await agentReports(state, STATUS_TIMEOUT_MS);
    const now = Date.now();
    for (const node of answered) lastAnswer.set(node, now);
    const silent = state.nodes.map((n) => n.name).filter((node) => !answered.has(node));
    const down = notReadyNodes(silent, lastAnswer, since, now, state.config.nodeMonitorGraceMs ?? NODE_MONITOR_GRACE_MS);
    if (down === null) return null;
    for (const node of down) if (!notReady.has(node)) log(`endpoints: node ${node} is NotReady (its agent has not answered for the grace period): its pods are not ready`);
    notReady = new Set(down);
    return pods;
  };
}
