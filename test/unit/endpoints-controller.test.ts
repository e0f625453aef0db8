import { describe, expect, it } from 'vitest';
import { controllerTick, notReadyNodes, pendingConditions, startEndpointsController, terminationsToFinish, type ControllerDeps } from '../../src/controller/endpoints.js';
import type { AgentPodStatus } from '../../src/lab/agent-client.js';
import type { EndpointConditions } from '../../src/model/endpoints.js';
import type { LabState } from '../../src/lab/state.js';

const running = (key: string, ready = true): AgentPodStatus => ({ key, ready, containers: [{ name: 'c', kind: 'command', state: 'running', restarts: 0, ready, started: true }] });
const exited = (key: string): AgentPodStatus => ({ key, ready: false, containers: [{ name: 'c', kind: 'command', state: 'exited', restarts: 0, exitCode: 0, ready: false, started: false }] });

function lab(keys: string[], applied: EndpointConditions | undefined, phase: LabState['phase'] = 'ready'): LabState {
  const placements = keys.map((key) => ({ key, node: 'n1', ip: '10.244.0.2', netns: 'ns', hostVeth: 'veth', mac: '02:00:00:00:00:01' }));
  return { version: 1, phase, createdAt: '', nodes: [], objects: [], placements, config: {} as LabState['config'], ...(applied ? { endpoints: { ...applied, at: '', syncs: 1, by: 'reconcile' as const } } : {}) } as LabState;
}

/** Deps over a mutable world; records locks taken, released and syncs applied. */
function world(state: LabState | null, statuses: AgentPodStatus[] | null, lockFree = true) {
  const w = {
    state,
    statuses: statuses && new Map(statuses.map((s) => [s.key, s])),
    locks: 0,
    released: 0,
    applied: [] as EndpointConditions[],
    finished: 0,
    failApply: false,
  };
  const deps: ControllerDeps = {
    readState: () => w.state && structuredClone(w.state),
    statuses: async () => w.statuses,
    tryLock: () => {
      if (!lockFree) return null;
      w.locks++;
      return { release: () => void w.released++ };
    },
    apply: async (s, c) => {
      if (w.failApply) throw new Error('nft refused');
      w.applied.push(c);
      w.state = { ...s, endpoints: { ...c, at: 'now', syncs: (s.endpoints?.syncs ?? 0) + 1, by: 'controller' } };
    },
    finish: async (s) => {
      w.finished++;
      // As a reconcile does: the terminating pods gone, the endpoints recorded without them.
      const gone = new Set((s.terminating ?? []).map((t) => t.placement.key));
      const e = s.endpoints!;
      w.state = { ...s, terminating: undefined, endpoints: { ...e, ready: e.ready.filter((k) => !gone.has(k)), terminal: e.terminal.filter((k) => !gone.has(k)) } };
    },
  };
  return { w, deps };
}

describe('pendingConditions', () => {
  it('is null when the rules reflect the pods, else the full desired conditions', () => {
    const s = lab(['d/a', 'd/b'], { ready: ['d/a', 'd/b'], terminal: [] });
    expect(pendingConditions(s, new Map([['d/a', running('d/a')], ['d/b', running('d/b')]]))).toBeNull();
    expect(pendingConditions(s, new Map([['d/a', running('d/a')], ['d/b', exited('d/b')]]))).toEqual({ ready: ['d/a'], terminal: ['d/b'] });
    expect(pendingConditions(s, new Map([['d/a', running('d/a', false)]]))).toEqual({ ready: [], terminal: [] });
  });
});

describe('controllerTick', () => {
  const applied = { ready: ['d/a', 'd/b'], terminal: [] };
  it.each<[string, LabState | null, AgentPodStatus[] | null, boolean, string, number]>([
    ['nothing changed', lab(['d/a', 'd/b'], applied), [running('d/a'), running('d/b')], true, 'idle', 0],
    ['a pod turned not ready', lab(['d/a', 'd/b'], applied), [running('d/a'), running('d/b', false)], true, 'synced', 1],
    ['a pod finished', lab(['d/a', 'd/b'], applied), [running('d/a'), exited('d/b')], true, 'synced', 1],
    ['a CLI command holds the lock', lab(['d/a', 'd/b'], applied), [running('d/a'), exited('d/b')], false, 'busy', 0],
    ['an agent did not answer', lab(['d/a', 'd/b'], applied), null, true, 'skipped', 0],
    ['the lab is gone', null, [running('d/a')], true, 'skipped', 0],
    ['the lab is still being made', lab(['d/a'], applied, 'creating'), [exited('d/a')], true, 'skipped', 0],
    ['never reconciled (no record)', lab(['d/a'], undefined), [exited('d/a')], true, 'skipped', 0],
  ])('%s', async (_name, state, statuses, lockFree, want, syncs) => {
    const { w, deps } = world(state, statuses, lockFree);
    expect(await controllerTick(deps)).toBe(want);
    expect(w.applied).toHaveLength(syncs);
    expect(w.released).toBe(w.locks);
  });

  it('decides again under the lock: an apply that changed the lab meanwhile already recorded it', async () => {
    const { w, deps } = world(lab(['d/a'], { ready: ['d/a'], terminal: [] }), [exited('d/a')]);
    const readState = deps.readState;
    let reads = 0;
    deps.readState = () => (++reads === 2 ? { ...readState()!, endpoints: { ready: [], terminal: ['d/a'], at: '', syncs: 2, by: 'reconcile' } } : readState());
    expect(await controllerTick(deps)).toBe('idle');
    expect(w.applied).toEqual([]);
    expect(w.released).toBe(1);
  });

  it('releases the lock when the sync fails, and syncs on the next tick', async () => {
    const { w, deps } = world(lab(['d/a'], { ready: ['d/a'], terminal: [] }), [running('d/a', false)]);
    w.failApply = true;
    await expect(controllerTick(deps)).rejects.toThrow('nft refused');
    expect(w.released).toBe(1);
    w.failApply = false;
    expect(await controllerTick(deps)).toBe('synced');
    expect(await controllerTick(deps)).toBe('idle');
  });
});

