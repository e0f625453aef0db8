/**
 * Field sets for server-side apply (pure): which fields of an object a manager owns, as
 * sigs.k8s.io/structured-merge-diff models them, and their `FieldsV1` form in
 * `metadata.managedFields[].fieldsV1`. A set is a tree keyed by path elements:
 * - `f:<name>`  a field of a struct or a key of a map;
 * - `k:<json>`  an item of a list of type map, by its list-map keys (`k:{"name":"web"}`, keys sorted);
 * - `v:<json>`  an item of a list of type set, by its value (`v:"foregroundDeletion"`);
 * - `i:<n>`     an item by index (upstream uses it for atomic lists only, below their owner).
 * In FieldsV1 a leaf is `{}` and a node that is both owned and has owned children holds `".": {}`.
 * Merge types come from list-meta.ts (x-kubernetes-list-type, -list-map-keys, -map-type): a list
 * without an annotation is atomic, maps and structs are granular unless marked atomic.
 */
import { ApiError } from './errors.js';
import { isObject, jsonEqual } from './patch-json.js';
import { ATOMIC, LIST_TYPES } from './list-meta.js';
import { KINDS } from './patch-meta.js';
import { OPEN, SCHEMA } from './schema-meta.js';

export interface FieldSet {
  member: boolean;
  children: Map<string, FieldSet>;
}
export const newSet = (): FieldSet => ({ member: false, children: new Map() });

/** Objects and field sets deeper than this are refused (422), so walks stay bounded. */
export const MAX_DEPTH = 64;
/** At most this many nodes in one field set. */
export const MAX_NODES = 100_000;
const tooDeep = (): ApiError => new ApiError(422, 'Invalid', `the object is nested deeper than ${MAX_DEPTH} levels: server-side apply cannot track its fields`);

/** How a value merges: the schema's view of it. `def` undefined: a struct the table does not know. */
export type Shape =
  | { t: 'struct'; def: string | undefined }
  | { t: 'map'; def: string | undefined }
  | { t: 'atomic' }
  | { t: 'set' }
  | { t: 'listmap'; keys: string[]; def: string | undefined }
  | { t: 'scalar' };

