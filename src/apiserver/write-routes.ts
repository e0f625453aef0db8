/**
 * POST, PUT, PATCH and DELETE on the lab's resources: each works out its change from the store
 * (src/apiserver/writes.ts, src/apiserver/patch.ts), hands it to the lab's door (the path of
 * `podnet apply`), and answers with the object as the store holds it once the lab has it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rawObjectKey } from '../api/default-namespace.js';
import { ApiError, badRequest } from './errors.js';
import type { Change, WriteDoor } from './lab-door.js';
import { fieldValidationOf, goFormat, strictDecodingMessage, strictPatchError, unknownFieldMessage, unknownFields } from './field-validation.js';
import { applyPatch, patchTypeOf, PatchError, type PatchType } from './patch.js';
import { decodeProtobuf, PROTOBUF, ProtobufError } from './protobuf.js';
import { hasScale, scaled, scaleOf } from './scale.js';
import { filterObjects } from './query.js';
import type { ResourceRequest } from './routes.js';
import { groupVersion, type ResourceInfo } from './resources.js';
import type { Obj, Store } from './store.js';
import { checkPatched, checkPrecondition, deleteOptions, forCreate, forUpdate, isDryRun, userObject } from './writes.js';

/** kube-apiserver's limit on a request body ("request entity too large: limit is 3145728"). */
export const MAX_BODY = 3 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', `request entity too large: limit is ${MAX_BODY}`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * A request body as a JSON value: JSON (and its +json media types), or Kubernetes protobuf —
 * what kubectl's typed clients send (`kubectl create configmap|namespace|secret …`) —
 * decoded to the object its JSON form would be.
 */