describe('terminating pods', () => {
  const at = new Date(Date.now() - 1_000).toISOString();
  const terminatingLab = (graceSeconds: number, applied: EndpointConditions) => {
    const s = lab(['d/a'], applied);
    const placement = { key: 'd/t', node: 'n1', ip: '10.244.0.3', netns: 'ns2', hostVeth: 'veth2', mac: '02:00:00:00:00:02' };
    return { ...s, terminating: [{ placement, pod: {} as never, at, graceSeconds }] } as LabState;
  };
  const stopped = (key: string): AgentPodStatus => ({ ...exited(key), terminating: true, stopped: true });
  const ending = (key: string): AgentPodStatus => ({ ...running(key), terminating: true });

  it('count in the endpoint conditions like placed pods', () => {
    const s = terminatingLab(30, { ready: ['d/a'], terminal: [] });
    expect(pendingConditions(s, new Map([['d/a', running('d/a')], ['d/t', ending('d/t')]]))).toEqual({ ready: ['d/a', 'd/t'], terminal: [] });
  });

  it.each<[string, number, AgentPodStatus, boolean]>([
    ['still stopping within its grace period', 30, ending('d/t'), false],
    ['every container stopped', 30, stopped('d/t'), true],
    ['grace period long over, the agent still reports it running', 0, ending('d/t'), false],
  ])('%s: finished %s', (_n, grace, status, want) => {
    const s = terminatingLab(grace, { ready: ['d/a'], terminal: [] });
    expect(terminationsToFinish(s, new Map([['d/a', running('d/a')], ['d/t', status]]), Date.now())).toBe(want);
  });

  it('is finished once overdue (grace + 5 s) even when the agent cannot say', () => {
    const s = terminatingLab(0, { ready: ['d/a'], terminal: [] });
    expect(terminationsToFinish(s, new Map([['d/a', running('d/a')]]), Date.now() + 10_000)).toBe(true);
  });

  it('a tick reconciles (finish) under the lock once a terminating pod stopped, then is idle', async () => {
    const { w, deps } = world(terminatingLab(30, { ready: ['d/a'], terminal: ['d/t'] }), [running('d/a'), stopped('d/t')]);
    expect(await controllerTick(deps)).toBe('synced');
    expect(w.finished).toBe(1);
    expect(w.released).toBe(w.locks);
    w.statuses!.delete('d/t');
    expect(await controllerTick(deps)).toBe('idle');
    expect(w.finished).toBe(1);
  });
});

describe('startEndpointsController', () => {
  it('coalesces a burst between ticks into one sync of the final level, and logs a failure once', async () => {
    const { w, deps } = world(lab(['d/a', 'd/b'], { ready: ['d/a', 'd/b'], terminal: [] }), [running('d/a'), running('d/b')]);
    const lines: string[] = [];
    const c = startEndpointsController(deps, (l) => lines.push(l), 20);
    // Several changes before the next tick: a flaps, b finishes.
    w.statuses!.set('d/a', running('d/a', false));
    w.statuses!.set('d/a', running('d/a'));
    w.statuses!.set('d/b', exited('d/b'));
    await new Promise((r) => setTimeout(r, 100));
    expect(w.applied).toEqual([{ ready: ['d/a'], terminal: ['d/b'] }]);
    w.failApply = true;
    w.statuses!.set('d/a', running('d/a', false));
    await new Promise((r) => setTimeout(r, 100));
    c.stop();
    expect(lines).toEqual(['endpoints controller: nft refused']);
  });
});

describe('node monitor grace period', () => {
  const last = new Map([['n1', 10_000], ['n2', 4_000]]);
  it.each<[string, string[], number, string[] | null]>([
    ['no silent node', [], 12_000, []],
    ['a node silent for less than the grace period holds the decision back', ['n1'], 12_000, null],
    ['a node silent past the grace period is NotReady', ['n2'], 12_000, ['n2']],
    ['one node still within it holds back the other', ['n1', 'n2'], 12_000, null],
    ['both past it', ['n1', 'n2'], 20_000, ['n1', 'n2']],
    ['a node never heard from counts from the controller start', ['n3'], 5_500, null],
    ['… and is NotReady past the grace period from then', ['n3'], 8_000, ['n3']],
  ])('%s', (_n, silent, now, want) => {
    expect(notReadyNodes(silent, last, 1_000, now, 5_000)).toEqual(want);
  });
});
