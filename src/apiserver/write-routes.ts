/**
 * POST, PUT, PATCH and DELETE on the lab's resources: each works out its change from the store
 * (src/apiserver/writes.ts, patch.ts, ssa.ts), hands it to the lab's door (checked as `podnet
 * apply` checks, stored, then reconciled), and answers with the object as the store holds it.
 * Every create, update and patch records its field manager in metadata.managedFields.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { withDefaults } from '../api/defaults.js';
import { rawObjectKey } from '../api/default-namespace.js';
import { ApiError } from './errors.js';
import type { Change, WriteDoor } from './lab-door.js';
import { patchTypeOf } from './patch.js';
import { hasScale, scaled, scaleOf } from './scale.js';
import { filterObjects } from './query.js';
import type { ResourceRequest } from './routes.js';
import { groupVersion, type ResourceInfo } from './resources.js';
import { checkPatchOptions, managerOf, trackUpdate } from './ssa.js';
import type { Obj, Store } from './store.js';
import { handleApply } from './apply-route.js';
import { orphanedDependents } from './orphans.js';
import { controllerRef } from './replica-sets.js';
import { change, mustBeUsers, parseJson, patchWith, readBody, updateChange, validateFields, validatePatched } from './write-support.js';
import { checkPatched, checkPrecondition, deleteOptions, finalizersOf, forCreate, forUpdate, isDryRun, markedForDeletion } from './writes.js';

/** The namespaces kube-apiserver never deletes. */
const UNDELETABLE = new Set(['default', 'kube-system', 'kube-public']);

