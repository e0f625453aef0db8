import { describe, expect, it } from 'vitest';
import type { AgentPodStatus } from '../../src/lab/agent-client.js';
import { appliedRecord, conditionsLookup, endpointConditions, endpointStatusOf, recordedEndpoints, sameConditions } from '../../src/lab/readiness.js';

type State = 'running' | 'exited' | 'waiting';
const status = (key: string, ready: boolean, ...states: State[]): AgentPodStatus => ({
  key,
  ready,
  containers: states.map((state, i) => ({ name: `c${i}`, kind: 'command', state, restarts: 0, ready: ready && state === 'running', started: state === 'running', ...(state === 'exited' ? { exitCode: 0 } : {}) })),
});

describe('endpointStatusOf', () => {
  it.each<[string, AgentPodStatus | undefined, string]>([
    ['no status (agent down)', undefined, 'notReady'],
    ['every container running and ready', status('a/p', true, 'running', 'running'), 'ready'],
    ['running but not ready (a probe failing)', status('a/p', false, 'running'), 'notReady'],
    ['one container exited, one running', status('a/p', false, 'exited', 'running'), 'notReady'],
    ['a restart pending (waiting)', status('a/p', false, 'waiting'), 'notReady'],
    ['exited and waiting: not all done', status('a/p', false, 'exited', 'waiting'), 'notReady'],
    ['every container exited for good', status('a/p', false, 'exited', 'exited'), 'terminal'],
    ['no containers reported', status('a/p', false), 'notReady'],
  ])('%s', (_name, s, want) => {
    expect(endpointStatusOf(s)).toBe(want);
  });
});

describe('endpointConditions', () => {
  const statuses = new Map([status('d/a', true, 'running'), status('d/b', false, 'exited'), status('d/c', false, 'waiting'), status('d/z', true, 'running')].map((s) => [s.key, s]));

  it('sorts placed pods into ready and terminal; the rest (and unplaced ones) are not listed', () => {
    expect(endpointConditions(['d/c', 'd/b', 'd/a', 'd/x'], statuses)).toEqual({ ready: ['d/a'], terminal: ['d/b'] });
  });

  it('looks up what it recorded', () => {
    const look = conditionsLookup(endpointConditions(['d/a', 'd/b', 'd/c'], statuses));
    expect(['d/a', 'd/b', 'd/c', 'd/unknown'].map(look)).toEqual(['ready', 'terminal', 'notReady', 'notReady']);
  });

  it('compares level to level', () => {
    const c = { ready: ['d/a'], terminal: ['d/b'] };
    expect(sameConditions(undefined, c)).toBe(false);
    expect(sameConditions({ ready: ['d/a'], terminal: ['d/b'] }, c)).toBe(true);
    expect(sameConditions({ ready: ['d/a'], terminal: [] }, c)).toBe(false);
    expect(sameConditions({ ready: ['d/b'], terminal: ['d/b'] }, c)).toBe(false);
  });

  it('counts syncs in the record', () => {
    const first = appliedRecord({ ready: [], terminal: [] }, undefined, 'reconcile');
    expect(appliedRecord({ ready: ['d/a'], terminal: [] }, first, 'controller')).toMatchObject({ ready: ['d/a'], syncs: 2, by: 'controller' });
  });
});

describe('recordedEndpoints', () => {
  const placements = [{ key: 'd/a' }, { key: 'd/b' }] as never[];
  it('is what the last sync recorded, else every placed pod ready', () => {
    const recorded = recordedEndpoints({ placements, endpoints: { ready: ['d/a'], terminal: ['d/b'], at: '', syncs: 1, by: 'controller' } });
    expect(['d/a', 'd/b', 'd/c'].map(recorded)).toEqual(['ready', 'terminal', 'notReady']);
    expect(['d/a', 'd/b', 'd/c'].map(recordedEndpoints({ placements }))).toEqual(['ready', 'ready', 'notReady']);
  });
});
