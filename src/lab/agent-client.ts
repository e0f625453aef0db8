/** Starting node agents and talking to them over their Unix control sockets (JSON lines). */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentRequest } from './agent/client.js';
import { pidFilePath, socketPath } from './agent/paths.js';
import type { AgentReply, AgentRequest } from './agent/protocol.js';

export type { PodSpec as AgentPodSpec, PodStatus as AgentPodStatus } from './agent/protocol.js';

/** The agent's entry point: dist/lab/agent/main.js, or the .ts source when running under tsx. */
function agentEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  // tsx by its resolved URL: the caller's working directory (the monitor's) may not find it by name.
  const tsx = ts && typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx') : 'tsx';
  return { script: join(dirname(here), 'agent', ts ? 'main.ts' : 'main.js'), execArgv: ts ? ['--import', tsx] : [] };
}

/** Starts a detached agent for a node and waits until its socket answers. */
export async function startAgent(stateDir: string, node: string, nodeNetns: string): Promise<void> {
  mkdirSync(join(stateDir, 'agents'), { recursive: true });
  const { script, execArgv } = agentEntry();
  const log = openSync(join(stateDir, 'agents', `${node}.log`), 'a');
  const child = spawn(process.execPath, [ ...execArgv, script, '--state-dir', stateDir, '--node', node, '--node-netns', nodeNetns], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PODNET_STATE_DIR: stateDir },
  });
  child.unref();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (existsSync(socketPath(stateDir, node))) {
      try {
        await request(stateDir, node, { op: 'status' }, 2_000);
        return;
      } catch {
        /* not listening yet */
      }
    }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error(`agent for node ${node} did not start; see ${join(stateDir, 'agents', `${node}.log`)}`);
}

/** One request to a node's agent. */
export function request(stateDir: string, node: string, message: AgentRequest, timeoutMs = 60_000): Promise<AgentReply> {
  return agentRequest(socketPath(stateDir, node), message, timeoutMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
