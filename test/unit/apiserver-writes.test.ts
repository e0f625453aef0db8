/**
 * API writes without a lab: the pure checks of src/apiserver/writes.ts, and the server's write
 * routes over HTTPS with an in-memory door (objects kept in a list, the store following them as
 * it follows a lab) — status codes, Status bodies, dry runs, preconditions, namespace deletion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawObjectKey } from '../../src/api/default-namespace.js';
import type { RawObject } from '../../src/api/load.js';
import { ensureCredentials } from '../../src/apiserver/certs.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { applyChanges, type Compute, type WriteDoor } from '../../src/apiserver/lab-door.js';
import { findResource, resourceOfKind } from '../../src/apiserver/resources.js';
import { createApiServer } from '../../src/apiserver/server.js';
import { showWrite } from '../../src/apiserver/lab-objects.js';
import { tail } from '../../src/apiserver/logs.js';
import { Store, type Obj } from '../../src/apiserver/store.js';
import { checkPrecondition, deleteOptions, forCreate, forUpdate, GENERATE_ALPHABET, nameSuffix, userObject } from '../../src/apiserver/writes.js';

const pods = findResource('', 'v1', 'pods')!;
const namespaces = findResource('', 'v1', 'namespaces')!;
const replicaSets = findResource('apps', 'v1', 'replicasets')!;
const configMaps = findResource('', 'v1', 'configmaps')!;
const code = (f: () => unknown): number => {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
  return 0;
};

describe('writes (pure)', () => {
  const store = new Store();
  store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'taken', namespace: 'default' } }, 'user');
  it('create: generateName gets a five-character suffix from the apiserver alphabet; a taken name is 409', () => {
    const made = forCreate(pods, 'default', { metadata: { generateName: 'web-' } }, store);
    expect(made.metadata.name).toMatch(new RegExp(`^web-[${GENERATE_ALPHABET}]{5}$`));
    expect(nameSuffix(() => 0)).toBe('bbbbb');
    expect(code(() => forCreate(pods, 'default', { metadata: { name: 'taken' } }, store))).toBe(409);
    expect(code(() => forCreate(pods, 'default', { metadata: {} }, store))).toBe(422);
    expect(code(() => forCreate(pods, 'default', { metadata: { name: 'Bad_Name' } }, store))).toBe(422);
    expect(code(() => forCreate(namespaces, undefined, { metadata: { name: 'a.b' } }, store))).toBe(422); // a label, not a subdomain
  });
  it('create: kind, apiVersion and namespace must be the request\'s (400); cluster-scoped objects lose a namespace', () => {
    expect(code(() => forCreate(pods, 'default', { kind: 'Service', metadata: { name: 'x' } }, store))).toBe(400);
    expect(code(() => forCreate(pods, 'default', { apiVersion: 'apps/v1', metadata: { name: 'x' } }, store))).toBe(400);
    expect(code(() => forCreate(pods, 'a', { metadata: { name: 'x', namespace: 'b' } }, store))).toBe(400);
    expect(forCreate(pods, 'a', { metadata: { name: 'x' } }, store).metadata.namespace).toBe('a');
    expect(forCreate(namespaces, undefined, { metadata: { name: 'x', namespace: 'y' } }, store).metadata.namespace).toBeUndefined();
  });
  it('update: the URL\'s name, an existing object, a matching resourceVersion or none', () => {
    const rv = store.get(pods, 'default', 'taken')!.obj.metadata.resourceVersion!;
    expect(forUpdate(pods, 'default', 'taken', { metadata: { resourceVersion: rv } }, store).metadata.name).toBe('taken');
    expect(code(() => forUpdate(pods, 'default', 'taken', { metadata: { name: 'other' } }, store))).toBe(400);
    expect(code(() => forUpdate(pods, 'default', 'nope', { metadata: {} }, store))).toBe(404);
    expect(code(() => forUpdate(pods, 'default', 'taken', { metadata: { resourceVersion: '999' } }, store))).toBe(409);
    expect(code(() => checkPrecondition(pods, store.get(pods, 'default', 'taken')!.obj, undefined, 'another-uid'))).toBe(409);
  });
  it('delete options: the propagation policy (orphanDependents is Orphan); dryRun is All or a 400', () => {
    expect(deleteOptions({ propagationPolicy: 'Foreground' }, new URLSearchParams())).toMatchObject({ propagationPolicy: 'Foreground', dryRun: false });
    expect(deleteOptions(undefined, new URLSearchParams('dryRun=All'))).toMatchObject({ dryRun: true });
    expect(deleteOptions({ propagationPolicy: 'Orphan' }, new URLSearchParams()).propagationPolicy).toBe('Orphan');
    expect(deleteOptions({ orphanDependents: true }, new URLSearchParams()).propagationPolicy).toBe('Orphan');
    expect(deleteOptions(undefined, new URLSearchParams('orphanDependents=true')).propagationPolicy).toBe('Orphan');
    expect(deleteOptions(undefined, new URLSearchParams()).propagationPolicy).toBeUndefined();
    expect(code(() => deleteOptions({ propagationPolicy: 'Sideways' }, new URLSearchParams()))).toBe(400);
    expect(code(() => deleteOptions(undefined, new URLSearchParams('dryRun=Some')))).toBe(400);
  });
  it('the lab keeps the user\'s object without server-set metadata or status (managedFields stay)', () => {
    const kept = userObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', uid: 'u', resourceVersion: '3', generation: 2, creationTimestamp: 't', managedFields: [], labels: { x: 'y' } }, spec: {}, status: { phase: 'Running' } });
    expect(kept).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', managedFields: [], labels: { x: 'y' } }, spec: {} });
  });
  it('changes replace or remove objects by kind/namespace/name', () => {
    const raw = (name: string, ns?: string): RawObject => ({ obj: { kind: 'ConfigMap', metadata: { name, ...(ns ? { namespace: ns } : {}) } }, source: { file: 'f', doc: 0 }, prefix: '' });
    const out = applyChanges([raw('a'), raw('b', 'other')], [{ key: 'ConfigMap/default/a' }, { key: 'ConfigMap/other/b', obj: { kind: 'ConfigMap', metadata: { name: 'b', namespace: 'other' }, data: { k: 'v' } } }]);
    expect(out.map((o) => o.obj.data ?? null)).toEqual([{ k: 'v' }]);
    // A pod replacement changes no object.
    expect(applyChanges([raw('a')], [{ key: 'default/a', replace: true }, { key: 'ConfigMap/default/a', replace: true }])).toEqual([raw('a')]);
  });
});

/** An in-memory door: objects in a list; the store follows them (origin user) after each write. */
class FakeDoor implements WriteDoor {
  objects: RawObject[] = [];
  writes = 0;
  /** Pods deleted for their controller to replace ("ns/name"). */
  replaced: string[] = [];
  /** The grace periods pod deletions carried, by change key. */
  graces: [string, number][] = [];
  constructor(private readonly store: Store) {}
  async write(compute: Compute, dryRun: boolean) {
    const changes = compute(this.objects);
    const next = applyChanges(this.objects, changes);
    if (!dryRun) this.replaced.push(...changes.filter((c) => c.replace).map((c) => c.key));
    if (dryRun) return { warnings: [] };
    this.writes++;
    this.objects = next;
    this.graces.push(...changes.filter((c) => c.grace !== undefined).map((c) => [c.key, c.grace!] as [string, number]));
    // As the server's showWrite: a pod deleted gracefully stays, marked, while the lab ends it.
    const graceful = changes.filter((c) => !c.obj && c.grace !== undefined && c.grace > 0);
    showWrite(this.store, graceful);
    const wanted = new Map(next.map((o) => [rawObjectKey(o), o.obj as Obj]));
    for (const e of this.store.all()) {
      const ri = resourceOfKind(String(e.obj.apiVersion), String(e.obj.kind))!;
      const key = rawObjectKey({ obj: e.obj });
      if (e.origin === 'user' && !wanted.has(key) && !graceful.some((c) => c.key === key)) this.store.delete(ri, e.obj.metadata.namespace ?? '', e.obj.metadata.name);
    }
    for (const obj of wanted.values()) {
      const ri = resourceOfKind(String(obj.apiVersion), String(obj.kind))!;
      const current = this.store.get(ri, obj.metadata.namespace ?? '', obj.metadata.name);
      // As the server's showWrite: an object being deleted stays marked.
      const marked = current?.obj.metadata.deletionTimestamp;
      if (current) this.store.update(ri, marked ? { ...obj, metadata: { ...obj.metadata, deletionTimestamp: marked, deletionGracePeriodSeconds: 0 } } : obj, 'user');
      else this.store.create(ri, obj, 'user');
    }
    return { warnings: ['a warning from the lab'] };
  }
}