const OPEN_SET = new Set(OPEN);
const ATOMIC_SET = new Set(ATOMIC);
const parsed = new Map<string, Map<string, { def?: string; wrap: string }>>();
function fieldsOf(def: string): Map<string, { def?: string; wrap: string }> | undefined {
  let out = parsed.get(def);
  if (out || !Object.hasOwn(SCHEMA, def)) return out;
  out = new Map();
  for (const item of SCHEMA[def].split(' ')) {
    const m = /^([^:[{]+)(\[\]|\{\})?(?::(.+))?$/.exec(item);
    if (m) out.set(m[1], { def: m[3], wrap: m[2] ?? '' });
  }
  parsed.set(def, out);
  return out;
}

/** The shape of a value the schema says nothing about: objects granular, lists atomic. */
const byValue = (v: unknown): Shape => (isObject(v) ? { t: 'struct', def: undefined } : Array.isArray(v) ? { t: 'atomic' } : { t: 'scalar' });
const structOf = (def: string | undefined): Shape => (def === undefined || def === '*' || OPEN_SET.has(def) ? { t: 'struct', def: undefined } : ATOMIC_SET.has(def) ? { t: 'atomic' } : { t: 'struct', def });

/** The shape of the root of an object of this kind (a kind the table lacks: by value). */
export function rootShape(gvk: { apiVersion: string; kind: string }): Shape {
  const key = `${gvk.apiVersion}/${gvk.kind}`;
  return structOf(Object.hasOwn(KINDS, key) ? KINDS[key] : undefined);
}

/** The shape of `value`, the member `key` of a value of shape `parent`. */
export function childShape(parent: Shape, key: string, value: unknown): Shape {
  if (parent.t === 'map') return parent.def === undefined ? byValue(value) : structOf(parent.def);
  if (parent.t !== 'struct' || parent.def === undefined) return byValue(value);
  const f = fieldsOf(parent.def)?.get(key);
  if (f === undefined) return byValue(value);
  const annotated = LIST_TYPES[`${parent.def}.${key}`];
  if (Array.isArray(value)) {
    if (annotated === 'set') return { t: 'set' };
    if (annotated?.startsWith('map:')) return { t: 'listmap', keys: annotated.slice(4).split(','), def: f.wrap === '[]' ? f.def : undefined };
    return { t: 'atomic' };
  }
  if (!isObject(value)) return { t: 'scalar' };
  if (annotated === 'atomic') return { t: 'atomic' };
  if (f.wrap === '{}') return { t: 'map', def: f.def };
  if (f.def === undefined) return { t: 'map', def: undefined };
  return structOf(f.def);
}

/**
 * Upstream list-map keys may carry defaults ("+default" markers in the Go types, not in the v2
 * document): a port without `protocol` is keyed as TCP.
 */
const KEY_DEFAULTS: Record<string, unknown> = { protocol: 'TCP' };

/** The path element of a list item: `k:{…}` for a list map, `v:…` for a set. */
export function itemElement(shape: Shape, item: unknown, index: number): string {
  if (shape.t === 'set') return `v:${JSON.stringify(item)}`;
  if (shape.t === 'listmap' && isObject(item)) {
    const key: Record<string, unknown> = {};
    for (const k of [...shape.keys].sort()) {
      const v = Object.hasOwn(item, k) ? item[k] : KEY_DEFAULTS[k];
      if (v !== undefined) key[k] = v;
    }
    return `k:${JSON.stringify(key)}`;
  }
  return `i:${index}`;
}

export function child(set: FieldSet, pe: string): FieldSet {
  let c = set.children.get(pe);
  if (!c) set.children.set(pe, (c = newSet()));
  return c;
}

/** The fields of `obj` (upstream ToFieldSet): what an applier of `obj` comes to own. */
export function fieldSetOf(obj: unknown, gvk: { apiVersion: string; kind: string }): FieldSet {
  const out = newSet();
  walkSet(obj, rootShape(gvk), out, 0);
  return out;
}

function walkSet(v: unknown, shape: Shape, here: FieldSet, depth: number): void {
  if (depth > MAX_DEPTH) throw tooDeep();
  if (shape.t === 'struct' || shape.t === 'map') {
    if (!isObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const c = child(here, `f:${k}`);
      const s = childShape(shape, k, x);
      walkSet(x, s, c, depth + 1);
      // Upstream visitMapItems: a map key, a null or an empty object is itself a member.
      if (shape.t === 'map' || x === null || (isObject(x) && Object.keys(x).length === 0) || s.t === 'scalar' || s.t === 'atomic') c.member = true;
    }
  } else if ((shape.t === 'set' || shape.t === 'listmap') && Array.isArray(v)) {
    v.forEach((item, i) => {
      const c = child(here, itemElement(shape, item, i));
      c.member = true;
      if (shape.t === 'listmap') walkSet(item, structOf(shape.def), c, depth + 1);
    });
  }
}

/** The three sets of upstream Compare (typed/compare.go): what `b` added, changed and removed. */
export interface Comparison { added: FieldSet; modified: FieldSet; removed: FieldSet }

export function compare(a: unknown, b: unknown, gvk: { apiVersion: string; kind: string }): Comparison {
  const out = { added: newSet(), modified: newSet(), removed: newSet() };
  walkCompare(a, b, rootShape(gvk), [], out, 0);
  return out;
}

function mark(set: FieldSet, path: string[]): void {
  let n = set;
  for (const pe of path) n = child(n, pe);
  n.member = true;
}

function walkCompare(a: unknown, b: unknown, shape: Shape, path: string[], out: Comparison, depth: number): void {
  if (depth > MAX_DEPTH) throw tooDeep();
  const granular = (shape.t === 'struct' || shape.t === 'map') && (isObject(a) || isObject(b));
  const list = (shape.t === 'set' || shape.t === 'listmap') && (Array.isArray(a) || Array.isArray(b));
  const emptyish = (v: unknown) => v === undefined || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
  if ((!granular && !list) || (emptyish(a) && emptyish(b))) {
    // A leaf: a scalar, an atomic value, or empty on both sides ("preserve the empty/null distinction").
    if (a === undefined) mark(out.added, path);
    else if (b === undefined) mark(out.removed, path);
    else if (!jsonEqual(a, b)) mark(out.modified, path);
    return;
  }
  if (path.length > 0 && a === undefined) mark(out.added, path);
  if (path.length > 0 && b === undefined) mark(out.removed, path);
  if (granular) {
    const ao = isObject(a) ? a : {};
    const bo = isObject(b) ? b : {};
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      const x = Object.hasOwn(ao, k) ? ao[k] : undefined;
      const y = Object.hasOwn(bo, k) ? bo[k] : undefined;
      walkCompare(x, y, childShape(shape, k, y ?? x), [...path, `f:${k}`], out, depth + 1);
    }
    return;
  }
  const items = new Map<string, [unknown, unknown]>();
  (Array.isArray(a) ? a : []).forEach((x, i) => items.set(itemElement(shape, x, i), [x, undefined]));
  (Array.isArray(b) ? b : []).forEach((y, i) => {
    const pe = itemElement(shape, y, i);
    items.set(pe, [items.get(pe)?.[0], y]);
  });
  for (const [pe, [x, y]] of items) {
    const s = shape.t === 'listmap' ? structOf(shape.def) : ({ t: 'scalar' } as Shape);
    walkCompare(x, y, s, [...path, pe], out, depth + 1);
  }
}

/** FieldsV1 JSON (`{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}`), keys in upstream's order. */
export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pe of [...set.children.keys()].sort(comparePe)) {
    const c = set.children.get(pe)!;
    if (c.children.size === 0 && !c.member) continue;
    const inner = toFieldsV1(c);
    out[pe] = c.member && c.children.size > 0 ? { '.': {}, ...inner } : inner;
  }
  return out;
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
/** Upstream PathElement.Compare: fields, then keys, then values, then indices. */
export function comparePe(a: string, b: string): number {
  const r = RANK[a[0]] - RANK[b[0]];
  if (r !== 0) return r;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A FieldsV1 value read back; unknown element types are dropped, as upstream does. */
export function fromFieldsV1(json: unknown): FieldSet {
  let nodes = 0;
  const read = (v: unknown, depth: number): FieldSet => {
    if (!isObject(v)) throw new ApiError(400, 'BadRequest', 'metadata.managedFields: fieldsV1 must be a JSON object');
    if (depth > MAX_DEPTH || ++nodes > MAX_NODES) throw tooDeep();
    const set = newSet();
    for (const [k, x] of Object.entries(v)) {
      if (k === '.') continue;
      if (!/^[fkvi]:/.test(k)) continue;
      const c = read(x, depth + 1);
      if (c.children.size === 0 || (isObject(x) && Object.hasOwn(x, '.'))) c.member = true;
      set.children.set(k, c);
    }
    return set;
  };
  return read(json, 0);
}

/** Set algebra on members (upstream Set.Union, Difference, Intersection), new trees. */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member || b.member, children: new Map() };
  for (const pe of new Set([...a.children.keys(), ...b.children.keys()])) out.children.set(pe, union(a.children.get(pe) ?? newSet(), b.children.get(pe) ?? newSet()));
  return out;
}
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member && !b.member, children: new Map() };
  for (const [pe, c] of a.children) {
    const d = difference(c, b.children.get(pe) ?? newSet());
    if (!isEmpty(d)) out.children.set(pe, d);
  }
  return out;
}
export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { member: a.member && b.member, children: new Map() };
  for (const [pe, c] of a.children) {
    const o = b.children.get(pe);
    const d = o ? intersection(c, o) : newSet();
    if (!isEmpty(d)) out.children.set(pe, d);
  }
  return out;
}
export const isEmpty = (s: FieldSet): boolean => !s.member && [...s.children.values()].every(isEmpty);

