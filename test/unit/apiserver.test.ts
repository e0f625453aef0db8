/** The API server's pure parts: discovery negotiation, the store, list options, tables, kubeconfig documents. */
import { apiTime, deletionDue } from '../../src/model/api-time.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregated, discoveryForm, resourceList } from '../../src/apiserver/discovery.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { mergeLab, removeLab } from '../../src/apiserver/kubeconfig-doc.js';
import { openapiDocument, openapiRoot } from '../../src/apiserver/openapi.js';
import { decodeContinue, encodeContinue, filterObjects } from '../../src/apiserver/query.js';
import { findResource } from '../../src/apiserver/resources.js';
import { parseResourcePath } from '../../src/apiserver/routes.js';
import { sameJson, Store, type Obj } from '../../src/apiserver/store.js';
import { humanAge, podReason, table, wantsTable } from '../../src/apiserver/tables.js';

const pods = findResource('', 'v1', 'pods')!;
const deploys = findResource('apps', 'v1', 'deployments')!;
const deploy = (name: string): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' } });
const pod = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, ...extra });

describe('discovery', () => {
  it('serves the aggregated form only when Accept names it exactly, first acceptable range first', () => {
    expect(discoveryForm('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(discoveryForm('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json')).toBe('v2beta1');
    expect(discoveryForm('application/json, */*')).toBe('legacy');
    expect(discoveryForm('application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList')).toBe('legacy');
    expect(discoveryForm(undefined)).toBe('legacy');
  });
  it('lists the core group at /api and the named groups at /apis, resources with scope and verbs', () => {
    const core = aggregated(true, 'v2') as { items: { versions: { resources: { resource: string; scope: string }[] }[] }[] };
    expect(core.items).toHaveLength(1);
    expect(core.items[0].versions[0].resources.find((r) => r.resource === 'nodes')!.scope).toBe('Cluster');
    const named = aggregated(false, 'v2') as { items: { metadata: { name: string } }[] };
    expect(named.items.map((i) => i.metadata.name)).toContain('networking.k8s.io');
    const v1 = resourceList('', 'v1') as { resources: { name: string }[] };
    expect(v1.resources.map((r) => r.name)).toContain('pods/status');
    expect(resourceList('nope', 'v1')).toBeNull();
  });
  it('OpenAPI v3: one document per group-version, PATCH with fieldValidation and the GVK', () => {
    expect(Object.keys((openapiRoot() as { paths: object }).paths)).toContain('apis/apps/v1');
    const doc = openapiDocument('api/v1') as { paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': unknown } }> };
    const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(patch.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect(openapiDocument('apis/nope/v1')).toBeNull();
  });
});

describe('paths', () => {
  it('parses namespaced, cluster-scoped, named and subresource paths', () => {
    expect(parseResourcePath('/api/v1/namespaces/a/pods/b/status')).toMatchObject({ ri: { resource: 'pods' }, namespace: 'a', name: 'b', subresource: 'status' });
    expect(parseResourcePath('/api/v1/namespaces/a')).toMatchObject({ ri: { resource: 'namespaces' }, name: 'a' });
    expect(parseResourcePath('/api/v1/namespaces/a/status')).toMatchObject({ ri: { resource: 'namespaces' }, name: 'a', subresource: 'status' });
    expect(parseResourcePath('/apis/apps/v1/deployments')).toMatchObject({ ri: { kind: 'Deployment' } });
    expect(parseResourcePath('/apis/apps/v1/widgets')).toEqual({ unknown: 'apps/v1/widgets' });
    expect(parseResourcePath('/version')).toBeNull();
  });
});

describe('store', () => {
  const fresh = () => new Store(() => '2026-01-01T00:00:00Z', (() => { let n = 0; return () => `uid-${++n}`; })());
  it('gives every change the next resourceVersion; a no-op update is no event; delete carries its own version', () => {
    const s = fresh();
    const a = s.create(deploys, deploy('a'), 'user');
    expect(a.metadata).toMatchObject({ resourceVersion: '1', uid: 'uid-1', generation: 1, namespace: 'default' });
    expect(s.update(deploys, { ...a, metadata: { ...a.metadata, resourceVersion: undefined } }).metadata.resourceVersion).toBe('1');
    const b = s.update(deploys, { ...a, spec: { x: 1 } });
    expect(b.metadata).toMatchObject({ resourceVersion: '2', generation: 2, uid: 'uid-1' });
    expect(s.update(deploys, { ...b, metadata: { ...b.metadata, labels: { l: 'v' } } }).metadata.generation).toBe(2);
    expect(s.delete(deploys, 'default', 'a').metadata.resourceVersion).toBe('4');
    expect(s.eventsAfter(1).map((e) => [e.type, e.rv])).toEqual([['MODIFIED', 2], ['MODIFIED', 3], ['DELETED', 4]]);
  });
  it('creationTimestamp as metav1.Time writes it: RFC 3339 in whole seconds (apiTime), never milliseconds', () => {
    expect(new Store().create(pods, pod('a'), 'user').metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(apiTime(Date.UTC(2026, 11, 7, 21, 30, 5, 987))).toBe('2026-12-07T21:30:05Z');
    expect(apiTime('2026-12-07T21:30:05.123456Z')).toBe('2026-12-07T21:30:05Z');
    expect(apiTime('not a time')).toBeNull();
    // A graceful deletion's deletionTimestamp: asked + grace, whole seconds.
    expect(deletionDue('2026-12-07T21:30:05.900Z', 30)).toBe('2026-12-07T21:30:35Z');
    expect(deletionDue(Date.UTC(2026, 11, 7, 21, 30, 5), 0)).toBe('2026-12-07T21:30:05Z');
  });
  it('metadata.generation only on kinds whose strategy keeps one (workloads, NetworkPolicy, Ingress, custom resources); none on Pods, ConfigMaps, Services', () => {
    const s = fresh();
    const p = s.create(pods, pod('a'), 'user');
    expect(p.metadata.generation).toBeUndefined();
    // One given back (as read from a Deployment, or made up) is not kept either.
    expect(s.update(pods, { ...p, metadata: { ...p.metadata, generation: 7 }, spec: { x: 1 } }).metadata.generation).toBeUndefined();
    for (const [g, v, r] of [['', 'v1', 'configmaps'], ['', 'v1', 'services'], ['discovery.k8s.io', 'v1', 'endpointslices']] as const) {
      expect(s.create(findResource(g, v, r)!, { apiVersion: g ? `${g}/${v}` : v, kind: 'X', metadata: { name: 'a', namespace: 'default' } }, 'user').metadata.generation).toBeUndefined();
    }
    for (const [g, v, r] of [['networking.k8s.io', 'v1', 'networkpolicies'], ['batch', 'v1', 'jobs'], ['policy.networking.k8s.io', 'v1alpha2', 'clusternetworkpolicies']] as const) {
      expect(s.create(findResource(g, v, r)!, { apiVersion: `${g}/${v}`, kind: 'X', metadata: { name: 'a', namespace: 'default' } }, 'user').metadata.generation).toBe(1);
    }
    // Being marked for deletion is a change of intent: generation 1 → 2, as kube-apiserver's store bumps it.
    const d = s.create(deploys, deploy('d'), 'user');
    expect(s.update(deploys, { ...d, metadata: { ...d.metadata, deletionTimestamp: '2026-01-01T00:00:01Z', finalizers: ['x/y'] } }).metadata.generation).toBe(2);
  });
  it('conflicts: an existing name (AlreadyExists), a stale resourceVersion (Conflict); NotFound', () => {
    const s = fresh();
    const a = s.create(pods, pod('a'), 'user');
    expect(() => s.create(pods, pod('a'), 'user')).toThrow(expect.objectContaining({ code: 409, reason: 'AlreadyExists' }));
    s.update(pods, { ...a, spec: { y: 1 } });
    expect(() => s.update(pods, { ...a, spec: { y: 2 } })).toThrow(expect.objectContaining({ code: 409, reason: 'Conflict' }));
    expect(() => s.mustGet(pods, 'default', 'b')).toThrow(ApiError);
  });
  it('an update that only lists the keys in another order is no change: no event, no new generation', () => {
    const s = fresh();
    s.create(deploys, { metadata: { name: 'a', namespace: 'default', labels: { x: '1', y: '2' } }, spec: { b: 1, a: [{ q: 1, p: 2 }] }, kind: 'Deployment', apiVersion: 'apps/v1' }, 'user');
    const again = s.update(deploys, { apiVersion: 'apps/v1', kind: 'Deployment', spec: { a: [{ p: 2, q: 1 }], b: 1 }, metadata: { labels: { y: '2', x: '1' }, namespace: 'default', name: 'a' } });
    expect(again.metadata).toMatchObject({ resourceVersion: '1', generation: 1 });
    expect(s.eventsAfter(0)).toHaveLength(1);
    // An array's order is content.
    expect(s.update(deploys, { ...again, metadata: { ...again.metadata, resourceVersion: undefined }, spec: { a: [{ p: 2, q: 1 }, 3].reverse(), b: 1 } }).metadata.generation).toBe(2);
  });
  it('sameJson is equality of the JSON texts with keys sorted', () => {
    const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sorted(x)])) : v);
    const canon = (v: unknown) => JSON.stringify(sorted(v));
    const json = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, 0, 1, 'a', '', true, false, undefined), fc.array(tie('v'), { maxLength: 3 }).map((xs) => xs.filter((x) => x !== undefined)) /* no undefined in a JSON array */, fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 3 })),
    })).v;
    // Pairs that are often equal: a value and a shuffled copy of it, or two unrelated values.
    const shuffled = (v: unknown): unknown => (Array.isArray(v) ? v.map(shuffled) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, shuffled(x)])) : v);
    fc.assert(fc.property(json, json, fc.boolean(), (a, b, same) => {
      const other = same ? shuffled(a) : b;
      if (a === undefined || other === undefined) return;
      expect(sameJson(a, other)).toBe(canon(a) === canon(other));
    }), { numRuns: 2_000 });
  });
  it('a watch from before the loaded snapshot is 410 Gone', () => {
    const s = fresh();
    s.create(pods, pod('a'), 'user');
    const t = fresh();
    t.load(s.snapshot());
    expect(() => t.eventsAfter(0)).toThrow(expect.objectContaining({ code: 410 }));
    expect(t.eventsAfter(1)).toEqual([]);
    t.create(pods, pod('b'), 'user');
    expect(t.eventsAfter(1).map((e) => e.obj.metadata.name)).toEqual(['b']);
  });
});

