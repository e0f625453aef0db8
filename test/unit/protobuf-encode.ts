// A minimal protobuf ENCODER for the tests of src/apiserver/protobuf.ts: a JSON-form object to the
// bytes a Go client would send, through the field tables of proto-meta.ts (the same tables the
// decoder uses, so round trips check the decoder's logic, not the tables; the hand-assembled bytes in
// protobuf.test.ts check both). Non-packed repeated fields unless `packed`; no zero values written
// unless the object holds them.
import { KINDS, MESSAGES } from '../../src/apiserver/proto-meta.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export function varint(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n > 0n ? b | 0x80 : b);
  } while (n > 0n);
  return out;
}

export const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
export const ld = (field: number, bytes: ArrayLike<number>): number[] => [...tag(field, 2), ...varint(bytes.length), ...Array.from(bytes)];
export const str = (field: number, s: string): number[] => ld(field, new TextEncoder().encode(s));

/** The JSON form of a special message → its fields (k8s.io/apimachinery generated.proto numbers). */
function special(type: string, v: unknown): number[] | undefined {
  switch (type) {
    case `${META}.Time`:
      return [...tag(1, 0), ...varint(Date.parse(v as string) / 1000)];
    case `${META}.MicroTime`: {
      const ms = Date.parse(v as string);
      const micros = Number(/\.(\d{6})Z$/.exec(v as string)?.[1] ?? 0);
      return [...tag(1, 0), ...varint(Math.floor(ms / 1000)), ...tag(2, 0), ...varint(micros * 1000)];
    }
    case 'io.k8s.apimachinery.pkg.util.intstr.IntOrString':
      return typeof v === 'number' ? [...tag(1, 0), 0, ...tag(2, 0), ...varint(v), ...str(3, '')] : [...tag(1, 0), 1, ...tag(2, 0), 0, ...str(3, v as string)];
    case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
      return str(1, v as string);
    case `${META}.FieldsV1`:
    case 'io.k8s.apimachinery.pkg.runtime.RawExtension':
      return str(1, JSON.stringify(v));
    default:
      return undefined;
  }
}

function one(kind: string, type: string | undefined, field: number, v: unknown, packed: boolean): number[] {
  switch (kind) {
    case 'int32':
    case 'int64':
      return [...tag(field, 0), ...varint(v as number)];
    case 'bool':
      return [...tag(field, 0), v ? 1 : 0];
    case 'double': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v as number, true);
      return [...tag(field, 1), ...b];
    }
    case 'string':
      return str(field, v as string);
    case 'bytes':
      return ld(field, Buffer.from(v as string, 'base64'));
    default:
      return ld(field, special(type!, v) ?? encodeMessage(type!, v as Record<string, unknown>, packed));
  }
}

/** The fields of message `name` from its JSON form (inlined embedded structs read from `obj` itself). */
export function encodeMessage(name: string, obj: Record<string, unknown>, packed = false): number[] {
  const fields = MESSAGES[name];
  if (!fields) throw new Error(`no message ${name}`);
  const out: number[] = [];
  for (const [no, [json, kind, flags, type]] of Object.entries(fields)) {
    const n = Number(no);
    if (flags.includes('i')) {
      const sub = encodeMessage(type!, obj, packed);
      if (sub.length > 0) out.push(...ld(n, sub));
      continue;
    }
    const v = obj[json];
    if (v === undefined) continue;
    if (kind === 'map') {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const valueKind = type === 'string' || type === 'bytes' ? type : 'message';
        out.push(...ld(n, [...str(1, k), ...one(valueKind, type, 2, val, packed)]));
      }
    } else if (flags.includes('r')) {
      const items = v as unknown[];
      if (packed && (kind === 'int32' || kind === 'int64' || kind === 'bool')) out.push(...ld(n, items.flatMap((x) => varint(x as number))));
      else for (const x of items) out.push(...one(kind, type, n, x, packed));
    } else out.push(...one(kind, type, n, v, packed));
  }
  return out;
}

/** `k8s\0` and a runtime.Unknown (typeMeta 1: apiVersion 1, kind 2; raw 2) around the object. */
export function encodeObject(obj: Record<string, unknown>, packed = false): Uint8Array {
  const { apiVersion, kind, ...rest } = obj as { apiVersion: string; kind: string };
  const raw = encodeMessage(KINDS[`${apiVersion}/${kind}`], rest, packed);
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...ld(1, [...str(1, apiVersion), ...str(2, kind)]), ...ld(2, raw), ...str(3, ''), ...str(4, '')]);
}
