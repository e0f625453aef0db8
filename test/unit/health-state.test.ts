/**
 * The probe state machine (pure, time injected): initial delay, period, thresholds, startup
 * gating, kills, and runs that reset everything.
 */
import { describe, expect, it } from 'vitest';
import { HealthCheckStates, type HealthCheckAction, type HealthCheckRole } from '../../src/lab/agent/health/state.js';
import { parseRequest } from '../../src/lab/agent/protocol.js';
import type { Probe } from '../../src/model/types.js';

/** One probe of `role` beginning and ending at `at`. */
function step(s: HealthCheckStates, role: HealthCheckRole, run: number, ok: boolean, at: number): HealthCheckAction {
  s.begin(role, at);
  return s.record(role, run, ok);
}

function probe(over: Partial<Probe> = {}): Probe {
  return { handler: { kind: 'exec', command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...over };
}

describe('readiness', () => {
  it('no readiness probe: ready as soon as the container started', () => {
    const s = new HealthCheckStates({});
    expect(s.ready()).toBe(false); // never started
    s.start(0);
    expect(s.ready()).toBe(true);
    expect(s.due(0)).toEqual([]);
    expect(s.nextDue()).toBeUndefined();
  });

  it('not ready before initialDelaySeconds (nothing is due), ready after successThreshold successes in a row', () => {
    const s = new HealthCheckStates({ readiness: probe({ initialDelaySeconds: 5, successThreshold: 2 }) });
    const run = s.start(1000);
    expect(s.ready()).toBe(false);
    expect(s.due(5999)).toEqual([]);
    expect(s.nextDue()).toBe(6000);
    expect(s.due(6000)).toEqual(['readiness']);
    step(s, 'readiness', run, true, 6000);
    expect(s.ready()).toBe(false); // 1 of 2
    expect(s.due(6500)).toEqual([]);
    expect(s.nextDue()).toBe(7000); // periodSeconds after the probe began
    step(s, 'readiness', run, false, 7000);
    step(s, 'readiness', run, true, 8000);
    expect(s.ready()).toBe(false); // the failure broke the streak
    step(s, 'readiness', run, true, 9000);
    expect(s.ready()).toBe(true);
  });

  it('ready until failureThreshold failures in a row; a readiness failure never kills', () => {
    const s = new HealthCheckStates({ readiness: probe({ failureThreshold: 2 }) });
    const run = s.start(0);
    step(s, 'readiness', run, true, 0);
    expect(step(s, 'readiness', run, false, 1000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(true);
    step(s, 'readiness', run, true, 2000);
    step(s, 'readiness', run, false, 3000);
    expect(s.ready()).toBe(true);
    expect(step(s, 'readiness', run, false, 4000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(false);
    expect(s.due(5000)).toEqual(['readiness']); // it keeps probing
  });
});

describe('liveness', () => {
  it('starts as Success; failureThreshold failures in a row ask for a kill, then nothing runs until a restart', () => {
    const s = new HealthCheckStates({ liveness: probe({ failureThreshold: 3 }) });
    const run = s.start(0);
    expect(s.ready()).toBe(true); // liveness does not gate readiness
    expect(step(s, 'liveness', run, false, 0)).toEqual({ kind: 'none' });
    expect(step(s, 'liveness', run, true, 1000)).toEqual({ kind: 'none' });
    expect(step(s, 'liveness', run, false, 2000)).toEqual({ kind: 'none' });
    expect(step(s, 'liveness', run, false, 3000)).toEqual({ kind: 'none' });
    expect(step(s, 'liveness', run, false, 4000)).toEqual({ kind: 'kill', role: 'liveness', reason: 'liveness probe failed 3 times in a row' });
    expect(s.due(10_000)).toEqual([]);
    const run2 = s.start(10_000);
    expect(run2).toBe(run + 1);
    expect(s.due(10_000)).toEqual(['liveness']);
    // A result from the killed run is ignored.
    expect(s.record('liveness', run, false)).toEqual({ kind: 'none' });
    expect(s.nextDue()).toBe(10_000);
  });
});

describe('startup gating', () => {
  it('only the startup probe runs until it succeeds; then liveness and readiness, each from its own schedule', () => {
    const s = new HealthCheckStates({ startup: probe(), liveness: probe(), readiness: probe({ initialDelaySeconds: 2 }) });
    const run = s.start(0);
    expect(s.started()).toBe(false);
    expect(s.due(5000)).toEqual(['startup']);
    step(s, 'startup', run, false, 0);
    expect(s.ready()).toBe(false);
    step(s, 'startup', run, true, 1000);
    expect(s.started()).toBe(true);
    expect(s.due(1000)).toEqual(['liveness']);
    expect(s.due(2000)).toEqual(['liveness', 'readiness']);
    expect(s.ready()).toBe(false); // readiness has not succeeded yet
    step(s, 'readiness', run, true, 2000);
    expect(s.ready()).toBe(true);
    expect(s.due(99_000)).not.toContain('startup'); // it never runs again in this run
  });

  it('startup failing failureThreshold times asks for a kill', () => {
    const s = new HealthCheckStates({ startup: probe({ failureThreshold: 2 }), readiness: probe() });
    const run = s.start(0);
    step(s, 'startup', run, false, 0);
    expect(step(s, 'startup', run, false, 1000)).toEqual({ kind: 'kill', role: 'startup', reason: 'startup probe failed 2 times in a row' });
    expect(s.started()).toBe(false);
    s.start(5000);
    expect(s.due(5000)).toEqual(['startup']); // a new run starts over with the startup probe
  });

  it('halt stops probing until the next start', () => {
    const s = new HealthCheckStates({ readiness: probe() });
    const run = s.start(0);
    s.halt();
    expect(s.due(5000)).toEqual([]);
    expect(step(s, 'readiness', run, true, 5000)).toEqual({ kind: 'none' });
    expect(s.ready()).toBe(false);
  });
});

describe('probes over the control protocol', () => {
  const pod = (container: Record<string, unknown>) =>
    JSON.stringify({ op: 'sync', pods: [{ key: 'a/p', hash: 'h', namespace: 'a', name: 'p', node: 'n', ip: '10.0.0.2', netns: 'x', containers: [{ name: 'c', ports: [], ...container }] }] });

  it('a valid probe travels unchanged', () => {
    const readinessProbe = probe({ handler: { kind: 'httpGet', path: '/h', port: 80, scheme: 'HTTP', headers: [{ name: 'a', value: 'b' }] } });
    const livenessProbe = probe({ handler: { kind: 'grpc', port: 9000, service: 's' } });
    const startupProbe = probe({ handler: { kind: 'tcpSocket', port: 81, host: '10.0.0.3' } });
    const parsed = parseRequest(pod({ readinessProbe, livenessProbe, startupProbe }));
    expect(parsed).toMatchObject({ request: { pods: [{ containers: [{ readinessProbe, livenessProbe, startupProbe }] }] } });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no handler kind', { readinessProbe: { ...probe(), handler: { kind: 'ftp' } } }, 'pods[0].containers[0].readinessProbe.handler.kind: must be httpGet, tcpSocket, exec or grpc'],
    ['period 0', { livenessProbe: probe({ periodSeconds: 0 }) }, 'pods[0].containers[0].livenessProbe.periodSeconds: must be an integer >= 1'],
    ['liveness successThreshold 2', { livenessProbe: probe({ successThreshold: 2 }) }, 'pods[0].containers[0].livenessProbe.successThreshold: must be 1'],
    ['port 0', { startupProbe: probe({ handler: { kind: 'tcpSocket', port: 0 } }) }, 'pods[0].containers[0].startupProbe.handler.port: must be an integer 1-65535'],
    ['empty exec', { readinessProbe: probe({ handler: { kind: 'exec', command: [] } }) }, 'pods[0].containers[0].readinessProbe.handler.command: must be a non-empty array of strings'],
    ['relative http path', { readinessProbe: probe({ handler: { kind: 'httpGet', path: 'x', port: 1, scheme: 'HTTP', headers: [] } }) }, 'pods[0].containers[0].readinessProbe.handler.path: must be a string starting with /'],
  ];
  it.each(bad)('rejects %s', (_name, container, error) => {
    expect(parseRequest(pod(container))).toEqual({ error: `sync: ${error}` });
  });
});
