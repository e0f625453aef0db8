/**
 * The probe state machine (pure, time injected): initial delay, period, thresholds, startup
 * gating, kills, and runs that reset everything.
 */
import { describe, expect, it } from 'vitest';
import { ProbeStates } from '../../src/lab/agent/probe-state.js';
import type { Probe } from '../../src/model/types.js';

function probe(over: Partial<Probe> = {}): Probe {
  return { handler: { kind: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...over };
}

describe('readiness', () => {
  it('no readiness probe: ready as soon as the container started', () => {
    const s = new ProbeStates({});
    expect(s.ready()).toBe(false); // never started
    s.start(0);
    expect(s.ready()).toBe(true);
    expect(s.due(0)).toEqual([]);
    expect(s.nextDue()).toBeUndefined();
  });

  it('not ready before initialDelaySeconds (nothing is due), ready after successThreshold successes in a row', () => {
    const s = new ProbeStates({ readiness: probe({ initialDelaySeconds: 5, successThreshold: 2 }) });
    const run = s.start(1000);
    expect(s.ready()).toBe(false);
    expect(s.due(5999)).toEqual([]);
    expect(s.nextDue()).toBe(6000);
    expect(s.due(6000)).toEqual(['readiness']);
    s.record('readiness', run, true, 6000);
    expect(s.ready()).toBe(false); // 1 of 2
    expect(s.due(6500)).toEqual([]);
    expect(s.nextDue()).toBe(7000); // periodSeconds after the probe began
    s.record('readiness', run, false, 7000);
    s.record('readiness', run, true, 8000);
    expect(s.ready()).toBe(false); // the failure broke the streak
    s.record('readiness', run, true, 9000);
    expect(s.ready()).toBe(true);
  });

  it('ready until failureThreshold failures in a row; a readiness failure never kills', () => {
    const s = new ProbeStates({ readiness: probe({ failureThreshold: 2 }) });
    const run = s.start(0);
    s.record('readiness', run, true, 0);
    expect(s.record('readiness', run, false, 1000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(true);
    s.record('readiness', run, true, 2000);
    s.record('readiness', run, false, 3000);
    expect(s.ready()).toBe(true);
    expect(s.record('readiness', run, false, 4000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(false);
    expect(s.due(5000)).toEqual(['readiness']); // it keeps probing
  });
});

describe('liveness', () => {
  it('starts as Success; failureThreshold failures in a row ask for a kill, then nothing runs until a restart', () => {
    const s = new ProbeStates({ liveness: probe({ failureThreshold: 3 }) });
    const run = s.start(0);
    expect(s.ready()).toBe(true); // liveness does not gate readiness
    expect(s.record('liveness', run, false, 0)).toEqual({ kind: 'none' });
    expect(s.record('liveness', run, true, 1000)).toEqual({ kind: 'none' });
    expect(s.record('liveness', run, false, 2000)).toEqual({ kind: 'none' });
    expect(s.record('liveness', run, false, 3000)).toEqual({ kind: 'none' });
    expect(s.record('liveness', run, false, 4000)).toEqual({ kind: 'kill', role: 'liveness', reason: 'liveness probe failed 3 times in a row' });
    expect(s.due(10_000)).toEqual([]);
    const run2 = s.start(10_000);
    expect(run2).toBe(run + 1);
    expect(s.due(10_000)).toEqual(['liveness']);
    // A result from the killed run is ignored.
    expect(s.record('liveness', run, false, 10_000)).toEqual({ kind: 'none' });
    expect(s.nextDue()).toBe(10_000);
  });
});

describe('startup gating', () => {
  it('only the startup probe runs until it succeeds; then liveness and readiness, each from its own schedule', () => {
    const s = new ProbeStates({ startup: probe(), liveness: probe(), readiness: probe({ initialDelaySeconds: 2 }) });
    const run = s.start(0);
    expect(s.started()).toBe(false);
    expect(s.due(5000)).toEqual(['startup']);
    s.record('startup', run, false, 0);
    expect(s.ready()).toBe(false);
    s.record('startup', run, true, 1000);
    expect(s.started()).toBe(true);
    expect(s.due(1000)).toEqual(['liveness']);
    expect(s.due(2000)).toEqual(['liveness', 'readiness']);
    expect(s.ready()).toBe(false); // readiness has not succeeded yet
    s.record('readiness', run, true, 2000);
    expect(s.ready()).toBe(true);
    expect(s.due(99_000)).not.toContain('startup'); // it never runs again in this run
  });

  it('startup failing failureThreshold times asks for a kill', () => {
    const s = new ProbeStates({ startup: probe({ failureThreshold: 2 }), readiness: probe() });
    const run = s.start(0);
    s.record('startup', run, false, 0);
    expect(s.record('startup', run, false, 1000)).toEqual({ kind: 'kill', role: 'startup', reason: 'startup probe failed 2 times in a row' });
    expect(s.started()).toBe(false);
    s.start(5000);
    expect(s.due(5000)).toEqual(['startup']); // a new run starts over with the startup probe
  });

  it('halt stops probing until the next start', () => {
    const s = new ProbeStates({ readiness: probe() });
    const run = s.start(0);
    s.halt();
    expect(s.due(5000)).toEqual([]);
    expect(s.record('readiness', run, true, 5000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(false);
  });
});
