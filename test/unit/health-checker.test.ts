/**
 * The probe driver on fake timers with a scripted runner: when probes run, that a slow probe is
 * never run twice at once, that results of a finished run are ignored, that a kill is asked for
 * once, and that changes (not every result) are noted.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContainerHealthChecker, type HealthCheckRunner } from '../../src/lab/agent/health/checker.js';
import type { Probe, ProbeHandler } from '../../src/model/types.js';
import type { HealthCheckResult } from '../../src/lab/agent/health/net-checks.js';

const probe = (over: Partial<Probe> = {}): Probe => ({
  handler: { kind: 'tcpSocket', port: 80 }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 2, ...over,
});

/** A runner whose every call waits until the test answers it. */
function scripted(): { runner: HealthCheckRunner; calls: { handler: ProbeHandler; answer: (r: HealthCheckResult) => void }[] } {
  const calls: { handler: ProbeHandler; answer: (r: HealthCheckResult) => void }[] = [];
  return { calls, runner: { run: (handler) => new Promise((answer) => calls.push({ handler, answer })) } };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('ContainerHealthChecker', () => {
  it('first probe after initialDelaySeconds, then every periodSeconds; a slow probe is not started twice', async () => {
    const { runner, calls } = scripted();
    const p = new ContainerHealthChecker({ readinessProbe: probe({ initialDelaySeconds: 2 }) }, runner, { kill: () => {}, note: () => {} });
    p.containerStarted();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_000); // still in flight: no second probe
    expect(calls).toHaveLength(1);
    calls[0]!.answer({ ok: true, message: 'ok' });
    await vi.advanceTimersByTimeAsync(0);
    expect(p.ready()).toBe(true);
    expect(calls).toHaveLength(2); // overdue: runs at once
    await vi.advanceTimersByTimeAsync(999);
    calls[1]!.answer({ ok: true, message: 'ok' });
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(3);
    p.close();
  });

  it('liveness failing failureThreshold times asks for one kill; a result from before a restart is ignored', async () => {
    const { runner, calls } = scripted();
    const kills: string[] = [];
    const notes: string[] = [];
    const p = new ContainerHealthChecker({ livenessProbe: probe() }, runner, { kill: (r) => kills.push(r), note: (t) => notes.push(t) });
    p.containerStarted();
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.answer({ ok: false, message: 'refused' });
    await vi.advanceTimersByTimeAsync(1_000);
    calls[1]!.answer({ ok: false, message: 'refused' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(kills).toEqual(['liveness probe failed 2 times in a row']);
    expect(calls).toHaveLength(2); // on hold until the container starts again
    expect(notes).toEqual(['liveness probe failed: refused']); // the second failure changed nothing
    p.containerStopped();
    p.containerStarted();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(3);
    calls[2]!.answer({ ok: true, message: 'ok' });
    await vi.advanceTimersByTimeAsync(0);
    expect(notes.at(-1)).toBe('liveness probe succeeded: ok');
    p.close();
  });

  it('a stopped container is not probed; a late answer from its run changes nothing', async () => {
    const { runner, calls } = scripted();
    const p = new ContainerHealthChecker({ readinessProbe: probe() }, runner, { kill: () => {}, note: () => {} });
    p.containerStarted();
    await vi.advanceTimersByTimeAsync(0);
    p.containerStopped();
    calls[0]!.answer({ ok: true, message: 'ok' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    expect(p.ready()).toBe(false);
  });
});
