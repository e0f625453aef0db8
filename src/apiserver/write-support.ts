/**
 * What the write routes share: reading a body (JSON, protobuf; ≤ 3 MiB), the lab's change an
 * object makes, who may change an object, fieldValidation, patches with their errors as the API
 * answers them.
 */
import type { IncomingMessage } from 'node:http';
import { rawObjectKey } from '../api/default-namespace.js';
import { ApiError, badRequest } from './errors.js';
import { fieldValidationOf, goFormat, strictDecodingMessage, strictPatchError, unknownFieldMessage, unknownFields } from './field-validation.js';
import type { Change } from './lab-door.js';
import { applyPatch, PatchError, type PatchType } from './patch.js';
import { decodeProtobuf, PROTOBUF, ProtobufError } from './protobuf.js';
import { groupVersion, resourceOfKind, type ResourceInfo } from './resources.js';
import type { Obj, Store } from './store.js';
import { afterFinalizers, userObject } from './writes.js';

/** kube-apiserver's limit on a request body ("request entity too large: limit is 3145728"). */
export const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
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
export function parseJson(body: Buffer, type: string | undefined, required: boolean): unknown {
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

export const change = (obj: Obj): Change => {
  const kept = userObject(obj);
  return { key: rawObjectKey({ obj: kept }), obj: kept };
};

/** An update's change: the object put, or removed when it was being deleted and lost its last finalizer. */
export function updateChange(ri: ResourceInfo, current: Obj, next: Obj): Change {
  const c = change(next);
  return afterFinalizers(ri, current, next) === 'gone' ? { key: c.key } : c;
}

const REPLICA_SETS = resourceOfKind('apps/v1', 'ReplicaSet')!;

/** Objects the lab makes (a workload's pods, nodes, slices) are not the user's to change. */
export function mustBeUsers(store: Store, ri: ResourceInfo, namespace: string, name: string): Obj {
  const e = store.mustGet(ri, namespace, name);
  if (e.origin !== 'user' && ri.resource !== 'namespaces') {
    const owner = ((e.obj.metadata.ownerReferences ?? []) as { kind?: string; name?: string }[])[0];
    // A Deployment's pod is its ReplicaSet's, which the lab makes too: name what the user can change.
    const rs = owner?.kind === 'ReplicaSet' ? store.get(REPLICA_SETS, namespace, String(owner.name)) : undefined;
    const top = rs?.origin === 'lab' ? ((rs.obj.metadata.ownerReferences ?? []) as { kind?: string; name?: string }[])[0] : undefined;
    const made = top ? `its ${String(owner!.kind)} ${String(owner!.name)} of ${String(top.kind)} ${String(top.name)}` : owner ? `its ${String(owner.kind)} ${String(owner.name)}` : '';
    const why = made ? `it is made from ${made}: change ${top ? `the ${String(top.kind)}` : 'that'} instead` : 'the lab makes it';
    throw new ApiError(405, 'MethodNotAllowed', `${ri.resource} "${name}" cannot be changed through this API: ${why}`, { name, group: ri.group, kind: ri.resource });
  }
  return e.obj;
}

/**
 * `fieldValidation` of a create or update body: Strict refuses unknown fields (400, "strict
 * decoding error"), Warn (kube-apiserver's default) answers them as warnings, Ignore says nothing.
 */
export function validateFields(ri: ResourceInfo, body: unknown, value: string | null, options: 'CreateOptions' | 'UpdateOptions'): string[] {
  const mode = fieldValidationOf(value, options);
  if (mode === 'Ignore') return [];
  const gvk = { apiVersion: groupVersion(ri), kind: ri.kind };
  const paths = unknownFields(body, gvk);
  if (paths.length > 0 && mode === 'Strict') throw badRequest(strictDecodingMessage(gvk, paths));
  return paths.map(unknownFieldMessage);
}

/** The same for a patch, on the patched object: Strict is a 422 naming the patch. */
export function validatePatched(ri: ResourceInfo, type: PatchType, patch: unknown, patched: unknown, value: string | null): string[] {
  const mode = fieldValidationOf(value, 'PatchOptions');
  if (mode === 'Ignore') return [];
  const paths = unknownFields(patched, { apiVersion: groupVersion(ri), kind: ri.kind });
  // Upstream prints the patched object's JSON for json and merge patches, the patch map for strategic ones.
  if (paths.length > 0 && mode === 'Strict') throw strictPatchError(type === 'strategic' ? goFormat(patch) : JSON.stringify(patched), paths);
  return paths.map(unknownFieldMessage);
}

/** A patch applied, its errors as the API answers them. */
export function patchWith(type: PatchType, current: unknown, patch: unknown, gvk: { apiVersion: string; kind: string }): unknown {
  try {
    return applyPatch(type, current, patch, gvk);
  } catch (e) {
    if (!(e instanceof PatchError)) throw e;
    const reason = { 409: 'Conflict', 415: 'UnsupportedMediaType', 422: 'Invalid' }[e.code as number] ?? 'BadRequest';
    throw new ApiError(e.code, reason, e.message);
  }
}

