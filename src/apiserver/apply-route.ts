/**
 * Server-side apply (PATCH with application/apply-patch+yaml, `kubectl apply --server-side`):
 * the body is the manager's whole intent, as YAML or JSON; merged into the live object by
 * ssa.ts (conflicts with other managers are a 409 unless `force=true`), or the object created
 * when there is none. Then the same door as every write.
 */
import type { ServerResponse } from 'node:http';
import { parse } from 'yaml';
import { badRequest } from './errors.js';
import { unknownFields } from './field-validation.js';
import type { WriteDoor } from './lab-door.js';
import { groupVersion, type ResourceInfo } from './resources.js';
import { serverSideApply } from './ssa.js';
import type { Obj, Store } from './store.js';
import { change, mustBeUsers, updateChange } from './write-support.js';
import { bodyObject, checkPrecondition, forCreate, isDryRun } from './writes.js';

export interface ApplyRequest {
  ri: ResourceInfo;
  namespace: string | undefined;
  name: string;
  body: Buffer;
  q: URLSearchParams;
  store: Store;
  door: WriteDoor;
  manager: string;
  send: (code: number, obj: unknown, warnings?: string[]) => void;
}

function appliedConfig(body: Buffer): unknown {
  try {
    return parse(body.toString('utf8'), { maxAliasCount: 100 });
  } catch (e) {
    throw badRequest(`the applied configuration is not YAML or JSON: ${(e as Error).message}`);
  }
}

export async function handleApply(r: ApplyRequest): Promise<void> {
  const { ri, namespace, name, store } = r;
  const ns = namespace ?? '';
  const gvk = { apiVersion: groupVersion(ri), kind: ri.kind };
  const dryRun = isDryRun(r.q.getAll('dryRun'));
  const intent = bodyObject(ri, namespace, appliedConfig(r.body));
  if (intent.metadata.name !== undefined && intent.metadata.name !== name) throw badRequest(`the name of the object (${String(intent.metadata.name)}) does not match the name on the URL (${name})`);
  intent.metadata.name = name;
  // An apply carries only fields the schema knows: upstream cannot type it otherwise.
  const unknown = unknownFields(intent, gvk);
  if (unknown.length > 0) {
    throw badRequest(`failed to create typed patch object (${ri.namespaced ? `${ns}/` : ''}${name}; ${gvk.apiVersion}, Kind=${ri.kind}): ${unknown.map((p) => `.${p}: field not declared in schema`).join(', ')}`);
  }
  let result: Obj | undefined;
  let created = false;
  const out = await r.door.write(() => {
    const live = store.get(ri, ns, name);
    if (live) {
      mustBeUsers(store, ri, ns, name);
      const rv = intent.metadata.resourceVersion;
      checkPrecondition(ri, live.obj, typeof rv === 'string' ? rv : undefined);
    } else forCreate(ri, namespace, intent, store); // a create's checks: the name's rules
    created = !live;
    const { resourceVersion: _rv, ...meta } = intent.metadata;
    void _rv;
    result = serverSideApply(live?.obj, { ...intent, metadata: meta }, { manager: r.manager, force: r.q.get('force') === 'true', gvk, now: new Date().toISOString() }).object;
    return [live ? updateChange(ri, live.obj, result) : change(result)];
  }, dryRun);
  const stored = dryRun ? result! : store.get(ri, ns, name)?.obj ?? result!;
  r.send(created ? 201 : 200, { apiVersion: gvk.apiVersion, kind: ri.kind, ...stored }, out.warnings);
}
