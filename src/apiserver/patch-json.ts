/**
 * JSON values and RFC 6902 JSON Patch (`application/json-patch+json`). Pure.
 *
 * Status codes follow kube-apiserver (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go):
 * a body that does not decode as a patch is 400 BadRequest; any failure while applying the decoded
 * operations (a `test` that does not match, a missing path, an unknown `op`) is answered with
 * http.StatusUnprocessableEntity, 422. A strategic merge patch's format errors
 * (`interpretStrategicMergePatchError`: bad JSON doc, bad `$deleteFromPrimitiveList`, `$retainKeys`,
 * `$setElementOrder` format) are 400 and a list of lists is 422; its other errors (missing merge key,
 * unknown `$patch` value) reach the client as 500 upstream, answered 400 here since the client sent
 * them. A kind without strategic-merge-patch metadata (a custom resource) is 415: the CRD handler
 * does not accept that content type.
 */

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 409 | 415 | 422 = 400,
  ) {
    super(message);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `o[k] = v`, except that a member named "__proto__" (JSON.parse makes it an own member) stays a
 * member instead of setting the object's prototype.
 */
export function put(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** A deep copy of a JSON value (what JSON.parse could give), so results share nothing with inputs. */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) put(out, k, clone(x));
    return out as T;
  }
  return v;
}

/** JSON equality: same type, numbers by value, arrays in order, objects by their set of members. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 6901 JSON pointer → reference tokens ("~1" is "/", then "~0" is "~"). */
function tokens(pointer: unknown, op: string): string[] {
  if (typeof pointer !== 'string') throw new PatchError(`${op}: path must be a string`, 422);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`${op}: JSON pointer "${pointer}" does not start with "/"`, 422);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** An array index: "0" or digits without a leading zero (RFC 6901 section 4); "-" only where allowed. */
function arrayIndex(token: string, length: number, op: string, pointer: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`${op}: "${token}" in "${pointer}" is not an array index`, 422);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) throw new PatchError(`${op}: index ${i} in "${pointer}" is out of bounds`, 422);
  return i;
}

/** The container holding the last token of `path`; every token before it must exist. */
function parentOf(doc: unknown, path: string[], op: string, pointer: string): unknown {
  let cur = doc;
  for (const t of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, op, pointer, false)];
    else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`${op}: path "${pointer}" does not exist`, 422);
  }
  return cur;
}

function get(doc: unknown, pointer: unknown, op: string): unknown {
  const path = tokens(pointer, op);
  if (path.length === 0) return doc;
  const parent = parentOf(doc, path, op, pointer as string);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, op, pointer as string, false)];
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  throw new PatchError(`${op}: path "${pointer}" does not exist`, 422);
}

/** RFC 6902 section 4.1: the target location's parent must exist; an array member is inserted. */
function add(doc: unknown, pointer: unknown, value: unknown, op: string): unknown {
  const path = tokens(pointer, op);
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, op, pointer as string);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, op, pointer as string, true), 0, value);
  else if (isObject(parent)) put(parent, last, value);
  else throw new PatchError(`${op}: the parent of "${pointer}" is not an object or array`, 422);
  return doc;
}

/** RFC 6902 section 4.2: "The target location MUST exist for the operation to be successful." */
function remove(doc: unknown, pointer: unknown, op: string): unknown {
  const path = tokens(pointer, op);
  if (path.length === 0) throw new PatchError(`${op}: cannot remove the whole document`, 422);
  const parent = parentOf(doc, path, op, pointer as string);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, op, pointer as string, false), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchError(`${op}: path "${pointer}" does not exist`, 422);
  return doc;
}

/** RFC 6902 section 4.3: like remove then add, but the target keeps its place. */
function replace(doc: unknown, pointer: unknown, value: unknown, op: string): unknown {
  const path = tokens(pointer, op);
  if (path.length === 0) return value;
  const parent = parentOf(doc, path, op, pointer as string);
  const last = path[path.length - 1];
  if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, op, pointer as string, false)] = value;
  else if (isObject(parent) && Object.hasOwn(parent, last)) put(parent, last, value);
  else throw new PatchError(`${op}: path "${pointer}" does not exist`, 422);
  return doc;
}

/** Applies the operations in order to a copy of `doc`; the first that fails fails the whole patch. */
export function jsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw new PatchError('a JSON patch must be a JSON array of operations', 400);
  let out = clone(doc);
  patch.forEach((o, i) => {
    if (!isObject(o)) throw new PatchError(`operation ${i}: not a JSON object`, 422);
    const op = `operation ${i} (${String(o.op)})`;
    const needValue = () => {
      if (!Object.hasOwn(o, 'value')) throw new PatchError(`${op}: missing "value"`, 422);
      return clone(o.value);
    };
    switch (o.op) {
      case 'add':
        out = add(out, o.path, needValue(), op);
        break;
      case 'remove':
        out = remove(out, o.path, op);
        break;
      case 'replace':
        out = replace(out, o.path, needValue(), op);
        break;
      case 'move': {
        // Section 4.4: "The "from" location MUST NOT be a proper prefix of the "path" location".
        const from = tokens(o.from, op);
        const to = tokens(o.path, op);
        if (to.length > from.length && from.every((t, k) => t === to[k])) throw new PatchError(`${op}: cannot move "${o.from}" into itself`, 422);
        const value = get(out, o.from, op);
        if (from.length === to.length && from.every((t, k) => t === to[k])) break;
        out = add(remove(out, o.from, op), o.path, value, op);
        break;
      }
      case 'copy':
        out = add(out, o.path, clone(get(out, o.from, op)), op);
        break;
      case 'test':
        if (!jsonEqual(get(out, o.path, op), needValue())) throw new PatchError(`${op}: the value at "${o.path}" is not the one expected`, 422);
        break;
      default:
        throw new PatchError(`${op}: unknown operation`, 422);
    }
  });
  return out;
}
