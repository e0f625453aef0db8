/**
 * Killing what the agents left behind: every child PID recorded under DIR/pids whose process
 * still exists and carries PODNET_STATE_DIR=DIR in its environment (so a recycled PID belonging
 * to someone else is never killed). Used by `podnet down`, also after an agent was SIGKILLed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pidsDir, STATE_DIR_ENV } from './paths.js';
import { signalGroup } from './pidfiles.js';

export interface KillOptions {
  /** How long processes get after SIGTERM before SIGKILL (default 2000 ms). */
  graceMs?: number;
}

/**
 * Kills recorded leftovers (their whole process groups) and removes the records; returns how
 * many processes it signalled. Synchronous (it sleeps while waiting for SIGTERM to work), so
 * teardown code can call it without caring about ordering.
 */
export function killRecordedProcesses(stateDir: string, options: KillOptions = {}): number {
  const dir = pidsDir(stateDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const marker = `${STATE_DIR_ENV}=${path.resolve(stateDir)}`;
  const targets: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (/^[1-9]\d*$/.test(name) && pid !== process.pid && isAlive(pid) && belongsTo(pid, marker)) targets.push(pid);
    else fs.rmSync(path.join(dir, name), { force: true });
  }
  for (const pid of targets) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? 2_000);
  while (targets.some(isAlive) && Date.now() < deadline) sleepSync(50);
  for (const pid of targets) {
    if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
    fs.rmSync(path.join(dir, String(pid)), { force: true });
  }
  return targets.length;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": the state follows the last ')' (comm may contain parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function belongsTo(pid: number, marker: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

/** The process was started for the lab whose state directory is `stateDir`. */
export function startedFor(pid: number, stateDir: string): boolean {
  return belongsTo(pid, `${STATE_DIR_ENV}=${path.resolve(stateDir)}`);
}