describe('list options', () => {
  const objs = [pod('a', { app: 'x' }, { spec: { nodeName: 'n1' }, status: { phase: 'Running' } }), pod('b', { app: 'y' }, { spec: { nodeName: 'n2' }, status: { phase: 'Pending' } })];
  it('label and field selectors; an unsupported field is a 400', () => {
    expect(filterObjects('pods', 'Pod', objs, { label: 'app in (x,z)' }).map((o) => o.metadata.name)).toEqual(['a']);
    expect(filterObjects('pods', 'Pod', objs, { field: 'spec.nodeName=n2,status.phase!=Running' }).map((o) => o.metadata.name)).toEqual(['b']);
    expect(filterObjects('pods', 'Pod', objs, { field: 'metadata.name==a' }).map((o) => o.metadata.name)).toEqual(['a']);
    expect(() => filterObjects('pods', 'Pod', objs, { field: 'spec.color=red' })).toThrow(expect.objectContaining({ code: 400, message: 'field label not supported: spec.color' }));
    expect(() => filterObjects('services', 'Service', objs, { field: 'spec.nodeName=n1' })).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => filterObjects('pods', 'Pod', objs, { label: 'a in (x' })).toThrow(expect.objectContaining({ code: 400 }));
  });
  it('continue tokens round-trip; a bad one is a 400', () => {
    expect(decodeContinue(encodeContinue(7, '/pods/default/a'))).toEqual({ rv: 7, start: '/pods/default/a' });
    expect(() => decodeContinue('%%%')).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('tables', () => {
  it('ages as apimachinery\'s HumanDuration', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const at = (s: number) => humanAge('2026-01-01T00:00:00Z', t0 + s * 1000);
    expect([at(5), at(119), at(125), at(600), at(3 * 3600 + 60), at(9 * 3600), at(50 * 3600), at(3 * 86400 + 3600), at(30 * 86400)]).toEqual(['5s', '119s', '2m5s', '10m', '3h1m', '9h', '2d2h', '3d1h', '30d']);
  });
  it('the pod STATUS column as kubectl\'s printer derives it', () => {
    expect(podReason(pod('a', {}, { status: { phase: 'Running', containerStatuses: [{ ready: true, state: { running: {} } }] } }))).toBe('Running');
    expect(podReason(pod('a', {}, { status: { phase: 'Running', containerStatuses: [{ ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }))).toBe('CrashLoopBackOff');
    expect(podReason(pod('a', {}, { status: { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 0 } } }] } }))).toBe('Completed');
    expect(podReason(pod('a', {}, { spec: { initContainers: [{}, {}] }, status: { phase: 'Pending', initContainerStatuses: [{ state: { terminated: { exitCode: 0 } } }, { state: { running: {} } }] } }))).toBe('Init:1/2');
  });
  it('pod columns with wide ones at priority 1, rows with their object as PartialObjectMetadata by default', () => {
    const t = table('pods', [pod('a', {}, { spec: { containers: [{}], nodeName: 'n1' }, status: { phase: 'Running', podIP: '10.0.0.1', containerStatuses: [{ ready: true, restartCount: 2, state: { running: {} } }] } })], { resourceVersion: '5', include: 'Metadata', now: Date.now() }) as { columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    expect(t.rows[0].cells.slice(0, 4)).toEqual(['a', '1/1', 'Running', '2']);
    expect(t.rows[0].cells.slice(5, 7)).toEqual(['10.0.0.1', 'n1']);
    expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
    expect(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
  });
});

describe('kubeconfig documents', () => {
  const e = { lab: 'lab1', server: 'https://127.0.0.1:6443', caCert: 'CA', token: 't' };
  const other = { clusters: [{ name: 'c' }], users: [{ name: 'u' }], contexts: [{ name: 'x' }], 'current-context': 'x', preferences: { colors: true } };
  it('merge adds the lab\'s cluster, user and context and makes it current; remove takes exactly those out and gives the context back', () => {
    const { doc, previousContext } = mergeLab(other, e);
    expect(previousContext).toBe('x');
    expect(doc['current-context']).toBe('podnet-lab1');
    expect(doc.clusters!.map((c) => c.name)).toEqual(['c', 'podnet-lab1']);
    expect(removeLab(doc, 'lab1', previousContext)).toEqual({ apiVersion: 'v1', kind: 'Config', ...other });
    // Someone switched context meanwhile: it stays.
    expect(removeLab({ ...doc, 'current-context': 'x' }, 'lab1', 'x')['current-context']).toBe('x');
    // A re-merge replaces the entries, never duplicates them.
    expect(mergeLab(doc, e).doc.contexts!.filter((c) => c.name === 'podnet-lab1')).toHaveLength(1);
  });
});
