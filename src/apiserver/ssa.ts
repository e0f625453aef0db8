/**
 * Server-side apply and field ownership (pure), after sigs.k8s.io/structured-merge-diff merge/update.go
 * and k8s.io/apimachinery pkg/util/managedfields:
 * - an apply is the manager's whole intent: its configuration merges into the live object (granular
 *   maps and structs member by member, list maps by their keys, sets by value, anything atomic
 *   replaced); a field it applied last time and leaves out now is removed unless another manager
 *   owns it; a field another manager owns whose value the apply changes is a conflict (409) unless
 *   `force`, which takes it from that manager; equal values are shared, not conflicts;
 * - any other write (create, update, patch) is operation Update: the fields it adds or changes
 *   become its manager's and leave every other manager's set ("PUT/PATCH always force");
 * - apiVersion, kind and server-set metadata are never owned (stripmeta.go), nor status on the main
 *   resource (the status subresource's reset fields).
 * Simplifications: a merged list keeps live order and appends new items; a pruned item is kept
 * whole while anyone owns something inside it; managedFields a write sends are not honoured.
 */
import { ApiError } from './errors.js';
import { clone, isObject, type JsonObject, put } from './patch-json.js';
import type { Obj } from './store.js';
import {
  childShape, compare, difference, type FieldSet, fieldSetOf, fromFieldsV1, intersection, isEmpty, itemElement, members, newSet, nodeAt,
  pathString, rootShape, type Shape, toFieldsV1, union,
} from './managed-fields.js';

type Gvk = { apiVersion: string; kind: string };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}
interface Managed { manager: string; operation: 'Apply' | 'Update'; apiVersion: string; time?: string; subresource?: string; set: FieldSet }

/** ValidateFieldManager: FieldManagerMaxLength = 128 (bytes). */
export const FIELD_MANAGER_MAX = 128;

/** Upstream's default manager: `fieldManager`, else the User-Agent up to its first `/`, printable runes only, at most 128 bytes; "unknown" if nothing is left. */
export function managerOf(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  let out = '';
  for (const r of (userAgent ?? '').split('/')[0]) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(r)) continue;
    if (new TextEncoder().encode(out + r).length > FIELD_MANAGER_MAX) break;
    out += r;
  }
  return out === '' ? 'unknown' : out;
}