/** An API server on a free loopback port with an in-memory door, for one describe block. */
function serveWithFakeDoor(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = new Store();
  const door = new FakeDoor(store);
  const creds = ensureCredentials(dir);
  const server = createApiServer({ cert: creds.cert, key: creds.key, token: creds.token, store, door });
  const at = { port: 0 };
  beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', () => ((at.port = (server.address() as AddressInfo).port), r()))));
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, door, creds, at };
}

describe('write routes over HTTPS with an in-memory door', () => {
  const { store, door, creds, at } = serveWithFakeDoor('podnet-api-writes-');
  const call = (method: string, path: string, body?: unknown, type = 'application/json') =>
    new Promise<{ code: number; body: Record<string, unknown>; warning?: string | string[] }>((resolve, reject) => {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port: at.port, method, path, ca: creds.caCert, headers: { authorization: `Bearer ${creds.token}`, 'content-type': type, 'content-length': Buffer.byteLength(text) } }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(out) as Record<string, unknown>, warning: res.headers.warning }));
      });
      req.on('error', reject);
      req.end(text);
    });
  const cm = (name: string, data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

  it('POST creates (201, with uid and resourceVersion, the lab\'s warnings as Warning headers); again is 409 AlreadyExists', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one', { a: '1' }));
    expect(r.code).toBe(201);
    expect(r.body).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'one', namespace: 'default' }, data: { a: '1' } });
    expect((r.body.metadata as { uid?: string }).uid).toBeTruthy();
    expect(String(r.warning)).toBe('299 - "a warning from the lab"');
    const again = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', details: { name: 'one', kind: 'configmaps' } });
  });
  it('dryRun=All checks and answers but keeps nothing', async () => {
    const before = door.writes;
    const r = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(r.code).toBe(201);
    expect(door.writes).toBe(before);
    expect(store.get(findResource('', 'v1', 'configmaps')!, 'default', 'dry')).toBeUndefined();
  });
  it('PUT replaces; a stale resourceVersion is 409 Conflict; a missing object 404', async () => {
    const got = store.get(findResource('', 'v1', 'configmaps')!, 'default', 'one')!.obj;
    const r = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...cm('one', { a: '2' }), metadata: { name: 'one', resourceVersion: got.metadata.resourceVersion } });
    expect(r.code).toBe(200);
    expect(r.body.data).toEqual({ a: '2' });
    expect((r.body.metadata as { uid: string }).uid).toBe(got.metadata.uid);
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/one', { ...cm('one'), metadata: { name: 'one', resourceVersion: got.metadata.resourceVersion } });
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect((await call('PUT', '/api/v1/namespaces/default/configmaps/none', cm('none'))).code).toBe(404);
  });
  it('PATCH with a merge patch; an unknown patch type is 415; an apply without fieldManager 422', async () => {
    const r = await call('PATCH', '/api/v1/namespaces/default/configmaps/one', { metadata: { labels: { tier: 'x' } }, data: { b: '3' } }, 'application/merge-patch+json');
    expect(r.code).toBe(200);
    expect(r.body).toMatchObject({ metadata: { labels: { tier: 'x' } }, data: { a: '2', b: '3' } });
    expect((await call('PATCH', '/api/v1/namespaces/default/configmaps/one', {}, 'text/plain')).code).toBe(415);
    expect((await call('PATCH', '/api/v1/namespaces/default/configmaps/one', 'a: b', 'application/apply-patch+yaml')).code).toBe(422);
  });
  it('fieldValidation: Strict refuses unknown fields (400 on create, 422 on a patch), Warn (the default) answers them as warnings, Ignore says nothing', async () => {
    const typo = { ...cm('typo'), dta: { a: '1' } };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', typo);
    expect(strict.code).toBe(400);
    expect(strict.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "dta"');
    const warn = await call('POST', '/api/v1/namespaces/default/configmaps', typo);
    expect(warn.code).toBe(201);
    expect(String(warn.warning)).toContain('299 - "unknown field \\"dta\\""'); // node joins repeated headers with ", "
    const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/typo?fieldValidation=Strict', { metadata: { lables: { a: 'b' } } }, 'application/merge-patch+json');
    expect(patched.code).toBe(422);
    expect(patched.body.message).toContain('strict decoding error: unknown field "metadata.lables"');
    expect((await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', { ...cm('quiet'), dta: {} })).warning).toBe('299 - "a warning from the lab"');
    expect((await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loud', cm('loud'))).code).toBe(422);
    await call('DELETE', '/api/v1/namespaces/default/configmaps/typo');
    await call('DELETE', '/api/v1/namespaces/default/configmaps/quiet');
  });
  it('bad bodies: not JSON (400), too large (413); writes need a namespace on namespaced resources (405)', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', '{nope')).code).toBe(400);
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm('big', { x: 'y'.repeat(3 * 1024 * 1024) }))).code).toBe(413);
    expect((await call('POST', '/api/v1/configmaps', cm('nowhere'))).code).toBe(405);
  });
  it('DELETE: a uid precondition that does not match is 409; deleting a namespace deletes what is in it; default may not be deleted (403)', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await call('POST', '/api/v1/namespaces/team/configmaps', cm('inside'));
    expect((await call('DELETE', '/api/v1/namespaces/default/configmaps/one', { preconditions: { uid: 'nope' } })).code).toBe(409);
    const gone = await call('DELETE', '/api/v1/namespaces/default/configmaps/one');
    expect(gone).toMatchObject({ code: 200, body: { kind: 'Status', status: 'Success', details: { name: 'one', kind: 'configmaps' } } });
    expect((await call('DELETE', '/api/v1/namespaces/team')).code).toBe(200);
    expect(door.objects.map((o) => rawObjectKey(o))).toEqual([]);
    const forbidden = await call('DELETE', '/api/v1/namespaces/default');
    expect(forbidden.code).toBe(403);
    expect(forbidden.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
  });
  it('DELETE on a collection deletes what the selector matches and answers with it', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('l1'), metadata: { name: 'l1', labels: { app: 'a' } } });
    await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('l2'), metadata: { name: 'l2', labels: { app: 'b' } } });
    const r = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Da');
    expect(r.code).toBe(200);
    expect((r.body.items as Obj[]).map((o) => o.metadata.name)).toEqual(['l1']);
    expect(door.objects.map((o) => rawObjectKey(o))).toEqual(['ConfigMap/default/l2']);
  });
  it('finalizers: DELETE marks the object (deletionTimestamp) and it stays; no new finalizer may come; it goes with the last one', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/a', 'example.com/b'] } });
    expect(created.code).toBe(201);
    const dry = await call('DELETE', '/api/v1/namespaces/default/configmaps/held?dryRun=All');
    expect(dry.code).toBe(200);
    expect((store.get(configMaps, 'default', 'held')!.obj.metadata as Record<string, unknown>).deletionTimestamp).toBeUndefined();
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
    expect(del.code).toBe(200);
    expect(del.body).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/a', 'example.com/b'], deletionGracePeriodSeconds: 0 } });
    const marked = (del.body.metadata as Record<string, unknown>).deletionTimestamp;
    expect(typeof marked).toBe('string');
    // A ConfigMap has no generation upstream, so being marked adds none (a Deployment's: the store tests).
    expect((created.body.metadata as Record<string, unknown>).generation).toBeUndefined();
    expect((del.body.metadata as Record<string, unknown>).generation).toBeUndefined();
    expect(door.objects.some((o) => rawObjectKey(o) === 'ConfigMap/default/held')).toBe(true); // the lab still has it
    // Deleting again changes nothing; adding a finalizer is refused.
    expect(((await call('DELETE', '/api/v1/namespaces/default/configmaps/held')).body.metadata as Record<string, unknown>).deletionTimestamp).toBe(marked);
    const more = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: ['example.com/a', 'example.com/b', 'example.com/c'] } }, 'application/merge-patch+json');
    expect(more.code).toBe(422);
    expect(more.body.message).toContain('metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/c"}');
    const one = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: ['example.com/b'] } }, 'application/merge-patch+json');
    expect(one.code).toBe(200);
    expect(door.objects.some((o) => rawObjectKey(o) === 'ConfigMap/default/held')).toBe(true);
    const last = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', [{ op: 'remove', path: '/metadata/finalizers' }], 'application/json-patch+json');
    expect(last.code).toBe(200);
    expect(door.objects.some((o) => rawObjectKey(o) === 'ConfigMap/default/held')).toBe(false);
    expect(store.get(configMaps, 'default', 'held')).toBeUndefined();
  });
  it('objects the lab made cannot be changed (405, naming their owner)', async () => {
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web' }] } }, 'lab');
    const r = await call('DELETE', '/api/v1/namespaces/default/pods/web-1');
    expect(r.code).toBe(405);
    expect(r.body.message).toContain('Deployment web');
    // A Deployment's pod is its ReplicaSet's, itself the lab's: the message names the Deployment.
    store.create(replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } }, 'lab');
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-abc-1', namespace: 'default', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc' }] } }, 'lab');
    const viaSet = await call('DELETE', '/api/v1/namespaces/default/pods/web-abc-1');
    expect(viaSet.code).toBe(405);
    expect(viaSet.body.message).toBe('pods "web-abc-1" cannot be changed through this API: it is made from its ReplicaSet web-abc of Deployment web: change the Deployment instead');
  });
  it('deleting a pod its ReplicaSet or StatefulSet controls hands it to the lab to make again (200); other changes to it stay 405; a pod of no controller stays', async () => {
    const ref = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, uid: 'u', controller: true }];
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'shop-abc-2', namespace: 'default', ownerReferences: ref('ReplicaSet', 'shop-abc') } }, 'lab');
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'default', ownerReferences: ref('StatefulSet', 'db') } }, 'lab');
    const r = await call('DELETE', '/api/v1/namespaces/default/pods/shop-abc-2');
    expect(r.code).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'shop-abc-2', kind: 'pods' } });
    expect(door.replaced).toEqual(['default/shop-abc-2']);
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/shop-abc-2?dryRun=All')).code).toBe(200);
    expect(door.replaced).toEqual(['default/shop-abc-2']);
    expect((await call('PATCH', '/api/v1/namespaces/default/pods/shop-abc-2', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).code).toBe(405);
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/db-0')).code).toBe(200);
    expect(door.replaced).toEqual(['default/shop-abc-2', 'default/db-0']);
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lone', namespace: 'default', ownerReferences: [{ kind: 'Node', name: 'node-1' }] } }, 'lab');
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/lone')).code).toBe(405);
  });
});

