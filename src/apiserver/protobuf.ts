// Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`, what
// kubectl's typed clients send: create configmap, secret, deployment…) decoded to the object the same
// request would have carried as JSON (pure). The field tables come from proto-meta.ts.
//
// The envelope (k8s.io/apimachinery/pkg/runtime/serializer/protobuf): the 4 bytes 0x6b 0x38 0x73 0x00
// ("k8s\0"; the fourth byte is the encoding style, 0 the only one), then a runtime.Unknown message
// whose typeMeta names apiVersion and kind and whose raw holds the object's own message.
//
// Zero values: Go's protobuf encoder writes every non-pointer field, so a ConfigMap arrives with
// `generateName: ""`, `generation: 0`… Fields JSON would omit (omitempty, not a pointer: no `z` in
// the table) are left out when zero, as are empty lists and maps; podnet reads absent and zero alike.
// Fields JSON sends even when zero (pointers like `replicas`, or no omitempty) keep their zero.
import { type Field, KINDS, MESSAGES } from './proto-meta.js';
import { ProtobufError, Reader, ZERO_TIME_SECONDS, base64, goDuration, int32, int64, rfc3339 } from './protobuf-wire.js';

export { ProtobufError } from './protobuf-wire.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

const MAX_DEPTH = 64;
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ENVELOPE = 'io.k8s.apimachinery.pkg.runtime.Unknown';
type Obj = Record<string, unknown>;

/** Sets an own property, so that a map key `__proto__` stays a key as it does after JSON.parse. */
function put(o: Obj, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function json(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ProtobufError(`${what} does not hold JSON`);
  }
}

/**
 * Messages whose JSON form is not an object, from their decoded fields (bytes kept as Uint8Array) and
 * the length of their encoding. `undefined`: JSON null, left out.
 */
const SPECIAL: Record<string, (o: Obj, length: number) => unknown> = {
  // metav1.Time: seconds only ("our JSON only handled seconds", time_proto.go); no bytes is the zero time.
  [`${META}.Time`]: (o, n) => (n === 0 || o.seconds === ZERO_TIME_SECONDS ? undefined : rfc3339(Number(o.seconds ?? 0), 0, false)),
  [`${META}.MicroTime`]: (o, n) =>
    n === 0 || (o.seconds === ZERO_TIME_SECONDS && !o.nanos) ? undefined : rfc3339(Number(o.seconds ?? 0), Number(o.nanos ?? 0), true),
  [`${META}.Duration`]: (o) => goDuration(Number(o.duration ?? 0)),
  [`${META}.FieldsV1`]: (o) => (o.Raw instanceof Uint8Array && o.Raw.length > 0 ? json(o.Raw, 'a FieldsV1') : undefined),
  'io.k8s.apimachinery.pkg.runtime.RawExtension': (o) => (o.raw instanceof Uint8Array && o.raw.length > 0 ? json(o.raw, 'a RawExtension') : undefined),
  // IntOrString: type 0 is intVal, 1 strVal (intstr.go: `Int Type = iota; String`).
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (o) => (o.type === 1 ? (o.strVal ?? '') : (o.intVal ?? 0)),
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (o) => o.string ?? '',
  // `type ExtraValue []string` (user info's extra values): its message's one field, `items`.
  'io.k8s.api.authentication.v1.ExtraValue': (o) => o.items ?? [],
  'io.k8s.api.authorization.v1.ExtraValue': (o) => o.items ?? [],
};

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;
const WIRE: Record<string, number> = { int32: 0, int64: 0, bool: 0, double: 1, string: 2, bytes: 2, message: 2, map: 2 };

/** One value of a field of kind `kind` (not a map). `raw`: bytes stay Uint8Array (for SPECIAL). */
function value(r: Reader, f: Field, depth: number, raw: boolean): unknown {
  const [, kind, , type] = f;
  switch (kind) {
    case 'int32':
      return int32(r.varint());
    case 'int64':
      return int64(r.varint());
    case 'bool':
      return r.varint() !== 0;
    case 'double':
      return r.double();
    case 'string':
      return r.string();
    case 'bytes':
      return raw ? r.bytes() : base64(r.bytes());
    default: {
      const [start, end] = r.range();
      return message(new Reader(r.buf, start, end, type!), depth + 1);
    }
  }
}

