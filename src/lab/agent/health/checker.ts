/**
 * Runs one container's health checks (its kubelet probes) on a timer, driving the pure state
 * machine (state.ts) with results from a HealthCheckRunner. The container tells it when it starts and stops running; it tells
 * the container when a liveness or startup probe asks for a kill.
 */
import type { Probe, ProbeHandler } from '../../../model/types.js';
import type { HealthCheckResult } from './net-checks.js';
import { HealthCheckStates, type HealthCheckRole } from './state.js';

export interface HealthCheckRunner {
  run(handler: ProbeHandler, timeoutMs: number): Promise<HealthCheckResult>;
}

export interface HealthCheckerHooks {
  /** A liveness/startup probe failed failureThreshold times in a row. */
  kill(reason: string, role: 'liveness' | 'startup'): void;
  /** A line for the container's log. */
  note(text: string): void;
  /** Every result of the current run. */
  result?(role: HealthCheckRole, ok: boolean): void;
}

export interface ContainerHealthSpec {
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}

export class ContainerHealthChecker {
  private readonly states: HealthCheckStates;
  private readonly specs: Partial<Record<HealthCheckRole, Probe>>;
  private readonly inFlight = new Set<HealthCheckRole>();
  private timer: NodeJS.Timeout | undefined;
  private run = 0;
  private closed = false;
  /** The last result of each role, to note changes (not every probe) in the container's log. */
  private readonly last = new Map<HealthCheckRole, boolean>();

  constructor(
    spec: ContainerHealthSpec,
    private readonly runner: HealthCheckRunner,
    private readonly hooks: HealthCheckerHooks,
    private readonly now: () => number = Date.now,
  ) {
    this.specs = { readiness: spec.readinessProbe, liveness: spec.livenessProbe, startup: spec.startupProbe };
    for (const r of Object.keys(this.specs) as HealthCheckRole[]) if (!this.specs[r]) delete this.specs[r];
    this.states = new HealthCheckStates(this.specs);
  }

  /** The container (re)started running: a new run of every probe. */
  containerStarted(): void {
    if (this.closed) return;
    this.run = this.states.start(this.now());
    this.last.clear();
    this.schedule();
  }

  /** The container stopped running: probes pause until it starts again. */
  containerStopped(): void {
    this.states.halt();
    clearTimeout(this.timer);
  }

  started(): boolean {
    return this.states.started();
  }

  ready(): boolean {
    return this.states.ready();
  }

  close(): void {
    this.closed = true;
    this.containerStopped();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const next = this.states.nextDue();
    if (next === undefined || this.closed) return;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - this.now()));
    this.timer.unref?.();
  }

  private tick(): void {
    const now = this.now();
    for (const role of this.states.due(now)) {
      if (this.inFlight.has(role)) continue;
      this.states.begin(role, now);
      this.inFlight.add(role);
      const probe = this.specs[role]!;
      const run = this.run;
      void this.runner.run(probe.handler, probe.timeoutSeconds * 1000).then(
        (r) => this.finish(role, run, r),
        (err: Error) => this.finish(role, run, { ok: false, message: err.message }),
      );
    }
    this.schedule();
  }

  private finish(role: HealthCheckRole, run: number, r: HealthCheckResult): void {
    this.inFlight.delete(role);
    if (this.closed || run !== this.run) return;
    if (this.last.get(role) !== r.ok) this.hooks.note(`${role} probe ${r.ok ? 'succeeded' : 'failed'}: ${r.message}`);
    this.last.set(role, r.ok);
    this.hooks.result?.(role, r.ok);
    const action = this.states.record(role, run, r.ok);
    if (action.kind === 'kill') this.hooks.kill(action.reason, action.role);
    this.schedule();
  }
}
