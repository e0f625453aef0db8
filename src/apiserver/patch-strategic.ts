/**
 * Kubernetes strategic merge patch (`application/strategic-merge-patch+json`), as kubectl apply,
 * edit and patch send it. Pure. The rules (facts from k8s.io/apimachinery/pkg/util/strategicpatch
 * and kubernetes/community contributors/devel/sig-api-machinery/strategic-merge-patch.md):
 * - maps merge recursively and `null` deletes a key; `$patch: replace` takes the map as given,
 *   `$patch: delete` removes it;
 * - a list whose field has patch strategy `merge` and a merge key is merged by that key: a patch
 *   item updates the live item with the same key or is added; `{<key>: v, $patch: delete}` removes
 *   every live item with that key; an item `$patch: replace` makes the list the patch's items;
 * - a `merge` list of primitives is a set: union, and `$deleteFromPrimitiveList/<field>: [values]`
 *   removes values;
 * - `$setElementOrder/<field>: [...]` orders the merged list;
 * - `$retainKeys: [...]` clears the live keys not listed before merging (and every key of the patch
 *   map must be listed); upstream honours it wherever it appears, so this does too;
 * - any other list, and any field the table does not know, is replaced.
 */
import { clone, isObject, type JsonObject, PatchError, put } from './patch-json.js';
import { DEFS, type FieldMeta } from './patch-meta.js';

const ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';
/** What `$patch: delete` on a map gives: the caller drops the field. */
const DELETED = Symbol('deleted');

/** Applies `patch` (an object) to `current` as the definition `def` (patch-meta.ts) describes it. */
export function strategicPatch(current: unknown, patch: unknown, def: string | undefined): unknown {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object', 400);
  const out = mergeMap(isObject(current) ? current : undefined, patch, def);
  // "$patch: delete" on the whole object: upstream answers an empty map.
  return out === DELETED ? {} : out;
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, def: string | undefined): JsonObject | typeof DELETED {
  if (Object.hasOwn(patch, '$patch')) {
    const { $patch: directive, ...rest } = patch;
    if (directive === 'delete') return DELETED;
    // The map "should not be merged and instead should be taken literally": merged into nothing, so
    // its own nulls and directives do not reach the stored object.
    if (directive === 'replace') return mergeMap(undefined, rest, def) as JsonObject;
    throw new PatchError(`unknown $patch directive ${JSON.stringify(directive)} in a map`, 400);
  }
  const fields = def ? DEFS[def] : undefined;
  const out: JsonObject = { ...(original ?? {}) };
  if (Object.hasOwn(patch, '$retainKeys')) retainKeys(out, patch);

  const orders = new Map<string, unknown[]>();
  const deletions = new Map<string, unknown[]>();
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys') continue;
    if (k.startsWith(ORDER) || k.startsWith(DELETE_FROM)) {
      const prefix = k.startsWith(ORDER) ? ORDER : DELETE_FROM;
      const field = k.slice(prefix.length);
      if (!Array.isArray(v) || field === '') throw new PatchError(`${k}: must name a list field and hold a list`, 400);
      (prefix === ORDER ? orders : deletions).set(field, v);
      continue;
    }
    if (k.startsWith('$')) throw new PatchError(`unknown strategic merge patch directive ${JSON.stringify(k)}`, 400);
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = mergeValue(Object.hasOwn(out, k) ? out[k] : undefined, v, fields && Object.hasOwn(fields, k) ? fields[k] : undefined);
    if (merged === DELETED) delete out[k];
    else put(out, k, merged);
  }
  for (const [field, order] of orders) {
    const meta = fields?.[field];
    const list = out[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new PatchError(`$setElementOrder/${field}: ${field} is not a list`, 400);
    const patched = patch[field];
    if (Array.isArray(patched)) checkOrder(patched, order, meta?.key, field);
    const live = Array.isArray(original?.[field]) ? (original![field] as unknown[]) : [];
    out[field] = orderItems(list, order, live, meta?.key);
  }
  // Upstream orders first (merging the field's patch list with its $setElementOrder), then deletes.
  for (const [field, values] of deletions) {
    // Deleting from a list that is not there leaves nothing to delete.
    if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !values.some((d) => d === x));
  }
  return out;
}

/** "When this directive is present in the patch, all the fields not in this directive will be cleared." */
function retainKeys(out: JsonObject, patch: JsonObject): void {
  const keep = patch.$retainKeys;
  if (!Array.isArray(keep)) throw new PatchError('$retainKeys must be a list of field names', 400);
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || v === null || k.startsWith(ORDER) || k.startsWith(DELETE_FROM)) continue;
    if (!keep.includes(k)) throw new PatchError(`$retainKeys does not list "${k}", which the patch sets`, 400);
  }
  for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
}

function strategies(meta: FieldMeta | undefined): Set<string> {
  return new Set((meta?.strategy ?? '').split(',').filter(Boolean));
}

