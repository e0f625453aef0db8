/**
 * A container with a command: a real process inside the pod's network namespace, supervised
 * like kubelet does (restartPolicy, exponential backoff). Each run is its own process group so
 * a stop kills everything the command started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type { ContainerSpec, ContainerStatus, PodSpec } from './protocol.js';
import { containerArgv } from './protocol.js';
import { recordRunStart } from './log-runs.js';
import { ContainerStdin, stdinPath } from './stdin.js';
import { baseEnv, containerLogPath, STATE_DIR_ENV } from './paths.js';
import { forgetPid, recordPid, signalGroup } from './pidfiles.js';
import { containerArgvSandboxed, launcherMissing, ttyCommand, newAgentLayer, removeLayer, sandboxInitPid } from './sandbox.js';
import { refusal, resolveSecurity, type ContainerSecurity } from './security.js';
import { exitCodeOf, nextFailureCount, restartDelayMs, shouldRestart } from './restart.js';
import { ContainerHealthChecker, type HealthCheckRunner } from './health/checker.js';
import { noteLogLine } from '../../servers/workload/response.js';

const STOP_GRACE_MS = 2_000;

/**
 * Benchmark baseline only (`bench/agent-memory.ts --command`, agent flag
 * --unsandboxed-baseline, which podnet itself never passes): command containers start as they
 * did before the sandbox, `ip netns exec NETNS COMMAND`, so the sandbox's cost can be measured
 * in the same run.
 */
let unsandboxedBaseline = false;
export function useUnsandboxedBaseline(): void {
  unsandboxedBaseline = true;
}

