/** Starting node agents and talking to them over their Unix control sockets (JSON lines). */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PodStatus } from './agent/protocol.js';

export type { PodSpec as AgentPodSpec, PodStatus as AgentPodStatus } from './agent/protocol.js';

export function agentSocket(stateDir: string, node: string): string {
  return join(stateDir, 'agents', `${node}.sock`);
}

export function agentPidFile(stateDir: string, node: string): string {
  return join(stateDir, 'agents', `${node}.pid`);
}

/** The agent's entry point: dist/lab/agent/main.js, or the .ts source when running under tsx. */
function agentEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  return { script: join(dirname(here), 'agent', ts ? 'main.ts' : 'main.js'), execArgv: ts ? ['--import', 'tsx'] : [] };
}

/** Starts a detached agent for a node and waits until its socket answers. */
export async function startAgent(stateDir: string, node: string, nodeNetns: string): Promise<void> {
  mkdirSync(join(stateDir, 'agents'), { recursive: true });
  const { script, execArgv } = agentEntry();
  const log = openSync(join(stateDir, 'agents', `${node}.log`), 'a');
  const child = spawn(process.execPath, [...execArgv, script, '--state-dir', stateDir, '--node', node, '--node-netns', nodeNetns], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, PODNET_STATE_DIR: stateDir },
  });
  child.unref();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (existsSync(agentSocket(stateDir, node))) {
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

export function request<T = { ok: boolean; error?: string; pods?: PodStatus[] }>(stateDir: string, node: string, message: unknown, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const sock = connect(agentSocket(stateDir, node));
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`agent ${node}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(message)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as T);
      } catch (e) {
        reject(e as Error);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export function readAgentPid(stateDir: string, node: string): number | null {
  try {
    const pid = Number(readFileSync(agentPidFile(stateDir, node), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