/** One field: the live value (maybe absent) and the patch's (not null). */
function mergeValue(live: unknown, value: unknown, meta: FieldMeta | undefined): unknown {
  const s = strategies(meta);
  if (isObject(value)) {
    if (s.has('replace')) return mergeMap(undefined, value, meta?.type);
    return mergeMap(isObject(live) ? live : undefined, value, meta?.type);
  }
  if (Array.isArray(value)) {
    if (!s.has('merge')) return clone(value);
    return mergeList(Array.isArray(live) ? live : [], value, meta!);
  }
  return value;
}

type Kind = 'object' | 'list' | 'string' | 'number' | 'boolean' | 'null';
const kindOf = (v: unknown): Kind => (v === null ? 'null' : Array.isArray(v) ? 'list' : isObject(v) ? 'object' : (typeof v as Kind));

function elementKind(...lists: unknown[][]): Kind | undefined {
  let kind: Kind | undefined;
  for (const v of lists.flat()) {
    const k = kindOf(v);
    if (k === 'list') throw new PatchError('lists of lists are not supported by strategic merge patch', 422);
    if (kind !== undefined && k !== kind) throw new PatchError('list element types are not identical', 400);
    kind = k;
  }
  return kind;
}

function mergeList(live: unknown[], patch: unknown[], meta: FieldMeta): unknown[] {
  const kind = elementKind(live, patch);
  if (kind === undefined) return [];
  if (kind !== 'object') {
    const merged: unknown[] = [];
    for (const v of [...live, ...patch]) if (!merged.includes(v)) merged.push(v);
    return orderItems(merged, patch, live, undefined);
  }
  const key = meta.key;
  if (!key) throw new PatchError('cannot merge a list of maps without a merge key', 400);
  let current = live.slice();
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, '$patch')) {
      items.push(item);
      continue;
    }
    const directive = item.$patch;
    if (directive === 'delete') {
      if (!Object.hasOwn(item, key)) throw new PatchError(`a $patch: delete item has no merge key "${key}"`, 400);
      current = current.filter((x) => (x as JsonObject)[key] !== item[key]);
    } else if (directive === 'replace') replace = true;
    else if (directive === 'merge') throw new PatchError('$patch: merge cannot be specified in a list', 400);
    else throw new PatchError(`unknown $patch directive ${JSON.stringify(directive)} in a list`, 400);
  }
  // "any further $patch operations nested in this list will be ignored": the list is the patch's items.
  if (replace) return items.map((x) => mergeMap(undefined, x, meta.type) as JsonObject);
  const serverOrder = current.slice();
  for (const item of items) {
    if (!Object.hasOwn(item, key)) throw new PatchError(`a list item has no merge key "${key}"`, 400);
    const i = current.findIndex((x) => (x as JsonObject)[key] === item[key]);
    const merged = mergeMap(i >= 0 ? (current[i] as JsonObject) : undefined, item, meta.type);
    if (merged === DELETED) continue;
    if (i >= 0) current[i] = merged;
    else current.push(merged);
  }
  return orderItems(current, items, serverOrder, key);
}

/** `$setElementOrder` must name the patch's items (deletions aside) in the patch's relative order. */
function checkOrder(patched: unknown[], order: unknown[], key: string | undefined, field: string): void {
  const ids = order.map((x) => idOf(x, key));
  let at = 0;
  for (const item of patched) {
    if (isObject(item) && Object.hasOwn(item, '$patch')) continue;
    const found = ids.indexOf(idOf(item, key), at);
    if (found < 0) throw new PatchError(`the order of the patch's ${field} does not match its $setElementOrder/${field}`, 400);
    at = found + 1;
  }
}

function idOf(item: unknown, key: string | undefined): unknown {
  if (key === undefined) return item;
  if (!isObject(item) || !Object.hasOwn(item, key)) throw new PatchError(`a list item has no merge key "${key}"`, 400);
  return item[key];
}

/**
 * The upstream order rule ("$setElementOrder > order in patch list > order in live list"): the items
 * named by `order` (the directive, or the patch list) in that order; the other (live-only) items in
 * their live order; the two sequences then interleaved, a live-only item going first only when both
 * it and the next named item are in the live list and it came first there. So a new item without a
 * directive comes before the live-only items that follow it.
 */
function orderItems(items: unknown[], order: unknown[], live: unknown[], key: string | undefined): unknown[] {
  const orderIds = order.filter((x) => !(isObject(x) && Object.hasOwn(x, '$patch'))).map((x) => idOf(x, key));
  const liveIds = live.map((x) => idOf(x, key));
  const rank = (ids: unknown[], item: unknown) => {
    const i = ids.indexOf(idOf(item, key));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const byRank = (ids: unknown[]) => (a: unknown, b: unknown) => rank(ids, a) - rank(ids, b);
  const named = items.filter((x) => orderIds.includes(idOf(x, key))).sort(byRank(orderIds));
  const liveOnly = items.filter((x) => !orderIds.includes(idOf(x, key))).sort(byRank(liveIds));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < named.length) {
    if (j >= named.length) out.push(liveOnly[i++]);
    else if (i >= liveOnly.length) out.push(named[j++]);
    else {
      const li = liveIds.indexOf(idOf(liveOnly[i], key));
      const ni = liveIds.indexOf(idOf(named[j], key));
      out.push(li >= 0 && ni >= 0 && li < ni ? liveOnly[i++] : named[j++]);
    }
  }
  return out;
}