export class CommandContainer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private state: ContainerStatus['state'] = 'waiting';
  private startedAt: string | undefined;
  private restarts = 0;
  private failures = 0;
  private exitCode: number | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Runs whose end was handled (a failed spawn may report both 'error' and 'exit'). */
  private readonly ended = new WeakSet<ChildProcess>();
  private readonly health: ContainerHealthChecker;
  readonly security: ContainerSecurity;
  /** Why the container may not start (kubelet's CreateContainerConfigError), if it may not. */
  private refused: string | undefined;
  private lastTermination: ContainerStatus['lastTermination'];
  private readonly probeKills: NonNullable<ContainerStatus['probeKills']> = {};
  /** spec.stdin: the buffer every run reads (stdin.ts); made at the first run. */
  private stdin: ContainerStdin | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly netns: string,
    private readonly pod: PodSpec,
    readonly spec: ContainerSpec,
    private readonly log: (line: string) => void,
    runner: HealthCheckRunner,
  ) {
    this.health = new ContainerHealthChecker(spec, runner, { kill: (reason, role) => this.killForHealthCheck(reason, role), note: (text) => this.note(text) });
    this.security = spec.security ?? resolveSecurity(undefined, undefined);
  }

  /**
   * Starts the first run; resolves once the process exists (or could not be started). A container
   * its securityContext forbids never starts: the problem is returned and logged, it stays waiting.
   */
  async start(): Promise<string | undefined> {
    this.refused = refusal(this.security, `${this.pod.name}_${this.pod.namespace}`, this.spec.name, this.pod.netns === null);
    if (this.refused !== undefined) {
      this.stopping = true;
      this.note(`Error: ${this.refused}`);
      this.log(`${this.pod.key}/${this.spec.name}: CreateContainerConfigError: ${this.refused}`);
      return `${this.spec.name}: ${this.refused}`;
    }
    await this.launch();
    return undefined;
  }

  /** PID 1 of the running container's namespaces (for exec), if it runs. */
  sandboxPid(): number | undefined {
    const pid = this.child?.pid;
    return this.state === 'running' && pid !== undefined ? sandboxInitPid(pid) : undefined;
  }

  status(): ContainerStatus {
    const running = this.state === 'running';
    const s: ContainerStatus = {
      name: this.spec.name,
      kind: 'command',
      state: this.state,
      restarts: this.restarts,
      ready: running && this.health.ready(),
      started: running && this.health.started(),
      ...(running && this.startedAt ? { startedAt: this.startedAt } : {}),
    };
    if (this.state === 'running' && this.child?.pid !== undefined) s.pid = this.child.pid;
    if (this.state !== 'running' && this.exitCode !== undefined) s.exitCode = this.exitCode;
    if (this.refused !== undefined) s.message = this.refused;
    if (this.lastTermination !== undefined) s.lastTermination = this.lastTermination;
    if (Object.keys(this.probeKills).length > 0) s.probeKills = { ...this.probeKills };
    return s;
  }

  /**
   * Stops for good: no more restarts; SIGTERM to the group, SIGKILL after the grace period (a
   * pod's terminationGracePeriodSeconds when it is deleted gracefully). Its readiness probe runs
   * on until the process is gone, as kubelet's does for a terminating pod (the endpoint stays
   * serving while it is ready); liveness and startup kills no longer happen.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    const pid = child?.pid;
    // Not `state === 'running'`: a restarted run is 'waiting' until its spawn event arrives.
    if (child === undefined || pid === undefined || this.ended.has(child)) {
      this.health.close();
      this.state = 'exited';
      this.stdin?.close();
      return;
    }
    signalGroup(pid, 'SIGTERM');
    // setTimeout's longest delay is 2^31-1 ms (24.8 days).
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), Math.min(graceMs, 2 ** 31 - 1));
    await this.exited;
    clearTimeout(timer);
    this.health.close();
    this.stdin?.close();
  }

  /** SIGKILL to the running process group now (a stop under way then ends at once). */
  kill(): void {
    const child = this.child;
    if (child?.pid !== undefined && !this.ended.has(child)) signalGroup(child.pid, 'SIGKILL');
  }

  /** One run, with a fresh writable layer (the launcher mounts it inside the container only). */
  private async launch(): Promise<void> {
    if (this.stopping) {
      this.state = 'exited';
      return;
    }
    const layer = unsandboxedBaseline ? undefined : newAgentLayer(this.stateDir, `${this.pod.namespace}_${this.pod.name}_${this.spec.name}`);
    return this.spawnRun(layer);
  }

  private spawnRun(layer: string | undefined): Promise<void> {
    const logPath = containerLogPath(this.stateDir, this.pod.namespace, this.pod.name, this.spec.name);
    let fd: number;
    try {
      fd = fs.openSync(logPath, 'a');
    } catch (err) {
      this.log(`${this.pod.key}/${this.spec.name}: cannot open log ${logPath}: ${(err as Error).message}`);
      fd = fs.openSync('/dev/null', 'a');
    }
    recordRunStart(logPath);
    const env = {
      ...baseEnv(this.stateDir),
      HOSTNAME: this.pod.name,
      ...this.spec.env,
      [STATE_DIR_ENV]: baseEnv(this.stateDir)[STATE_DIR_ENV], // not overridable: cleanup relies on it
    };
    if (this.spec.stdin && !this.stdin) this.stdin = new ContainerStdin(stdinPath(this.stateDir, this.pod.namespace, this.pod.name, this.spec.name), this.spec.stdin, this.spec.tty === true);
    const input = this.stdin?.forRun() ?? 'ignore';
    const sizes = this.stdin?.sizesForRun();
    // The PID we get is the launcher's: its process group holds the whole container.
    const [file, ...args] = this.argv(layer);
    const child = spawn(file!, args, {
      detached: true,
      stdio: sizes === undefined ? [input, fd, fd] : [input, fd, fd, sizes],
      env,
      cwd: '/',
    });
    fs.closeSync(fd);
    if (typeof input === 'number') fs.closeSync(input);
    if (sizes !== undefined) fs.closeSync(sizes);
    this.child = child;
    const startedAt = Date.now();
    if (child.pid !== undefined) recordPid(this.stateDir, child.pid);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (layer !== undefined) removeLayer(layer);
        this.onExit(child, exitCodeOf(code, signal ? os.constants.signals[signal] : undefined), startedAt);
        resolve();
      });
    });
    return new Promise<void>((resolve) => {
      child.once('spawn', () => {
        this.state = 'running';
        this.startedAt = new Date().toISOString();
        this.health.containerStarted();
        resolve();
      });
      child.once('error', (err) => {
        // The process never ran (e.g. no `ip`): no 'exit' will follow.
        if (layer !== undefined) removeLayer(layer);
        const why = (layer !== undefined ? launcherMissing() : undefined) ?? err.message;
        this.log(`${this.pod.key}/${this.spec.name}: cannot start: ${why}`);
        this.onExit(child, 127, startedAt);
        resolve();
      });
    });
  }

  /**
   * The command in its sandbox (sandbox-argv.ts), which shows the pod's resolv.conf as
   * /etc/resolv.conf (checked at each run: the file comes with the pod).
   */
  private argv(layer: string | undefined): string[] {
    if (layer === undefined) return ['ip', 'netns', 'exec', this.netns, ...containerArgv(this.spec)];
    // tty: the command on a pseudo-terminal of its own, as `kubectl exec -t` runs one (native/pty.c).
    const command = this.spec.tty ? ttyCommand(containerArgv(this.spec)) : containerArgv(this.spec);
    return containerArgvSandboxed(this.stateDir, this.netns, this.pod, this.spec, this.security, command, layer);
  }

  /**
   * A liveness or startup probe failed: "the kubelet kills the container, and the container is
   * subjected to its restart policy" — SIGTERM to the group, SIGKILL after the grace period; the
   * exit that follows goes through onExit like any other (a restart counts in `restarts`).
   */
  private killForHealthCheck(reason: string, role: 'liveness' | 'startup'): void {
    const child = this.child;
    const pid = child?.pid;
    if (this.stopping || child === undefined || pid === undefined || this.ended.has(child)) return;
    const now = new Date().toISOString();
    const seen = this.probeKills[role];
    this.probeKills[role] = { count: (seen?.count ?? 0) + 1, first: seen?.first ?? now, last: now };
    this.note(`${reason}: killing the container`);
    this.log(`${this.pod.key}/${this.spec.name}: ${reason}, killing it`);
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => clearTimeout(timer));
  }

  /** A line in the container's log, as kubelet's events about it would say. */
  private note(text: string): void {
    const logPath = containerLogPath(this.stateDir, this.pod.namespace, this.pod.name, this.spec.name);
    fs.appendFile(logPath, noteLogLine(new Date(), text), () => {});
  }

  private onExit(child: ChildProcess, exitCode: number, startedAt: number): void {
    if (this.ended.has(child)) return;
    this.ended.add(child);
    if (child.pid !== undefined) {
      forgetPid(this.stateDir, child.pid);
      signalGroup(child.pid, 'SIGKILL'); // whatever the command left behind in its group
    }
    if (child !== this.child) return;
    this.health.containerStopped();
    this.exitCode = exitCode;
    const who = `${this.pod.key}/${this.spec.name}`;
    if (this.stopping || !shouldRestart(this.pod.restartPolicy, exitCode)) {
      this.state = 'exited';
      this.log(`${who}: exited with code ${exitCode}${this.stopping ? ' (stopped)' : ''}`);
      return;
    }
    // The run that ended is the restarted container's lastState.terminated.
    this.lastTermination = { exitCode, ...(this.startedAt !== undefined ? { startedAt: this.startedAt } : {}), finishedAt: new Date().toISOString() };
    this.failures = nextFailureCount(this.failures, Date.now() - startedAt);
    const delay = restartDelayMs(this.failures);
    this.state = 'waiting';
    this.log(`${who}: exited with code ${exitCode}, restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      void this.launch();
    }, delay);
  }
}