/** The members of a set as paths of elements, in upstream's order. */
export function members(s: FieldSet, prefix: string[] = [], out: string[][] = []): string[][] {
  if (s.member && prefix.length > 0) out.push(prefix);
  for (const pe of [...s.children.keys()].sort(comparePe)) members(s.children.get(pe)!, [...prefix, pe], out);
  return out;
}

/** The node of a path, if the set has it (as a member or a prefix of one). */
export function nodeAt(s: FieldSet, path: readonly string[]): FieldSet | undefined {
  let n: FieldSet | undefined = s;
  for (const pe of path) n = n?.children.get(pe);
  return n;
}

/** A path as upstream Path.String prints it: `.spec.replicas`, `[name="web"]`, `[="x"]`, `[0]`. */
export function pathString(path: readonly string[]): string {
  return path.map((pe) => {
    const body = pe.slice(2);
    if (pe[0] === 'f') return `.${body}`;
    if (pe[0] === 'i') return `[${body}]`;
    if (pe[0] === 'v') return `[=${goValue(JSON.parse(body))}]`;
    return `[${Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => `${k}=${goValue(v)}`).join(',')}]`;
  }).join('');
}
/** value.ToString: strings quoted, numbers and booleans bare. */
const goValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(goValue).join(',')}]` : String(v));