/** ValidatePatchOptions / ValidateFieldManager as errors.NewInvalid(meta.k8s.io PatchOptions, ""): 422. */
export function checkPatchOptions(fieldManager: string | null, apply: boolean, force: string | null): void {
  const errs: { reason: string; field: string; message: string }[] = [];
  if (!apply && force !== null) errs.push({ reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' });
  if (apply && !fieldManager) errs.push({ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  if (fieldManager && new TextEncoder().encode(fieldManager).length > FIELD_MANAGER_MAX) errs.push({ reason: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${FIELD_MANAGER_MAX} bytes` });
  if (errs.length === 0) return;
  const text = errs.map((e) => `${e.field}: ${e.message}`);
  throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`, { group: 'meta.k8s.io', kind: 'PatchOptions', causes: errs });
}

/** stripmeta.go: members never recorded as owned (metadata itself only as a member, not its fields). */
const STRIP = fromFieldsV1({ 'f:apiVersion': {}, 'f:kind': {}, 'f:metadata': { '.': {}, ...Object.fromEntries(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => [`f:${f}`, {}])) } });
function owned(set: FieldSet, subresource: string | undefined): FieldSet {
  const out = difference(set, STRIP);
  // Reset fields: the main resource does not write status, the status subresource writes only it.
  if (subresource === undefined) out.children.delete('f:status');
  else if (subresource === 'status') for (const pe of [...out.children.keys()]) if (pe !== 'f:status') out.children.delete(pe);
  return out;
}

const sameId = (a: Managed, b: Managed) => a.manager === b.manager && a.operation === b.operation && (a.operation === 'Apply' || a.apiVersion === b.apiVersion) && (a.subresource ?? '') === (b.subresource ?? '');

function decode(obj: Obj | undefined): Managed[] {
  const list = obj?.metadata.managedFields;
  if (!Array.isArray(list)) return [];
  const out: Managed[] = [];
  for (const e of list.slice(0, 1000)) {
    if (!isObject(e) || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue;
    out.push({ manager: e.manager, operation: e.operation, apiVersion: String(e.apiVersion ?? ''), time: typeof e.time === 'string' ? e.time : undefined, subresource: typeof e.subresource === 'string' && e.subresource !== '' ? e.subresource : undefined, set: fromFieldsV1(e.fieldsV1 ?? {}) });
  }
  return out;
}

const seconds = (t: string | undefined) => (t === undefined ? 0 : Math.floor((Date.parse(t) || 0) / 1000));
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** sortEncodedManagedFields: by operation (Apply first), time (seconds), manager, apiVersion, subresource. */
const order = (p: Managed, q: Managed) => cmpStr(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmpStr(p.manager, q.manager) || cmpStr(p.apiVersion, q.apiVersion) || cmpStr(p.subresource ?? '', q.subresource ?? '');

function encode(list: Managed[]): ManagedFieldsEntry[] {
  return list.filter((m) => !isEmpty(m.set)).sort(order).map((m) => ({
    manager: m.manager, operation: m.operation, apiVersion: m.apiVersion, ...(m.time ? { time: m.time } : {}), fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(m.set), ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
}

function withManaged(obj: JsonObject, list: Managed[]): Obj {
  const meta = isObject(obj.metadata) ? { ...obj.metadata } : {};
  const entries = encode(list);
  if (entries.length > 0) meta.managedFields = entries;
  else delete meta.managedFields;
  return { ...obj, metadata: meta } as Obj;
}

/** The object without its managedFields (what is compared and merged). */
function bare(obj: unknown): JsonObject {
  const o = isObject(obj) ? { ...obj } : {};
  if (isObject(o.metadata)) {
    const { managedFields: _, ...meta } = o.metadata;
    o.metadata = meta;
  }
  return o;
}
/** What a create is compared with: upstream compares with a new empty object, whose structs are there. */
const emptyLike = (obj: JsonObject): JsonObject => Object.fromEntries(Object.entries(obj).filter(([, v]) => isObject(v)).map(([k]) => [k, {}]));

/**
 * A create, update or patch by `manager` (operation Update): what it added or changed becomes its
 * own and leaves the other managers; what it removed leaves everyone.
 */
export function trackUpdate(old: Obj | undefined, next: Obj, opts: { manager: string; gvk: Gvk; now: string; subresource?: string }): Obj {
  const managers = decode(old);
  const b = bare(next);
  const cmp = compare(old ? bare(old) : emptyLike(b), b, opts.gvk);
  const changed = owned(union(cmp.added, cmp.modified), opts.subresource);
  const removed = owned(cmp.removed, opts.subresource);
  const me: Managed = { manager: opts.manager, operation: 'Update', apiVersion: opts.gvk.apiVersion, subresource: opts.subresource, set: newSet() };
  let mine = managers.find((m) => sameId(m, me));
  for (const m of managers) if (m !== mine) m.set = difference(difference(m.set, changed), removed);
  if (!mine && !isEmpty(changed)) managers.push((mine = me));
  if (mine) {
    const set = union(difference(mine.set, removed), changed);
    if (!isEmpty(changed) || !isEmpty(removed)) mine.time = opts.now;
    mine.set = set;
  }
  return withManaged(b, managers);
}

/** The upstream conflict (errors.NewApplyConflict and managedfields internal/conflict.go). */
function conflictError(conflicts: { m: Managed; path: string[] }[]): ApiError {
  // printManager: an updater is named with its apiVersion (the identifier carries no time), an applier alone.
  const who = (m: Managed) => (m.operation === 'Update' ? `${JSON.stringify(m.manager)} using ${m.apiVersion}` : JSON.stringify(m.manager));
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${who(c.m)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0].m)}: ${pathString(conflicts[0].path)}`;
  else {
    const lines: string[] = [];
    for (const m of [...new Set(conflicts.map((c) => c.m))]) {
      lines.push(`conflicts with ${who(m)}:`);
      for (const c of conflicts) if (c.m === m) lines.push(`- ${pathString(c.path)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** The applied configuration merged into the live value as its shape says. */
function merge(live: unknown, applied: unknown, shape: Shape): unknown {
  if ((shape.t === 'struct' || shape.t === 'map') && isObject(applied) && isObject(live)) {
    const out: JsonObject = { ...live };
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else put(out, k, merge(Object.hasOwn(live, k) ? live[k] : undefined, v, childShape(shape, k, v)));
    }
    return out;
  }
  if ((shape.t === 'set' || shape.t === 'listmap') && Array.isArray(applied) && Array.isArray(live)) {
    const out = live.slice();
    const ids = out.map((x, i) => itemElement(shape, x, i));
    applied.forEach((item, i) => {
      const at = ids.indexOf(itemElement(shape, item, i));
      if (at < 0) out.push(clone(item));
      else if (shape.t === 'listmap') out[at] = merge(out[at], item, { t: 'struct', def: shape.def });
    });
    return out;
  }
  return clone(applied);
}

/** Removes the member at `path` from `obj` (in place). */
function removePath(obj: unknown, path: string[], shape: Shape): void {
  let here: unknown = obj;
  let s = shape;
  for (let i = 0; i < path.length; i++) {
    const pe = path[i];
    const last = i === path.length - 1;
    if (pe.startsWith('f:') && isObject(here)) {
      const k = pe.slice(2);
      if (last) delete here[k];
      else [here, s] = [here[k], childShape(s, k, here[k])];
    } else if (Array.isArray(here)) {
      const list: unknown[] = here;
      const at = list.findIndex((x, j) => itemElement(s, x, j) === pe);
      if (at < 0) return;
      if (last) list.splice(at, 1);
      else [here, s] = [list[at], s.t === 'listmap' ? { t: 'struct', def: s.def } : { t: 'scalar' }];
    } else return;
  }
}

/**
 * A server-side apply of `applied` by `opts.manager` to `live` (undefined: the apply creates the
 * object). Returns the merged object with its managedFields; throws the upstream 400s and the 409.
 */
export function serverSideApply(live: Obj | undefined, applied: unknown, opts: { manager: string; force: boolean; gvk: Gvk; now: string; subresource?: string }): { object: Obj } {
  if (!isObject(applied)) throw new ApiError(400, 'BadRequest', 'the applied configuration must be a JSON or YAML object');
  const meta = applied.metadata;
  if (isObject(meta) && meta.managedFields !== undefined && meta.managedFields !== null) throw new ApiError(400, 'BadRequest', 'metadata.managedFields must be nil');
  if (applied.apiVersion !== undefined && applied.apiVersion !== opts.gvk.apiVersion) {
    throw new ApiError(400, 'BadRequest', `Incorrect version specified in apply patch. Specified patch version: ${String(applied.apiVersion)}, expected: ${opts.gvk.apiVersion}`);
  }
  const shape = rootShape(opts.gvk);
  const managers = decode(live);
  const base = live ? bare(live) : emptyLike(applied);
  const merged = merge(base, bare(applied), shape) as JsonObject;
  const me: Managed = { manager: opts.manager, operation: 'Apply', apiVersion: opts.gvk.apiVersion, time: opts.now, subresource: opts.subresource, set: owned(fieldSetOf(applied, opts.gvk), opts.subresource) };
  const at = managers.findIndex((m) => sameId(m, me));
  const last = at >= 0 ? managers[at] : undefined;
  if (at >= 0) managers[at] = me;
  else managers.push(me);
  if (last) {
    // prune: what it applied last time and not now goes, unless someone (itself included) owns it or something in it.
    const others = managers.reduce((acc, m) => union(acc, m.set), newSet());
    const gone = members(difference(last.set, me.set)).filter((p) => nodeAt(others, p) === undefined);
    for (const p of gone.reverse()) removePath(merged, p, shape);
  }
  const cmp = compare(base, merged, opts.gvk);
  const changed = owned(union(cmp.added, cmp.modified), opts.subresource);
  const removed = owned(cmp.removed, opts.subresource);
  const conflicts: { m: Managed; path: string[] }[] = [];
  for (const m of managers) {
    if (m === me) continue;
    const c = intersection(m.set, changed);
    for (const path of members(c)) conflicts.push({ m, path });
    if (opts.force) m.set = difference(m.set, c);
    m.set = difference(m.set, removed);
  }
  if (conflicts.length > 0 && !opts.force) {
    conflicts.sort((x, y) => (x.m.manager < y.m.manager ? -1 : x.m.manager > y.m.manager ? 1 : 0));
    throw conflictError(conflicts);
  }
  return { object: withManaged(merged, managers) };
}
