/**
 * Recording child PIDs on disk (DIR/pids/<pid>) so that `podnet down` can kill them even when
 * the agent itself died without cleaning up. Errors are ignored: a missing record only means
 * cleanup falls back to the agent's own bookkeeping.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pidsDir } from './paths.js';

export function recordPid(stateDir: string, pid: number): void {
  try {
    // A new file, never through a symlink (O_EXCL|O_NOFOLLOW); a PID reused while its record stays is kept.
    fs.closeSync(fs.openSync(path.join(pidsDir(stateDir), String(pid)), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600));
  } catch {
    /* see above */
  }
}

export function forgetPid(stateDir: string, pid: number): void {
  fs.rmSync(path.join(pidsDir(stateDir), String(pid)), { force: true });
}

/** Sends a signal to a process group (or the process when it leads none), ignoring ESRCH. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}
