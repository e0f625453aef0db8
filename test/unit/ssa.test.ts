// Server-side apply and managedFields (src/apiserver/ssa.ts, managed-fields.ts): the merge, prune,
// conflict and ownership rules of structured-merge-diff, on the lab's built-in kinds.
import { describe, expect, it } from 'vitest';
import { ApiError, statusObject } from '../../src/apiserver/errors.js';
import { fieldSetOf, fromFieldsV1, pathString, toFieldsV1 } from '../../src/apiserver/managed-fields.js';
import { checkPatchOptions, managerOf, serverSideApply, trackUpdate } from '../../src/apiserver/ssa.js';
import type { Obj } from '../../src/apiserver/store.js';

const DEPLOY = { apiVersion: 'apps/v1', kind: 'Deployment' };
const POD = { apiVersion: 'v1', kind: 'Pod' };
const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';

const deployment = (spec: Record<string, unknown>, labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels }, spec,
});
const template = (containers: unknown[]) => ({ metadata: { labels: { app: 'web' } }, spec: { containers } });
const apply = (live: Obj | undefined, applied: unknown, manager = 'kubectl', force = false, now = T1) => serverSideApply(live, applied, { manager, force, gvk: DEPLOY, now }).object;
const entries = (o: Obj) => o.metadata.managedFields as { manager: string; operation: string; apiVersion: string; time?: string; fieldsType: string; fieldsV1: Record<string, unknown> }[];
const fail = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('server-side apply', () => {
  it('creates the object and records the applier as its Apply manager', () => {
    const o = apply(undefined, deployment({ replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template([{ name: 'web', image: 'nginx' }]) }));
    expect(o.spec).toMatchObject({ replicas: 2 });
    expect(entries(o)).toEqual([{
      manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T1, fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          // LabelSelector is x-kubernetes-map-type: atomic.
          'f:selector': {},
          'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
        },
      },
    }]);
  });

  it('removes what the same manager applied before and leaves out now', () => {
    const first = apply(undefined, deployment({ replicas: 2, minReadySeconds: 5 }, { app: 'web', tier: 'front' }));
    const second = apply(first, deployment({ replicas: 2 }));
    expect(second.spec).toEqual({ replicas: 2 });
    expect(second.metadata.labels).toEqual({ app: 'web' });
    expect(entries(second)).toHaveLength(1);
  });

  it('keeps a dropped field that another manager also owns', () => {
    const first = apply(undefined, deployment({ replicas: 2, minReadySeconds: 5 }));
    const shared = apply(first, deployment({ minReadySeconds: 5 }), 'other');
    const second = apply(shared, deployment({ replicas: 2 }));
    expect(second.spec).toEqual({ replicas: 2, minReadySeconds: 5 });
  });

  it('is a 409 with upstream message and causes when it changes a field an updater owns', () => {
    const created = trackUpdate(undefined, deployment({ replicas: 1 }) as Obj, { manager: 'kubectl-client-side-apply', gvk: DEPLOY, now: T1 });
    const e = fail(() => apply(created, deployment({ replicas: 3 }), 'kubectl'));
    expect(e.code).toBe(409);
    expect(statusObject(e)).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] },
    });
  });

  it('lists several conflicts by manager, and names an applier without its apiVersion', () => {
    const a = apply(undefined, deployment({ replicas: 1, minReadySeconds: 1 }), 'alpha');
    const e = fail(() => apply(a, deployment({ replicas: 2, minReadySeconds: 2 }), 'beta'));
    expect(e.message).toBe('Apply failed with 2 conflicts: conflicts with "alpha":\n- .spec.minReadySeconds\n- .spec.replicas');
    expect((e.details!.causes as { message: string }[])[0].message).toBe('conflict with "alpha"');
  });

  it('with force takes the field from its owner', () => {
    const scaled = trackUpdate(apply(undefined, deployment({ replicas: 1 })), deployment({ replicas: 5 }) as Obj, { manager: 'kubectl-scale', gvk: DEPLOY, now: T1 });
    expect(() => apply(scaled, deployment({ replicas: 2 }))).toThrow(/conflict with "kubectl-scale" using apps\/v1: \.spec\.replicas/);
    const o = apply(scaled, deployment({ replicas: 2 }), 'kubectl', true, T2);
    expect(o.spec).toEqual({ replicas: 2 });
    expect(entries(o).map((m) => m.manager)).toEqual(['kubectl']);
  });

  it('leaves a field another updater took when the applier then drops it (the HPA pattern), Apply entries first', () => {
    const applied = apply(undefined, deployment({ replicas: 1, minReadySeconds: 3 }));
    const scaled = trackUpdate(applied, { ...applied, spec: { replicas: 6, minReadySeconds: 3 } } as Obj, { manager: 'kubectl-scale', gvk: DEPLOY, now: T1 });
    const o = apply(scaled, deployment({ minReadySeconds: 3 }), 'kubectl', false, T2);
    expect(o.spec).toEqual({ replicas: 6, minReadySeconds: 3 });
    expect(entries(o).map((m) => [m.manager, m.operation])).toEqual([['kubectl', 'Apply'], ['kubectl-scale', 'Update']]);
  });

  it('lets two appliers share a field with the same value', () => {
    const a = apply(undefined, deployment({ replicas: 2 }), 'alpha');
    const b = apply(a, deployment({ replicas: 2 }), 'beta');
    expect(entries(b).map((m) => [m.manager, (m.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas']])).toEqual([['alpha', {}], ['beta', {}]]);
  });

  it('merges list maps by their keys: containers by name, ports by containerPort and protocol', () => {
    const a = apply(undefined, deployment({ template: template([{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }]) }), 'alpha');
    const b = apply(a, deployment({ template: template([{ name: 'web', ports: [{ containerPort: 80, protocol: 'UDP' }] }, { name: 'side', image: 'busybox' }]) }), 'beta');
    const containers = (b.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers;
    expect(containers).toEqual([
      { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }] },
      { name: 'side', image: 'busybox' },
    ]);
    const beta = entries(b).find((m) => m.manager === 'beta')!.fieldsV1 as any;
    expect(Object.keys(beta['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:ports'])).toEqual(['k:{"containerPort":80,"protocol":"UDP"}']);
    const alpha = entries(b).find((m) => m.manager === 'alpha')!.fieldsV1 as any;
    expect(Object.keys(alpha['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:ports'])).toEqual(['k:{"containerPort":80,"protocol":"TCP"}']);
  });

  it('merges sets (finalizers) by value and replaces atomic lists (args)', () => {
    const a = serverSideApply(undefined, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a/one'] }, spec: { containers: [{ name: 'c', args: ['x', 'y'] }] } }, { manager: 'alpha', force: false, gvk: POD, now: T1 }).object;
    const b = serverSideApply(a, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['b/two'] }, spec: { containers: [{ name: 'c', args: ['z'] }] } }, { manager: 'beta', force: true, gvk: POD, now: T1 }).object;
    expect(b.metadata.finalizers).toEqual(['a/one', 'b/two']);
    expect((b.spec as any).containers[0].args).toEqual(['z']);
    const beta = entries(b).find((m) => m.manager === 'beta')!.fieldsV1 as any;
    expect(beta['f:metadata']['f:finalizers']).toEqual({ 'v:"b/two"': {} });
    expect(beta['f:spec']['f:containers']['k:{"name":"c"}']['f:args']).toEqual({});
  });

  it('keeps labels granular: two appliers own different keys', () => {
    const a = apply(undefined, deployment({}, { app: 'web' }), 'alpha');
    const b = apply(a, deployment({}, { team: 'net' }), 'beta');
    expect(b.metadata.labels).toEqual({ app: 'web', team: 'net' });
    const c = apply(b, deployment({}, {}), 'beta');
    expect(c.metadata.labels).toEqual({ app: 'web' });
  });

  it('refuses managedFields in the applied configuration and a wrong apiVersion (400)', () => {
    expect(fail(() => apply(undefined, { ...deployment({}), metadata: { name: 'web', managedFields: [] } })).message).toBe('metadata.managedFields must be nil');
    expect(fail(() => apply(undefined, { ...deployment({}), apiVersion: 'apps/v1beta1' })).message).toBe('Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
  });
});

describe('FieldsV1', () => {
  it('round-trips, with `.` for an item that has owned fields', () => {
    const json = { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } };
    expect(toFieldsV1(fromFieldsV1(json))).toEqual(json);
    expect(JSON.stringify(toFieldsV1(fromFieldsV1(json)))).toBe(JSON.stringify(json));
  });

  it('prints paths as upstream does', () => {
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe('.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"]');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });

  it('takes a kind the table lacks by value: objects granular, lists atomic', () => {
    const set = fieldSetOf({ spec: { a: 1, l: [1, 2] } }, { apiVersion: 'example.com/v1', kind: 'Thing' });
    expect(toFieldsV1(set)).toEqual({ 'f:spec': { 'f:a': {}, 'f:l': {} } });
  });
});

