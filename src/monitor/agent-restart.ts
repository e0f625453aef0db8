/**
 * The lab's monitor restarts a node agent that died, as systemd restarts a kubelet
 * (Restart=always, RestartSec): once an agent's process has been gone for the restart delay,
 * the monitor takes the lab lock (an apply or down in progress goes first), starts the agent
 * and hands it the node's pods. Containers never outlive their agent (the launcher's
 * PR_SET_PDEATHSIG, native/podnet-sandbox.c) and built-in servers live in the agent itself, so the new
 * agent starts every pod afresh: no second coredns, no port still held by an orphan.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request, startAgent } from '../lab/agent-client.js';
import { isAlive } from '../lab/agent/cleanup.js';
import { pidFilePath } from '../lab/agent/paths.js';
import { nodeAgentSpecs } from '../lab/lab.js';
import { tryLock } from '../lab/lock.js';
import { labDir, loadState, type LabState } from '../lab/state.js';
import { AGENT_RESTART_DELAY_MS } from '../model/lab.js';

export const RESTARTER_LOCK_COMMAND = 'podnet monitor (agent restart)';

export interface Restarter {
  /** Restarts counted per node since the monitor started (served by /metrics). */
  restarts: Map<string, number>;
  stop(): void;
}

/** The agent's PID from its pid file, if that process lives. */
function agentAlive(dir: string, node: string): boolean {
  try {
    const pid = Number(readFileSync(pidFilePath(dir, node), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && isAlive(pid);
  } catch {
    return false;
  }
}

export function startAgentRestarter(lab: string, readState: () => LabState | null, log: (line: string) => void, periodMs = 1_000): Restarter {
  const dir = labDir(lab);
  const deadSince = new Map<string, number>();
  const restarts = new Map<string, number>();
  let busy = false;
  const tick = async (): Promise<void> => {
    const state = readState();
    if (!state || state.phase !== 'ready') return;
    const now = Date.now();
    const due: string[] = [];
    for (const node of state.nodes) {
      if (agentAlive(dir, node.name)) deadSince.delete(node.name);
      else if (!deadSince.has(node.name)) deadSince.set(node.name, now);
      else if (now - deadSince.get(node.name)! >= (state.config.agentRestartDelayMs ?? AGENT_RESTART_DELAY_MS)) due.push(node.name);
    }
    if (due.length === 0) return;
    const lock = tryLock(lab, RESTARTER_LOCK_COMMAND);
    if (!lock) return; // an apply or down holds the lab: it starts (or ends) agents itself
    try {
      const fresh = existsSync(dir) ? loadState(lab) : null; // re-read under the lock
      if (!fresh) return;
      for (const name of due) {
        const node = fresh.nodes.find((n) => n.name === name);
        if (!node || agentAlive(dir, name)) continue;
        log(`agent for node ${name} died: starting it again`);
        await startAgent(dir, node.name, node.netns);
        const reply = await request(dir, node.name, { op: 'sync', pods: nodeAgentSpecs(fresh, node.name) }, 120_000);
        if (!reply.ok) log(`agent for node ${name}: ${reply.error}`);
        deadSince.delete(name);
        restarts.set(name, (restarts.get(name) ?? 0) + 1);
      }
    } catch (e) {
      log(`agent restart: ${(e as Error).message}`);
    } finally {
      lock.release();
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void tick().finally(() => (busy = false));
  }, periodMs);
  return { restarts, stop: () => clearInterval(timer) };
}