export async function handleWrite(req: IncomingMessage, res: ServerResponse, store: Store, door: WriteDoor, target: ResourceRequest, q: URLSearchParams): Promise<void> {
  const { ri, name, subresource } = target;
  const namespace = ri.namespaced ? target.namespace : undefined;
  const ns = namespace ?? '';
  const method = req.method ?? '';
  if (ri.namespaced && target.namespace === undefined && method !== 'DELETE') throw new ApiError(405, 'MethodNotAllowed', `${method} needs a namespace: /namespaces/NAMESPACE/${ri.resource}`);
  if (subresource === 'status') throw new ApiError(405, 'MethodNotAllowed', `the status of ${ri.resource} is written by the lab`);
  const scale = subresource === 'scale' && hasScale(ri) && name !== undefined && (method === 'PUT' || method === 'PATCH');
  if (subresource !== undefined && !scale) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  const body = await readBody(req);
  const send = (code: number, obj: unknown, warnings: string[] = []) => {
    const text = JSON.stringify(obj);
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
    // Warnings as kube-apiserver sends them ("Warning: 299 - <quoted text>"); kubectl prints them.
    if (warnings.length > 0) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`);
    res.writeHead(code, headers).end(text);
  };
  const stored = (n: string, fallback: Obj) => store.get(ri, ns, n)?.obj ?? fallback;
  const gvk = { apiVersion: groupVersion(ri), kind: ri.kind };
  const manager = managerOf(q.get('fieldManager'), req.headers['user-agent']);
  // managedFields a write changes are taken as given (how kubectl moves client-side apply's
  // fields to server-side apply: a JSON patch of metadata.managedFields), then the write's own
  // changes are recorded on top.
  const track = (old: Obj | undefined, next: Obj, subresource?: string) => {
    const given = next.metadata.managedFields;
    const base = old && given !== undefined && JSON.stringify(given) !== JSON.stringify(old.metadata.managedFields) ? { ...old, metadata: { ...old.metadata, managedFields: given } } : old;
    return trackUpdate(base, next, { manager, gvk, now: new Date().toISOString(), subresource });
  };
  const withKind = (o: Obj) => ({ apiVersion: groupVersion(ri), kind: ri.kind, ...o });
  // A dry run answers the object as it would be stored: with the server's defaults (kubectl diff
  // compares it with the live object, which has them).
  const asStored = (o: Obj) => withDefaults(withKind(o)) as Obj;

  if (method === 'POST' && name === undefined) {
    const json = parseJson(body, req.headers['content-type'], true);
    const dryRun = isDryRun(q.getAll('dryRun'));
    const unknown = validateFields(ri, json, q.get('fieldValidation'), 'CreateOptions');
    let made: Obj | undefined;
    const out = await door.write(() => {
      made = track(undefined, forCreate(ri, namespace, json, store));
      return [change(made)];
    }, dryRun);
    const m = made!;
    return send(201, dryRun ? asStored({ ...m, metadata: { ...m.metadata, uid: globalThis.crypto.randomUUID(), creationTimestamp: new Date().toISOString() } }) : withKind(stored(m.metadata.name, m)), [...unknown, ...out.warnings]);
  }
  if (scale) {
    // PUT or PATCH of a Scale: the workload's spec.replicas changes, nothing else.
    const type = method === 'PUT' ? 'put' : patchTypeOf(req.headers['content-type']);
    if (type === undefined || type === 'apply') throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json');
    const json = parseJson(body, method === 'PUT' ? req.headers['content-type'] : 'application/json', true);
    const dryRun = isDryRun(q.getAll('dryRun'));
    let next: Obj | undefined;
    const out = await door.write(() => {
      const current = mustBeUsers(store, ri, ns, name!);
      const wanted = type === 'put' ? json : patchWith(type, scaleOf(current), json, { apiVersion: 'autoscaling/v1', kind: 'Scale' });
      const rv = (wanted as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
      checkPrecondition(ri, current, rv !== current.metadata.resourceVersion ? rv : undefined);
      next = track(current, scaled(current, wanted), 'scale');
      return [change(next)];
    }, dryRun);
    return send(200, scaleOf(dryRun ? next! : stored(name!, next!)), out.warnings);
  }
  if (method === 'PUT' && name !== undefined) {
    const json = parseJson(body, req.headers['content-type'], true);
    const dryRun = isDryRun(q.getAll('dryRun'));
    const unknown = validateFields(ri, json, q.get('fieldValidation'), 'UpdateOptions');
    let next: Obj | undefined;
    const out = await door.write(() => {
      next = forUpdate(ri, namespace, name, json, store);
      const current = mustBeUsers(store, ri, ns, name);
      next = track(current, next);
      return [updateChange(ri, current, next)];
    }, dryRun);
    return send(200, dryRun ? asStored(next!) : withKind(stored(name, next!)), [...unknown, ...out.warnings]);
  }
  if (method === 'PATCH' && name !== undefined) {
    const type = patchTypeOf(req.headers['content-type']);
    if (type === undefined) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    checkPatchOptions(q.get('fieldManager'), type === 'apply', q.get('force'));
    if (type === 'apply') return handleApply({ ri, namespace, name, body, q, store, door, manager, send });
    const patch = parseJson(body, 'application/json', true);
    const dryRun = isDryRun(q.getAll('dryRun'));
    let next: Obj | undefined;
    let unknown: string[] = [];
    const out = await door.write(() => {
      const current = mustBeUsers(store, ri, ns, name);
      const patched = patchWith(type, current, patch, { apiVersion: groupVersion(ri), kind: ri.kind });
      unknown = validatePatched(ri, type, patch, patched, q.get('fieldValidation'));
      next = checkPatched(ri, current, patched);
      // A resourceVersion the patch sets is a precondition, as an update's is.
      const rv = next.metadata.resourceVersion;
      checkPrecondition(ri, current, rv !== current.metadata.resourceVersion ? rv : undefined);
      next = track(current, next);
      return [updateChange(ri, current, next)];
    }, dryRun);
    return send(200, dryRun ? asStored(next!) : withKind(stored(name, next!)), [...unknown, ...out.warnings]);
  }
  if (method === 'DELETE' && name !== undefined) {
    const opts = deleteOptions(parseJson(body, req.headers['content-type'], false), q);
    const replaced = replaceablePod(store, ri, ns, name);
    if (replaced) {
      // A workload's pod: gone, and its controller makes a new one (with a new name). It
      // terminates gracefully meanwhile; a StatefulSet's, made again under its name, at once.
      checkPrecondition(ri, replaced, opts.resourceVersion, opts.uid);
      const grace = controllerRef(replaced)?.kind === 'StatefulSet' ? 0 : podGrace(replaced, opts.gracePeriodSeconds);
      const out = await door.write(() => [{ key: `${ns}/${name}`, replace: true, grace }], opts.dryRun);
      const marked = grace > 0 ? store.get(ri, ns, name)?.obj : undefined;
      if (marked && !opts.dryRun) return send(200, withKind(marked), out.warnings);
      return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: ri.group, kind: ri.resource, uid: replaced.metadata.uid } }, out.warnings);
    }
    let graceful = false;
    let details: Record<string, unknown> = {};
    let held: Obj | undefined;
    const out = await door.write((objects) => {
      if (ri.resource === 'namespaces' && UNDELETABLE.has(name)) throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
      const current = mustBeUsers(store, ri, ns, name);
      checkPrecondition(ri, current, opts.resourceVersion, opts.uid);
      // Finalizers hold it: marked for deletion, it stays (and runs) until the last one is removed.
      if (finalizersOf(current).length > 0 && ri.resource !== 'namespaces') {
        held = markedForDeletion(current, new Date().toISOString());
        return [];
      }
      details = { name, group: ri.group, kind: ri.resource, uid: current.metadata.uid };
      // A pod is deleted gracefully: marked, it terminates, and goes when its containers have stopped.
      const grace = isPod(ri) ? podGrace(current, opts.gracePeriodSeconds) : undefined;
      graceful = grace !== undefined && grace > 0;
      const own: Change[] = [change(current)].map((c) => ({ key: c.key, ...(grace !== undefined ? { grace } : {}) }));
      // Orphan: the dependents stay, as objects of their own (orphans.ts).
      if (opts.propagationPolicy === 'Orphan') own.push(...orphanedDependents(store, ri, current).map(change));
      // Deleting a namespace deletes everything in it (the namespace controller's job upstream).
      if (ri.resource === 'namespaces') own.push(...objects.filter((o) => (o.obj.metadata as { namespace?: string } | undefined)?.namespace === name).map((o) => ({ key: rawObjectKey(o) })));
      return own;
    }, opts.dryRun);
    if (held) {
      if (!opts.dryRun && held !== store.get(ri, ns, name)?.obj) store.update(ri, { ...held, metadata: { ...held.metadata, resourceVersion: undefined } }, 'user');
      return send(200, withKind(opts.dryRun ? asStored(held) : stored(name, held)), out.warnings);
    }
    // A pod deleted gracefully is answered as it now is, marked (kube-apiserver answers with the object while it terminates).
    const marked = graceful && !opts.dryRun ? store.get(ri, ns, name)?.obj : undefined;
    if (marked) return send(200, withKind(marked), out.warnings);
    return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, out.warnings);
  }
  if (method === 'DELETE' && name === undefined) return deleteCollection(req, store, door, ri, namespace, q, body, send);
  throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${ri.resource}${name === undefined ? '' : ` "${name}"`}`);
}

