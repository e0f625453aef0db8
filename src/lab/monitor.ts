/**
 * Starting the lab's monitor process (src/monitor/main.ts: flows collector and /metrics) in the
 * root namespace, at `up` and again on apply if it died. Its PID is recorded under pids/ and it
 * carries the lab's PODNET_STATE_DIR, so `podnet down` ends it — and the `nft monitor trace`
 * listeners it runs in the node namespaces — like every other process of the lab.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, startedFor } from './agent/cleanup.js';
import { baseEnv, pidsDir } from './agent/paths.js';
import { recordPid } from './agent/pidfiles.js';
import { programCommand } from './program.js';
import { labDir, saveState, type LabState } from './state.js';

const START_TIMEOUT_MS = 15_000;

export const monitorPortFile = (stateDir: string): string => join(stateDir, 'monitor.port');
export const monitorLog = (stateDir: string): string => join(stateDir, 'monitor.log');

/** Makes sure the monitor runs; records its PID and port in the state. */
export async function ensureMonitor(state: LabState): Promise<void> {
  const dir = labDir(state.config.name);
  const m = state.monitor;
  if (m && isAlive(m.pid) && startedFor(m.pid, dir)) return;
  state.monitor = await startMonitor(dir);
  saveState(state);
}

async function startMonitor(dir: string): Promise<{ pid: number; port: number }> {
  mkdirSync(pidsDir(dir), { recursive: true });
  const portFile = monitorPortFile(dir);
  rmSync(portFile, { force: true });
  const log = openSync(monitorLog(dir), 'a');
  const [cmd, ...args] = programCommand('monitor/main');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env: baseEnv(dir), cwd: '/' });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`the lab monitor did not start; see ${monitorLog(dir)}`);
  recordPid(dir, child.pid);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (existsSync(portFile)) return { pid: child.pid, port: Number(readFileSync(portFile, 'utf8').trim()) };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the lab monitor did not start; see ${monitorLog(dir)}`);
}
