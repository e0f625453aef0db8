// Events derived from the pods as stored (src/apiserver/events.ts): each reason from a pod status,
// names and times stable across calls, nothing for a Pending pod, fieldSelector on the results, the
// event table's columns, and syncEvents writing only what changed.
import { describe, expect, it } from 'vitest';
import { eventName, hash16, podEvents } from '../../src/apiserver/events.js';
import { syncEvents } from '../../src/apiserver/lab-objects.js';
import { filterObjects } from '../../src/apiserver/query.js';
import { findResource } from '../../src/apiserver/resources.js';
import { Store, type Obj } from '../../src/apiserver/store.js';
import { table } from '../../src/apiserver/tables.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CREATED = '2025-01-02T03:04:05.678Z';
const STARTED = '2025-01-02T03:04:09.123Z';
const NOW = '2025-01-02T04:00:00.000Z';

const pod = (name: string, containerStatuses: Any[] | undefined, extra: Any = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: CREATED },
  spec: { nodeName: 'node-a', containers: (containerStatuses ?? []).map((c) => ({ name: c.name, image: `shop/${c.name}:1` })), ...(extra.spec ?? {}) },
  status: { phase: 'Running', ...(containerStatuses ? { containerStatuses } : {}), ...(extra.status ?? {}) },
});
const running = (name: string, o: Any = {}) => ({ name, ready: true, started: true, restartCount: 0, state: { running: { startedAt: STARTED } }, ...o });
const reasons = (events: Obj[]) => events.map((e) => `${String(e.reason)}:${String((e.involvedObject as Any).fieldPath ?? '')}`).sort();

