/**
 * An exec health check (kubelet's exec probe): `argv` (the command inside the container's
 * sandbox, ../sandbox-argv.ts execArgv)
 * passes when it exits 0 within timeoutSeconds; on timeout its process group is killed.
 */
import { spawn } from 'node:child_process';
import { baseEnv } from '../paths.js';
import { forgetPid, recordPid, signalGroup } from '../pidfiles.js';
import type { HealthCheckResult } from './net-checks.js';

export function runExecCheck(stateDir: string, argv: readonly string[], timeoutMs: number): Promise<HealthCheckResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv(stateDir), cwd: '/', detached: true });
    const pid = child.pid;
    if (pid !== undefined) recordPid(stateDir, pid);
    let output = '';
    const keep = (d: Buffer): void => void (output = (output + d.toString()).slice(-500));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) signalGroup(pid, 'SIGKILL');
    }, timeoutMs);
    const done = (r: HealthCheckResult): void => {
      clearTimeout(timer);
      if (pid !== undefined) forgetPid(stateDir, pid);
      resolve(r);
    };
    child.on('error', (err) => done({ ok: false, message: err.message }));
    child.on('close', (code, signal) => {
      const tail = output.trim() ? `: ${output.trim()}` : '';
      if (timedOut) return done({ ok: false, message: `command timed out after ${timeoutMs} ms` });
      done({ ok: code === 0, message: `exit code ${code ?? signal}${tail}` });
    });
  });
}