describe('graceful pod deletion over HTTPS with an in-memory door', () => {
  const { store, door, creds, at } = serveWithFakeDoor('podnet-api-grace-');
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
      const text = body === undefined ? '' : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port: at.port, method, path, ca: creds.caCert, headers: { authorization: `Bearer ${creds.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(out) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(text);
    });
  const pod = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
  const meta = (r: { body: Record<string, unknown> }) => r.body.metadata as { deletionTimestamp?: string; deletionGracePeriodSeconds?: number; uid?: string };

  it('a bound pod is answered marked (deletionTimestamp = now + its grace period) and stays; a shorter deletion shortens it', async () => {
    const made = await call('POST', '/api/v1/namespaces/default/pods', pod('slow', { nodeName: 'node-1', terminationGracePeriodSeconds: 45 }));
    expect(made.code).toBe(201);
    const before = Date.now();
    const r = await call('DELETE', '/api/v1/namespaces/default/pods/slow');
    expect(r.code).toBe(200);
    expect(r.body.kind).toBe('Pod');
    expect(meta(r).uid).toBe(meta(made).uid);
    expect(meta(r).deletionGracePeriodSeconds).toBe(45);
    const due = Date.parse(meta(r).deletionTimestamp!);
    expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 45_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 46_000);
    expect(store.get(pods, 'default', 'slow')?.obj.metadata.deletionGracePeriodSeconds).toBe(45);
    expect(door.graces).toContainEqual(['Pod/default/slow', 45]);
    // Again with 5 s: the shorter period counts; with 60 s: the marks stay as they are.
    expect(meta(await call('DELETE', '/api/v1/namespaces/default/pods/slow', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 })).deletionGracePeriodSeconds).toBe(5);
    expect(store.get(pods, 'default', 'slow')?.obj.metadata.deletionGracePeriodSeconds).toBe(5);
  });

  it('the default grace period is 30 s; gracePeriodSeconds=0 (--force), an unbound pod and a finished one go at once (Status)', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('plain', { nodeName: 'node-1' }));
    expect(meta(await call('DELETE', '/api/v1/namespaces/default/pods/plain')).deletionGracePeriodSeconds).toBe(30);
    await call('POST', '/api/v1/namespaces/default/pods', pod('forced', { nodeName: 'node-1' }));
    const forced = await call('DELETE', '/api/v1/namespaces/default/pods/forced?gracePeriodSeconds=0');
    expect(forced.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(store.get(pods, 'default', 'forced')).toBeUndefined();
    expect(door.graces).toContainEqual(['Pod/default/forced', 0]);
    await call('POST', '/api/v1/namespaces/default/pods', pod('unbound', {}));
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/unbound')).body.kind).toBe('Status');
    expect(store.get(pods, 'default', 'unbound')).toBeUndefined();
    await call('POST', '/api/v1/namespaces/default/pods', pod('done', { nodeName: 'node-1' }));
    const done = store.get(pods, 'default', 'done')!.obj;
    store.update(pods, { ...done, metadata: { ...done.metadata, resourceVersion: undefined }, status: { phase: 'Succeeded' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/done')).body.kind).toBe('Status');
  });

  it('a gracePeriodSeconds that is no integer is a 400; a negative one is 1 (the pod strategy\'s rule)', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('bad', { nodeName: 'node-1' }));
    for (const q of ['1.5', 'soon']) {
      const r = await call('DELETE', `/api/v1/namespaces/default/pods/bad?gracePeriodSeconds=${q}`);
      expect(r.code).toBe(400);
      expect(String(r.body.message)).toContain('gracePeriodSeconds');
    }
    expect(store.get(pods, 'default', 'bad')?.obj.metadata.deletionTimestamp).toBeUndefined();
    expect(meta(await call('DELETE', '/api/v1/namespaces/default/pods/bad?gracePeriodSeconds=-1')).deletionGracePeriodSeconds).toBe(1);
  });

  it('a ReplicaSet\'s pod is marked too; a StatefulSet\'s (made again under its name) goes at once', async () => {
    const ref = (kind: string, name: string) => [{ apiVersion: 'apps/v1', kind, name, uid: 'u', controller: true }];
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rs-abc-1', namespace: 'default', ownerReferences: ref('ReplicaSet', 'rs-abc') }, spec: { nodeName: 'node-2' } }, 'lab');
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'default', ownerReferences: ref('StatefulSet', 'db') }, spec: { nodeName: 'node-2' } }, 'lab');
    const r = await call('DELETE', '/api/v1/namespaces/default/pods/rs-abc-1');
    expect(r.body.kind).toBe('Pod');
    expect(meta(r).deletionGracePeriodSeconds).toBe(30);
    expect(door.graces).toContainEqual(['default/rs-abc-1', 30]);
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/db-0')).body.kind).toBe('Status');
    expect(door.graces).toContainEqual(['default/db-0', 0]);
  });
});

describe('server-side apply and managedFields over HTTPS with an in-memory door', () => {
  const { store, door, creds, at } = serveWithFakeDoor('podnet-api-ssa-');
  const call = (method: string, path: string, body: string, type: string) =>
    new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: at.port, method, path, ca: creds.caCert, headers: { authorization: `Bearer ${creds.token}`, 'content-type': type, 'content-length': Buffer.byteLength(body), 'user-agent': 'kubectl/v1.32.0 (linux/amd64)' } }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(out) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const APPLY = 'application/apply-patch+yaml';
  const path = '/api/v1/namespaces/default/configmaps/ssa';
  const managers = (o: Record<string, unknown>) => ((o.metadata as { managedFields?: { manager: string; operation: string }[] }).managedFields ?? []).map((m) => `${m.manager}:${m.operation}`);

  it('an apply creates (201) with the manager\'s fields; fieldManager is required (422)', async () => {
    expect((await call('PATCH', path, 'data: {a: "1"}', APPLY)).code).toBe(422);
    const r = await call('PATCH', `${path}?fieldManager=alice`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1", b: "2"}\n', APPLY);
    expect(r.code).toBe(201);
    expect(r.body.data).toEqual({ a: '1', b: '2' });
    expect(managers(r.body)).toEqual(['alice:Apply']);
  });
  it('another manager\'s change of an applied field is a 409 for the applier unless force; a field the applier drops goes', async () => {
    const upd = await call('PATCH', path, JSON.stringify({ data: { a: 'changed' } }), 'application/merge-patch+json');
    expect(upd.code).toBe(200);
    expect(managers(upd.body)).toEqual(['alice:Apply', 'kubectl:Update']); // the User-Agent up to its first "/"
    const conflict = await call('PATCH', `${path}?fieldManager=alice`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1"}\n', APPLY);
    expect(conflict.code).toBe(409);
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.a');
    const forced = await call('PATCH', `${path}?fieldManager=alice&force=true`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1"}\n', APPLY);
    expect(forced.code).toBe(200);
    expect(forced.body.data).toEqual({ a: '1' }); // b: applied before, not now, owned by nobody else
    expect(managers(forced.body)).toEqual(['alice:Apply']);
  });
  it('an apply with a field the schema lacks is a 400, as upstream cannot type it', async () => {
    const r = await call('PATCH', `${path}?fieldManager=alice`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndta: {a: "1"}\n', APPLY);
    expect(r.code).toBe(400);
    expect(r.body.message).toContain('.dta: field not declared in schema');
  });
});

describe('showWrite: an accepted write in the store at once', () => {
  it('creates, updates keeping the lab\'s fields (status, a Service\'s cluster IP), deletes only the user\'s objects', () => {
    const store = new Store();
    const services = findResource('', 'v1', 'services')!;
    showWrite(store, [{ key: 'Service/default/web', obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } } }]);
    const made = store.get(services, 'default', 'web')!;
    expect(made.origin).toBe('user');
    store.update(services, { ...made.obj, spec: { ports: [{ port: 80 }], clusterIP: '10.96.0.20' }, status: { loadBalancer: {} }, metadata: { ...made.obj.metadata, resourceVersion: undefined } });
    showWrite(store, [{ key: 'Service/default/web', obj: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { a: 'b' } }, spec: { ports: [{ port: 81 }] } } }]);
    expect(store.get(services, 'default', 'web')!.obj).toMatchObject({ metadata: { labels: { a: 'b' } }, spec: { ports: [{ port: 81 }], clusterIP: '10.96.0.20' }, status: { loadBalancer: {} } });
    store.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default' } }, 'lab');
    showWrite(store, [{ key: 'Service/default/web' }, { key: 'Pod/default/web-1' }]);
    expect(store.get(services, 'default', 'web')).toBeUndefined();
    expect(store.get(pods, 'default', 'web-1')).toBeDefined();
  });
});

describe('log tails', () => {
  it('the last N lines, a final newline ending the last line, not starting one', () => {
    const t = (s: string, n: number) => tail(Buffer.from(s), n).toString();
    expect(t('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(t('a\nb\nc', 2)).toBe('b\nc');
    expect(t('a\nb\n', 5)).toBe('a\nb\n');
    expect(t('a\n', 0)).toBe('');
    expect(t('', 3)).toBe('');
  });
});