function parseJson(body: Buffer, type: string | undefined, required: boolean): unknown {
  if (body.length === 0) {
    if (required) throw badRequest('the body of the request is empty: an object is required');
    return undefined;
  }
  const media = (type ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (media === PROTOBUF) {
    try {
      return decodeProtobuf(body).object;
    } catch (e) {
      if (e instanceof ProtobufError) throw badRequest(`the body of the request is not a Kubernetes protobuf object: ${e.message}`);
      throw e;
    }
  }
  if (!/^application\/([a-z-]+\+)?json$/.test(media)) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${media} (this server reads JSON and ${PROTOBUF})`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`the body of the request is not JSON: ${(e as Error).message}`);
  }
}

const change = (obj: Obj): Change => {
  const kept = userObject(obj);
  return { key: rawObjectKey({ obj: kept }), obj: kept };
};

/** Objects the lab makes (a workload's pods, nodes, slices) are not the user's to change. */
function mustBeUsers(store: Store, ri: ResourceInfo, namespace: string, name: string): Obj {
  const e = store.mustGet(ri, namespace, name);
  if (e.origin !== 'user' && ri.resource !== 'namespaces') {
    const owner = ((e.obj.metadata.ownerReferences ?? []) as { kind?: string; name?: string }[])[0];
    const why = owner ? `it is made from its ${String(owner.kind)} ${String(owner.name)}: change that instead` : 'the lab makes it';
    throw new ApiError(405, 'MethodNotAllowed', `${ri.resource} "${name}" cannot be changed through this API: ${why}`, { name, group: ri.group, kind: ri.resource });
  }
  return e.obj;
}

/**
 * `fieldValidation` of a create or update body: Strict refuses unknown fields (400, "strict
 * decoding error"), Warn (kube-apiserver's default) answers them as warnings, Ignore says nothing.
 */
function validateFields(ri: ResourceInfo, body: unknown, value: string | null, options: 'CreateOptions' | 'UpdateOptions'): string[] {
  const mode = fieldValidationOf(value, options);
  if (mode === 'Ignore') return [];
  const gvk = { apiVersion: groupVersion(ri), kind: ri.kind };
  const paths = unknownFields(body, gvk);
  if (paths.length > 0 && mode === 'Strict') throw badRequest(strictDecodingMessage(gvk, paths));
  return paths.map(unknownFieldMessage);
}

/** The same for a patch, on the patched object: Strict is a 422 naming the patch. */
function validatePatched(ri: ResourceInfo, type: PatchType, patch: unknown, patched: unknown, value: string | null): string[] {
  const mode = fieldValidationOf(value, 'PatchOptions');
  if (mode === 'Ignore') return [];
  const paths = unknownFields(patched, { apiVersion: groupVersion(ri), kind: ri.kind });
  // Upstream prints the patched object's JSON for json and merge patches, the patch map for strategic ones.
  if (paths.length > 0 && mode === 'Strict') throw strictPatchError(type === 'strategic' ? goFormat(patch) : JSON.stringify(patched), paths);
  return paths.map(unknownFieldMessage);
}

/** A patch applied, its errors as the API answers them. */
function patchWith(type: PatchType, current: unknown, patch: unknown, gvk: { apiVersion: string; kind: string }): unknown {
  try {
    return applyPatch(type, current, patch, gvk);
  } catch (e) {
    if (!(e instanceof PatchError)) throw e;
    const reason = { 409: 'Conflict', 415: 'UnsupportedMediaType', 422: 'Invalid' }[e.code as number] ?? 'BadRequest';
    throw new ApiError(e.code, reason, e.message);
  }
}

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
  const withKind = (o: Obj) => ({ apiVersion: groupVersion(ri), kind: ri.kind, ...o });

  if (method === 'POST' && name === undefined) {
    const json = parseJson(body, req.headers['content-type'], true);
    const dryRun = isDryRun(q.getAll('dryRun'));
    const unknown = validateFields(ri, json, q.get('fieldValidation'), 'CreateOptions');
    let made: Obj | undefined;
    const out = await door.write(() => {
      made = forCreate(ri, namespace, json, store);
      return [change(made)];
    }, dryRun);
    const m = made!;
    return send(201, dryRun ? { ...m, metadata: { ...m.metadata, uid: globalThis.crypto.randomUUID(), creationTimestamp: new Date().toISOString() } } : withKind(stored(m.metadata.name, m)), [...unknown, ...out.warnings]);
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
      next = scaled(current, wanted);
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
      mustBeUsers(store, ri, ns, name);
      return [change(next)];
    }, dryRun);
    return send(200, dryRun ? next : withKind(stored(name, next!)), [...unknown, ...out.warnings]);
  }
  if (method === 'PATCH' && name !== undefined) {
    const type = patchTypeOf(req.headers['content-type']);
    if (type === undefined) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
    if (type === 'apply') throw new ApiError(415, 'UnsupportedMediaType', 'server-side apply (application/apply-patch+yaml) is not supported by this server yet: use client-side kubectl apply');
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
      return [change(next)];
    }, dryRun);
    return send(200, dryRun ? next : withKind(stored(name, next!)), [...unknown, ...out.warnings]);
  }
  if (method === 'DELETE' && name !== undefined) {
    const opts = deleteOptions(parseJson(body, req.headers['content-type'], false), q);
    let details: Record<string, unknown> = {};
    const out = await door.write((objects) => {
      if (ri.resource === 'namespaces' && UNDELETABLE.has(name)) throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
      const current = mustBeUsers(store, ri, ns, name);
      checkPrecondition(ri, current, opts.resourceVersion, opts.uid);
      details = { name, group: ri.group, kind: ri.resource, uid: current.metadata.uid };
      const own: Change[] = [change(current)].map((c) => ({ key: c.key }));
      // Deleting a namespace deletes everything in it (the namespace controller's job upstream).
      if (ri.resource === 'namespaces') own.push(...objects.filter((o) => (o.obj.metadata as { namespace?: string } | undefined)?.namespace === name).map((o) => ({ key: rawObjectKey(o) })));
      return own;
    }, opts.dryRun);
    return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, out.warnings);
  }
  if (method === 'DELETE' && name === undefined) return deleteCollection(req, store, door, ri, namespace, q, body, send);
  throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${ri.resource}${name === undefined ? '' : ` "${name}"`}`);
}

/** DELETE on a collection: every object of the user's the selectors match; answers with them as a list. */
async function deleteCollection(req: IncomingMessage, store: Store, door: WriteDoor, ri: ResourceInfo, namespace: string | undefined, q: URLSearchParams, body: Buffer, send: (code: number, obj: unknown, w?: string[]) => void): Promise<void> {
  const opts = deleteOptions(parseJson(body, req.headers['content-type'], false), q);
  const filter = { label: q.get('labelSelector') ?? undefined, field: q.get('fieldSelector') ?? undefined };
  let items: Obj[] = [];
  const out = await door.write(() => {
    const entries = store.list(ri, namespace).filter((e) => e.origin === 'user' && !(ri.resource === 'namespaces' && UNDELETABLE.has(e.obj.metadata.name)));
    items = filterObjects(ri.resource, ri.kind, entries.map((e) => e.obj), filter);
    return items.map((o) => ({ key: change(o).key }));
  }, opts.dryRun);
  send(200, { kind: `${ri.kind}List`, apiVersion: groupVersion(ri), metadata: { resourceVersion: String(store.rv) }, items }, out.warnings);
}
