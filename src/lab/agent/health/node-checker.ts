/**
 * The agent's side of helper.ts: network health checks (kubelet's httpGet/tcpSocket/grpc probes)
 * sent to the node's helper child (started on first use, started again after it died) instead of
 * a process per check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnv } from '../paths.js';
import { forgetPid, recordPid } from '../pidfiles.js';
import type { NetHandler, HealthCheckResult } from './net-checks.js';

/** Extra time the helper gets beyond a check's own timeout before the agent gives up on it. */
const ANSWER_GRACE_MS = 2_000;
/** A helper that died is not started again sooner than this (e.g. the node namespace is gone). */
const RESPAWN_AFTER_MS = 1_000;

/** helper.ts beside this file: helper.js in dist/, helper.ts when run from the sources with tsx. */
function helperScript(): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `helper${path.extname(self)}`);
}

export class NodeHealthChecker {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: HealthCheckResult) => void>();
  private closed = false;
  private lastExit = 0;

  constructor(
    private readonly stateDir: string,
    private readonly nodeNetns: string,
    private readonly log: (line: string) => void,
  ) {}

  check(handler: NetHandler, host: string, timeoutMs: number): Promise<HealthCheckResult> {
    if (this.closed) return Promise.resolve({ ok: false, message: 'agent is shutting down' });
    if (!this.child && Date.now() - this.lastExit < RESPAWN_AFTER_MS) return Promise.resolve({ ok: false, message: 'probe helper exited; starting it again shortly' });
    const child = this.helper();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer({ ok: false, message: `probe helper gave no answer in ${timeoutMs + ANSWER_GRACE_MS} ms` }), timeoutMs + ANSWER_GRACE_MS);
      const answer = (r: HealthCheckResult): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(r);
      };
      this.pending.set(id, answer);
      child.send({ id, handler, host, timeoutMs }, (err) => {
        if (err) answer({ ok: false, message: `probe helper: ${err.message}` });
      });
    });
  }

  close(): void {
    this.closed = true;
    if (this.child?.connected) this.child.disconnect();
    this.failAll('agent is shutting down');
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    const argv = ['netns', 'exec', this.nodeNetns, process.execPath, ...process.execArgv, helperScript()];
    const child = spawn('ip', argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: baseEnv(this.stateDir) });
    this.child = child;
    if (child.pid !== undefined) recordPid(this.stateDir, child.pid);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('message', (msg: { id: number } & HealthCheckResult) => this.pending.get(msg.id)?.({ ok: msg.ok, message: msg.message }));
    child.on('error', (err) => this.log(`probe helper for ${this.nodeNetns}: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) forgetPid(this.stateDir, child.pid);
      if (this.child === child) this.child = undefined;
      this.lastExit = Date.now();
      if (!this.closed) this.log(`probe helper for ${this.nodeNetns} exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      this.failAll('probe helper exited');
    });
    return child;
  }

  private failAll(message: string): void {
    for (const answer of [...this.pending.values()]) answer({ ok: false, message });
  }
}
