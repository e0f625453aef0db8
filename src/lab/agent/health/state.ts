/**
 * The health-check state machine of one container (its kubelet probes), kubelet's semantics,
 * pure (time is passed in).
 *
 * - startupProbe: "If specified, no other probes are executed until this completes successfully.
 *   If this probe fails, the Pod will be restarted, just as if the livenessProbe failed."
 * - livenessProbe: "Container will be restarted if the probe fails" — after failureThreshold
 *   failures in a row. Its result starts as Success.
 * - readinessProbe: "Container will be removed from service endpoints if the probe fails." Its
 *   result starts as Failure, so a container with one is not ready until it succeeded
 *   successThreshold times in a row (and never before initialDelaySeconds: nothing runs then);
 *   once ready it takes failureThreshold failures in a row to become not ready.
 * - initialDelaySeconds: "Number of seconds after the container has started before liveness
 *   probes are initiated" (the same for every probe); then one probe every periodSeconds.
 * Each container (re)start begins a new run: counters and results reset, stale results ignored.
 */
import type { Probe } from '../../../model/types.js';

export type HealthCheckRole = 'startup' | 'liveness' | 'readiness';
export const HEALTH_CHECK_ROLES: readonly HealthCheckRole[] = ['startup', 'liveness', 'readiness'];

export type HealthCheckSpecs = Partial<Record<HealthCheckRole, Probe>>;

/** What the caller must do after a result: nothing, or kill the container (restartPolicy decides the rest). */
export type HealthCheckAction = { kind: 'none' } | { kind: 'kill'; role: 'startup' | 'liveness'; reason: string };

interface RoleState {
  probe: Probe;
  /** Current result: true = Success. */
  result: boolean;
  successes: number;
  failures: number;
  nextAt: number;
}

export class HealthCheckStates {
  private run = 0;
  private roles = new Map<HealthCheckRole, RoleState>();
  private startupDone = true;
  /** Set after a kill: no probe runs until the container starts again. */
  private onHold = true;

  constructor(private readonly specs: HealthCheckSpecs) {}

  /** The container (re)started at `now` (ms); returns the run number results must carry. */
  start(now: number): number {
    this.run++;
    this.onHold = false;
    this.startupDone = this.specs.startup === undefined;
    this.roles = new Map();
    for (const role of HEALTH_CHECK_ROLES) {
      const probe = this.specs[role];
      if (!probe) continue;
      const result = role === 'liveness'; // readiness starts Failure, startup starts "not started"
      this.roles.set(role, { probe, result, successes: 0, failures: 0, nextAt: now + probe.initialDelaySeconds * 1000 });
    }
    return this.run;
  }

  /** The container stopped running: nothing runs until start() again. */
  halt(): void {
    this.onHold = true;
  }

  /** Roles whose probe should run at `now` (startup gates the others). */
  due(now: number): HealthCheckRole[] {
    if (this.onHold) return [];
    const active: HealthCheckRole[] = this.startupDone ? ['liveness', 'readiness'] : ['startup'];
    return active.filter((r) => {
      const s = this.roles.get(r);
      return s !== undefined && now >= s.nextAt;
    });
  }

  /** The earliest time (ms) a probe is due, or undefined when none will run. */
  nextDue(): number | undefined {
    if (this.onHold) return undefined;
    const active: HealthCheckRole[] = this.startupDone ? ['liveness', 'readiness'] : ['startup'];
    const times = active.flatMap((r) => (this.roles.has(r) ? [this.roles.get(r)!.nextAt] : []));
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** A probe of `role` begins at `now`: the next one is due periodSeconds later. */
  begin(role: HealthCheckRole, now: number): void {
    const s = this.roles.get(role);
    if (s) s.nextAt = now + s.probe.periodSeconds * 1000;
  }

  /** A probe of `role` begun in run `run` ended with `ok`. */
  record(role: HealthCheckRole, run: number, ok: boolean): HealthCheckAction {
    const s = this.roles.get(role);
    if (run !== this.run || this.onHold || s === undefined) return { kind: 'none' };
    if (ok) {
      s.successes++;
      s.failures = 0;
      if (s.successes >= s.probe.successThreshold) s.result = true;
    } else {
      s.failures++;
      s.successes = 0;
      if (s.failures >= s.probe.failureThreshold) s.result = false;
    }
    if (role === 'startup' && s.result) this.startupDone = true;
    if ((role === 'startup' || role === 'liveness') && !ok && s.failures >= s.probe.failureThreshold) {
      this.onHold = true;
      return { kind: 'kill', role, reason: `${role} probe failed ${s.failures} times in a row` };
    }
    return { kind: 'none' };
  }

  /** The startup probe succeeded (or there is none) in the current run. */
  started(): boolean {
    return this.run > 0 && this.startupDone;
  }

  /** Ready as far as probes go (the caller also requires the container to be running). */
  ready(): boolean {
    if (!this.started()) return false;
    const r = this.roles.get('readiness');
    return r === undefined || r.result;
  }
}