/** The workload kinds whose controllers make a deleted pod again: under a new name, or (a
 *  StatefulSet's) under the same name as a new incarnation. */
const REPLACING = new Set(['ReplicaSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicationController', 'StatefulSet']);

/**
 * A pod the lab made for a workload that replaces deleted pods (a Deployment's ReplicaSet, a
 * ReplicaSet, StatefulSet, DaemonSet, Job): the pod to delete; undefined for any other object.
 */
function replaceablePod(store: Store, ri: ResourceInfo, namespace: string, name: string): Obj | undefined {
  if (ri.resource !== 'pods' || ri.group !== '') return undefined;
  const e = store.get(ri, namespace, name);
  if (!e || e.origin !== 'lab') return undefined;
  const owner = controllerRef(e.obj);
  return owner && REPLACING.has(String(owner.kind)) ? e.obj : undefined;
}

const isPod = (ri: ResourceInfo) => ri.resource === 'pods' && ri.group === '';

/**
 * The grace period of a pod's deletion (pod strategy's CheckGracefulDelete): the request's
 * gracePeriodSeconds ("user has specified a value"), else spec.terminationGracePeriodSeconds
 * (30 by default); 0 — at once — for a pod that is not bound to a node or has finished ("if the
 * pod is not scheduled, delete immediately"; "if the pod is already terminated, delete
 * immediately"); a negative one is 1.
 */
function podGrace(pod: Obj, asked: number | undefined): number {
  const spec = (pod.spec ?? {}) as { nodeName?: unknown; terminationGracePeriodSeconds?: unknown };
  const phase = ((pod.status ?? {}) as { phase?: unknown }).phase;
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '' || phase === 'Succeeded' || phase === 'Failed') return 0;
  if (asked !== undefined) return asked < 0 ? 1 : asked;
  const own = pod.metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds;
  return typeof own === 'number' && Number.isInteger(own) && own >= 0 ? own : 30;
}

/** DELETE on a collection: every object of the user's the selectors match; answers with them as a list. */
async function deleteCollection(req: IncomingMessage, store: Store, door: WriteDoor, ri: ResourceInfo, namespace: string | undefined, q: URLSearchParams, body: Buffer, send: (code: number, obj: unknown, w?: string[]) => void): Promise<void> {
  const opts = deleteOptions(parseJson(body, req.headers['content-type'], false), q);
  const filter = { label: q.get('labelSelector') ?? undefined, field: q.get('fieldSelector') ?? undefined };
  let items: Obj[] = [];
  const out = await door.write(() => {
    const entries = store.list(ri, namespace).filter((e) => e.origin === 'user' && !(ri.resource === 'namespaces' && UNDELETABLE.has(e.obj.metadata.name)));
    items = filterObjects(ri.resource, ri.kind, entries.map((e) => e.obj), filter);
    return items.flatMap((o) => [{ key: change(o).key, ...(isPod(ri) ? { grace: podGrace(o, opts.gracePeriodSeconds) } : {}) }, ...(opts.propagationPolicy === 'Orphan' ? orphanedDependents(store, ri, o).map(change) : [])]);
  }, opts.dryRun);
  send(200, { kind: `${ri.kind}List`, apiVersion: groupVersion(ri), metadata: { resourceVersion: String(store.rv) }, items }, out.warnings);
}