/** A map entry: key 1, value 2 (the protobuf map encoding); absent parts are zero values. */
function entry(r: Reader, f: Field, depth: number): [string, unknown] {
  const [start, end] = r.range();
  const e = new Reader(r.buf, start, end, `${r.where} map ${f[0]}`);
  const valueKind = f[3] === 'string' || f[3] === 'bytes' ? f[3] : 'message';
  const valueField: Field = [f[0], valueKind, '', f[3]];
  let key = '';
  let val: unknown;
  while (!e.done()) {
    const [n, wire] = e.tag();
    if (n === 1 && wire === 2) key = e.string();
    else if (n === 2 && wire === 2) val = value(e, valueField, depth, false);
    else e.skip(wire);
  }
  if (val === undefined && valueKind === 'message') val = message(new Reader(e.buf, e.end, e.end, f[3]!), depth + 1);
  return [key, val ?? (valueKind === 'message' ? null : '')];
}

/** The message `r.where` read from r, as its JSON form. */
function message(r: Reader, depth: number, raw = false): unknown {
  const name = r.where;
  if (depth > MAX_DEPTH) throw new ProtobufError(`nesting deeper than ${MAX_DEPTH} at ${name}`);
  const fields = MESSAGES[name];
  if (!fields) throw new ProtobufError(`no field table for ${name}`);
  const special = SPECIAL[name];
  const length = r.end - r.pos;
  const keepBytes = raw || special !== undefined;
  const out: Obj = {};
  const lists = new Map<string, unknown[]>();
  while (!r.done()) {
    const [n, wire] = r.tag();
    const f = Object.hasOwn(fields, n) ? fields[n] : undefined;
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [key, kind, flags] = f;
    const repeated = flags.includes('r');
    const packed = repeated && wire === 2 && WIRE[kind] !== 2;
    if (!packed && wire !== WIRE[kind]) throw new ProtobufError(`field ${n} (${key}) of ${name}: wire type ${wire}, expected ${WIRE[kind]}`);
    if (kind === 'map') {
      const [k, v] = entry(r, f, depth);
      if (!Object.hasOwn(out, key)) put(out, key, {});
      put(out[key] as Obj, k, v);
    } else if (repeated) {
      if (!lists.has(key)) lists.set(key, []);
      const list = lists.get(key)!;
      if (packed) {
        const [start, end] = r.range();
        const p = new Reader(r.buf, start, end, name);
        p.field = n;
        while (!p.done()) list.push(value(p, f, depth, keepBytes));
      } else list.push(value(r, f, depth, keepBytes) ?? null);
    } else {
      const v = value(r, f, depth, keepBytes);
      if (flags.includes('i') && v !== null && typeof v === 'object') Object.assign(out, v);
      else if (v === undefined || (!flags.includes('z') && isZero(v))) delete out[key]; // last one wins
      else put(out, key, v);
    }
  }
  for (const [key, list] of lists) if (list.length > 0) put(out, key, list);
  return special ? special(out, length) : out;
}

/**
 * Decodes a protobuf request body: the envelope's apiVersion and kind, and the object as its JSON
 * form would be, apiVersion and kind included. Unknown field numbers are skipped. The caller bounds
 * the body's size (3 MiB); nesting is bounded here.
 */
export function decodeProtobuf(body: Uint8Array): { apiVersion: string; kind: string; object: Record<string, unknown> } {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0x00) {
    throw new ProtobufError('not a Kubernetes protobuf message (no k8s\\0 prefix)');
  }
  const env = message(new Reader(body, 4, body.length, ENVELOPE), 0, true) as Obj;
  const apiVersion = typeof env.apiVersion === 'string' ? env.apiVersion : '';
  const kind = typeof env.kind === 'string' ? env.kind : '';
  if (!apiVersion || !kind) throw new ProtobufError('the protobuf envelope names no apiVersion and kind');
  if (env.contentEncoding) throw new ProtobufError(`content encoding ${String(env.contentEncoding)} of a protobuf body is not supported`);
  if (env.contentType && env.contentType !== PROTOBUF) throw new ProtobufError(`content type ${String(env.contentType)} inside a protobuf body is not supported`);
  const id = `${apiVersion}/${kind}`;
  const name = Object.hasOwn(KINDS, id) ? KINDS[id] : undefined;
  if (!name) throw new ProtobufError(`unknown kind ${id}`);
  const raw = env.raw instanceof Uint8Array ? env.raw : new Uint8Array(0);
  const start = raw.byteOffset - body.byteOffset;
  const fields = message(new Reader(body, start, start + raw.length, name), 1) as Obj;
  const object: Obj = { apiVersion, kind };
  for (const [k, v] of Object.entries(fields)) put(object, k, v);
  return { apiVersion, kind, object };
}