describe('trackUpdate', () => {
  it('gives a create every field, with `.` for what it added inside structs', () => {
    const o = trackUpdate(undefined, deployment({ replicas: 1, strategy: { rollingUpdate: { maxSurge: 1 } } }) as Obj, { manager: 'kubectl-create', gvk: DEPLOY, now: T1 });
    expect(entries(o)).toEqual([{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T1, fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {}, 'f:strategy': { '.': {}, 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} } } } },
    }]);
  });

  it('moves the fields it changes from their owner, and keeps one entry per manager', () => {
    const created = apply(undefined, deployment({ replicas: 1, minReadySeconds: 3 }));
    const edited = trackUpdate(created, { ...created, spec: { replicas: 4, minReadySeconds: 3 } } as Obj, { manager: 'kubectl-edit', gvk: DEPLOY, now: T2 });
    const [kubectl, edit] = entries(edited);
    expect(kubectl.fieldsV1['f:spec']).toEqual({ 'f:minReadySeconds': {} });
    expect(edit).toMatchObject({ manager: 'kubectl-edit', operation: 'Update', time: T2, fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const again = trackUpdate(edited, { ...edited, spec: { replicas: 4, minReadySeconds: 9 } } as Obj, { manager: 'kubectl-edit', gvk: DEPLOY, now: T2 });
    // kubectl keeps only what nobody changed: the label it applied.
    expect(entries(again).map((m) => [m.manager, m.fieldsV1])).toEqual([
      ['kubectl', { 'f:metadata': { 'f:labels': { 'f:app': {} } } }],
      ['kubectl-edit', { 'f:spec': { 'f:minReadySeconds': {}, 'f:replicas': {} } }],
    ]);
  });

  it('records nothing when nothing changed, and never status on the main resource', () => {
    const created = trackUpdate(undefined, deployment({ replicas: 1 }) as Obj, { manager: 'a', gvk: DEPLOY, now: T1 });
    const same = trackUpdate(created, { ...created, status: { replicas: 1 } } as Obj, { manager: 'b', gvk: DEPLOY, now: T2 });
    expect(entries(same).map((m) => m.manager)).toEqual(['a']);
  });
});

describe('field managers', () => {
  it('defaults to the User-Agent up to its first slash', () => {
    expect(managerOf(null, 'kubectl-client-side-apply/v1.31.0 (linux/amd64) kubernetes/abc')).toBe('kubectl-client-side-apply');
    expect(managerOf('mine', 'kubectl/v1.31.0')).toBe('mine');
    expect(managerOf(null, undefined)).toBe('unknown');
    expect(managerOf(null, 'x'.repeat(200))).toHaveLength(128);
  });

  it('requires fieldManager for apply, refuses force elsewhere and managers over 128 bytes (422)', () => {
    expect(fail(() => checkPatchOptions(null, true, null)).message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect(fail(() => checkPatchOptions('m', false, 'true')).message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    expect(fail(() => checkPatchOptions('m'.repeat(129), true, null)).code).toBe(422);
    expect(() => checkPatchOptions('kubectl', true, 'true')).not.toThrow();
  });
});