describe('podEvents', () => {
  it.each([
    { what: 'running and ready', statuses: [running('web')], want: ['Created:spec.containers{web}', 'Pulled:spec.containers{web}', 'Scheduled:', 'Started:spec.containers{web}'] },
    { what: 'crash looping', statuses: [{ name: 'web', ready: false, started: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }], want: ['BackOff:spec.containers{web}', 'Scheduled:'] },
    { what: 'started, not ready', statuses: [running('web', { ready: false })], want: ['Created:spec.containers{web}', 'Pulled:spec.containers{web}', 'Scheduled:', 'Started:spec.containers{web}', 'Unhealthy:spec.containers{web}'] },
    { what: 'creating', statuses: [{ name: 'web', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }], want: ['Scheduled:'] },
    { what: 'no agent status yet', statuses: undefined, want: ['Scheduled:'] },
  ])('$what: $want', ({ statuses, want }) => {
    expect(reasons(podEvents([pod('p', statuses)], [], NOW))).toEqual(want);
  });

  it('writes what the scheduler and kubelet write (messages, source, involvedObject, times)', () => {
    const events = podEvents([pod('p', [running('web', { ready: false, restartCount: 2 }), { name: 'side', restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }])], [], NOW);
    const by = (r: string) => events.find((e) => e.reason === r) as Any;
    expect(by('Scheduled')).toMatchObject({
      type: 'Normal', message: 'Successfully assigned shop/p to node-a', eventTime: '2025-01-02T03:04:05.678000Z', firstTimestamp: null, lastTimestamp: null,
      reportingComponent: 'default-scheduler', involvedObject: { kind: 'Pod', namespace: 'shop', name: 'p', uid: 'uid-p', apiVersion: 'v1' },
    });
    expect(by('Scheduled').involvedObject.fieldPath).toBeUndefined();
    expect(by('Started')).toMatchObject({
      type: 'Normal', message: 'Started container web', source: { component: 'kubelet', host: 'node-a' }, reportingComponent: 'kubelet', reportingInstance: 'node-a',
      firstTimestamp: '2025-01-02T03:04:09Z', lastTimestamp: '2025-01-02T03:04:09Z', count: 3, involvedObject: { fieldPath: 'spec.containers{web}', uid: 'uid-p' },
    });
    // Pulled and Created come with every start, as Started (the same count and times).
    expect(by('Pulled')).toMatchObject({ type: 'Normal', message: 'Container image "shop/web:1" already present on machine', count: 3, firstTimestamp: '2025-01-02T03:04:09Z', involvedObject: { fieldPath: 'spec.containers{web}' } });
    expect(by('Created')).toMatchObject({ type: 'Normal', message: 'Created container: web', count: 3, lastTimestamp: '2025-01-02T03:04:09Z', involvedObject: { fieldPath: 'spec.containers{web}' } });
    expect(by('BackOff')).toMatchObject({ type: 'Warning', message: 'Back-off restarting failed container side in pod p_shop(uid-p)', count: 1, lastTimestamp: '2025-01-02T04:00:00Z' });
    expect(by('Unhealthy')).toMatchObject({ type: 'Warning', message: expect.stringMatching(/^Readiness probe failed: /) });
    expect(podEvents([pod('p', [running('web', { ready: false, message: 'HTTP probe failed with statuscode: 503' })])], [], NOW).find((e) => e.reason === 'Unhealthy')?.message).toBe('Readiness probe failed: HTTP probe failed with statuscode: 503');
    const sandbox = podEvents([pod('p', undefined, { status: { phase: 'Pending', reason: 'FailedCreatePodSandBox', message: 'plugin said no' } })], [], NOW);
    expect(sandbox.find((e) => e.reason === 'FailedCreatePodSandBox')).toMatchObject({ type: 'Warning', message: 'Failed to create pod sandbox: plugin said no' });
  });

  it('Killing: one Normal event per container and probe the kubelet killed it for, with its count and times', () => {
    const kills = new Map([['shop/p', new Map([['web', { liveness: { count: 2, first: STARTED, last: NOW } }]])]]);
    const events = podEvents([pod('p', [running('web', { restartCount: 2 })])], [], NOW, kills);
    const killing = events.filter((e) => e.reason === 'Killing') as Any[];
    expect(killing).toHaveLength(1);
    expect(killing[0]).toMatchObject({
      type: 'Normal', message: 'Container web failed liveness probe, will be restarted', count: 2,
      firstTimestamp: '2025-01-02T03:04:09Z', lastTimestamp: '2025-01-02T04:00:00Z',
      source: { component: 'kubelet', host: 'node-a' }, involvedObject: { fieldPath: 'spec.containers{web}', uid: 'uid-p' },
    });
    expect(killing[0].metadata.name).toMatch(/^p\.[0-9a-f]{16}$/);
    // A startup kill is an event of its own; another pod's kills are not this pod's.
    const both = new Map([['shop/p', new Map([['web', { liveness: { count: 1, first: STARTED, last: STARTED }, startup: { count: 1, first: STARTED, last: STARTED } }]])], ['shop/q', new Map([['web', { liveness: { count: 1, first: STARTED, last: STARTED } }]])]]);
    const messages = podEvents([pod('p', [running('web')])], [], NOW, both).filter((e) => e.reason === 'Killing').map((e) => e.message).sort();
    expect(messages).toEqual(['Container web failed liveness probe, will be restarted', 'Container web failed startup probe, will be restarted']);
  });

  it('names are <pod>.<16 hex> of the pod uid, reason and container; the same input gives the same output', () => {
    const pods = [pod('p', [running('web', { ready: false })]), pod('q', [{ name: 'web', restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }])];
    const a = podEvents(pods, [], NOW);
    for (const e of a) expect(e.metadata.name).toMatch(/^[pq]\.[0-9a-f]{16}$/);
    expect(new Set(a.map((e) => e.metadata.name)).size).toBe(a.length);
    expect(a.find((e) => e.reason === 'Started')?.metadata.name).toBe(eventName({ name: 'p', uid: 'uid-p' }, 'Started', 'web'));
    expect(hash16('x')).toBe(hash16('x'));
    expect(hash16('x')).not.toBe(hash16('y'));
    expect(podEvents(pods, [], NOW)).toEqual(a);
    // A second follow a minute later with what the first wrote: nothing changes.
    expect(podEvents(pods, a, '2025-01-02T04:01:00.000Z')).toEqual(a);
  });

  it('a restart: Started counts it and keeps its first time; a new back-off moves BackOff\'s last time', () => {
    const first = podEvents([pod('p', [{ name: 'web', restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }])], [], NOW);
    const again = podEvents([pod('p', [running('web', { restartCount: 1 })])], first, '2025-01-02T04:05:00.000Z');
    expect(reasons(again)).toEqual(['BackOff:spec.containers{web}', 'Created:spec.containers{web}', 'Pulled:spec.containers{web}', 'Scheduled:', 'Started:spec.containers{web}']); // BackOff stays while the pod does
    const later = podEvents([pod('p', [{ name: 'web', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }])], again, '2025-01-02T04:10:00.000Z');
    expect(later.find((e) => e.reason === 'BackOff')).toMatchObject({ count: 2, firstTimestamp: '2025-01-02T04:00:00Z', lastTimestamp: '2025-01-02T04:10:00Z' });
    const restarted = podEvents([pod('p', [running('web', { restartCount: 2, state: { running: { startedAt: '2025-01-02T04:11:00Z' } } })])], later, NOW);
    expect(restarted.find((e) => e.reason === 'Started')).toMatchObject({ count: 3, firstTimestamp: '2025-01-02T03:04:09Z', lastTimestamp: '2025-01-02T04:11:00Z' });
  });

  it('Scheduled is no later than the first container start (the store may have made the pod after), and keeps its time', () => {
    const early = '2025-01-02T03:00:00.5Z';
    const a = podEvents([{ ...pod('p', [running('web', { state: { running: { startedAt: early } } })]) }], [], NOW);
    expect(a.find((e) => e.reason === 'Scheduled')?.eventTime).toBe('2025-01-02T03:00:00.500000Z');
    const b = podEvents([pod('p', [running('web', { restartCount: 1 })])], a, NOW);
    expect(b.find((e) => e.reason === 'Scheduled')?.eventTime).toBe('2025-01-02T03:00:00.500000Z');
  });

  it('nothing for a Pending pod (no node), a pod without uid, or odd statuses; a gone pod\'s events go', () => {
    const pending: Obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'w', namespace: 'shop', uid: 'u' }, spec: {}, status: { phase: 'Pending' } };
    expect(podEvents([pending, { ...pod('x', []), metadata: { name: 'x' } } as Obj], [], NOW)).toEqual([]);
    expect(() => podEvents([{ ...pod('p', [{}, { name: 'a', state: {} }, { name: 'b', state: null }]), status: { containerStatuses: [{}, { state: null }] } } as Obj], [], NOW)).not.toThrow();
    const events = podEvents([pod('p', [running('web')])], [], NOW);
    expect(podEvents([], events, NOW)).toEqual([]);
    // The same name made again is another pod (another uid): the old one's events go.
    const renewed = podEvents([{ ...pod('p', [running('web')]), metadata: { ...pod('p', []).metadata, uid: 'uid-new' } }], events, NOW);
    expect(renewed.every((e) => (e.involvedObject as Any).uid === 'uid-new')).toBe(true);
  });

  it('fieldSelector involvedObject.* picks a pod\'s events (as kubectl describe asks)', () => {
    const events = podEvents([pod('p', [running('web')]), pod('q', [running('web')])], [], NOW);
    expect(filterObjects('events', 'Event', events, { field: 'involvedObject.name=p,involvedObject.namespace=shop,involvedObject.kind=Pod,involvedObject.uid=uid-p' }).map((e) => e.reason)).toEqual(['Scheduled', 'Created', 'Pulled', 'Started']);
    expect(filterObjects('events', 'Event', events, { field: 'involvedObject.fieldPath=spec.containers{web},reason=Started' })).toHaveLength(2);
    expect(filterObjects('events', 'Event', events, { field: 'type=Warning' })).toEqual([]);
  });
});

describe('the events table and syncEvents', () => {
  it('has kube-apiserver\'s columns; Last Seen falls back to eventTime; wide ones have priority 1', () => {
    const events = podEvents([pod('p', [running('web')])], [], NOW);
    const t = table('events', events, { resourceVersion: '1', include: 'None', now: Date.parse(NOW) }) as Any;
    expect(t.columnDefinitions.map((c: Any) => `${c.name}${c.priority ? '*' : ''}`)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    const row = (r: string) => t.rows[events.findIndex((e) => e.reason === r)].cells;
    expect(row('Scheduled')).toEqual(['55m', 'Normal', 'Scheduled', 'pod/p', '', 'default-scheduler, default-scheduler-podnet', 'Successfully assigned shop/p to node-a', '55m', 1, events[0].metadata.name]);
    expect(row('Started').slice(0, 9)).toEqual(['55m', 'Normal', 'Started', 'pod/p', 'spec.containers{web}', 'kubelet, node-a', 'Started container web', '55m', 1]);
  });

  it('syncEvents: lab events follow the stored pods and a second follow writes nothing', () => {
    const store = new Store(() => NOW);
    const pods = findResource('', 'v1', 'pods')!;
    const events = findResource('', 'v1', 'events')!;
    store.create(pods, pod('p', [running('web')]), 'user');
    syncEvents(store, NOW);
    const uid = store.get(pods, 'shop', 'p')!.obj.metadata.uid;
    expect(store.list(events).map((e) => [e.obj.reason, (e.obj.involvedObject as Any).uid, e.origin])).toEqual(expect.arrayContaining([['Scheduled', uid, 'lab'], ['Started', uid, 'lab']]));
    const rv = store.rv;
    syncEvents(store, '2025-01-02T05:00:00.000Z');
    expect(store.rv).toBe(rv);
    store.delete(pods, 'shop', 'p');
    syncEvents(store, NOW);
    expect(store.list(events)).toEqual([]);
  });
});
