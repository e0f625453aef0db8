/**
 * Server-side unknown-field validation, the `fieldValidation` query parameter of create, update and
 * patch (api-concepts "Field validation"; KEP-2885). Pure: the server asks `fieldValidationOf` for
 * the directive, `unknownFields` for what the schema of schema-meta.ts does not know, and then
 * answers 400 (`strictDecodingMessage`) for Strict, one Warning header per field
 * (`unknownFieldMessage`) for Warn, and nothing for Ignore. Duplicate fields, which kube-apiserver
 * also reports, are not: the parsed body no longer has them.
 */
import { ApiError } from './errors.js';
import { KINDS } from './patch-meta.js';
import { OPEN, SCHEMA } from './schema-meta.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The options kind whose validation failed: the message names it (create, update, patch). */
export type WriteOptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions';

// k8s.io/apimachinery pkg/apis/meta/v1/validation: allowedFieldValidationValues, a sets.String,
// printed sorted by field.NotSupported.
const ALLOWED = ['', 'Ignore', 'Strict', 'Warn'];

/**
 * A `fieldValidation` value kube-apiserver does not accept. Upstream ValidateCreateOptions (and the
 * Update, Patch ones) fail with errors.NewInvalid(meta.k8s.io/CreateOptions, "", [NotSupported]):
 * 422 Invalid, not 400, with the message
 * `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x": supported
 * values: "", "Ignore", "Strict", "Warn"` (the name is empty, so details carry none).
 */
export class FieldValidationError extends ApiError {
  constructor(value: string, options: WriteOptionsKind = 'CreateOptions') {
    const body = `Unsupported value: ${goQuote(value)}: supported values: ${ALLOWED.map(goQuote).join(', ')}`;
    super(422, 'Invalid', `${options}.meta.k8s.io "" is invalid: fieldValidation: ${body}`, {
      group: 'meta.k8s.io',
      kind: options,
      causes: [{ reason: 'FieldValueNotSupported', message: body, field: 'fieldValidation' }],
    });
    this.name = 'FieldValidationError';
  }
}

/**
 * The directive of a request's `fieldValidation` parameter. Absent or empty is Warn: upstream
 * endpoints/handlers/rest.go fieldValidation(): `if directive == "" { return
 * metav1.FieldValidationWarn }` ("Warn (default)"). Values are case-sensitive.
 */
export function fieldValidationOf(value: string | null, options: WriteOptionsKind = 'CreateOptions'): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new FieldValidationError(value, options);
}

/** kube-apiserver keeps at most this many strict errors per body (sigs.k8s.io/json saveStrictError). */
export const MAX_REPORTED = 100;

interface Field {
  def: string;
  wrap: '' | '[]' | '{}';
}

const OPEN_SET = new Set(OPEN);
const parsed = new Map<string, Map<string, Field | undefined>>();

/** A definition's fields from its table string (module comment of schema-meta.ts), parsed once. */
function fieldsOf(def: string): Map<string, Field | undefined> | undefined {
  const known = parsed.get(def);
  if (known) return known;
  if (!Object.hasOwn(SCHEMA, def)) return undefined;
  const out = new Map<string, Field | undefined>();
  for (const item of SCHEMA[def].split(' ')) {
    const m = /^([^:[{]+)(\[\]|\{\})?(?::(.+))?$/.exec(item);
    if (!m) continue;
    out.set(m[1], m[3] === undefined ? undefined : { def: m[3], wrap: (m[2] ?? '') as Field['wrap'] });
  }
  parsed.set(def, out);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The paths of the fields of `obj` that the schema of its kind does not know, as kube-apiserver's
 * strict JSON decoder (sigs.k8s.io/json, appendStrictFieldStackKey / appendStrictFieldStackIndex)
 * prints them: object keys joined by `.`, list indices as `[i]`, map keys as `.key` (so
 * `spec.template.spec.containers[0].imagePullPolice`). Document order, as far as a parsed object
 * keeps it (JavaScript lists integer-like keys first); at most MAX_REPORTED. A kind not in the table
 * (a custom resource) has no schema here: nothing is reported. A value of the wrong type (a string
 * where an object belongs) is not an unknown field and is not descended into.
 */
export function unknownFields(obj: unknown, gvk: { apiVersion: string; kind: string }): string[] {
  const key = `${gvk.apiVersion}/${gvk.kind}`;
  if (!Object.hasOwn(KINDS, key)) return [];
  const out: string[] = [];
  walk(obj, KINDS[key], '', out);
  return out;
}

function walk(value: unknown, def: string, path: string, out: string[]): void {
  if (def === '*' || OPEN_SET.has(def) || !isObject(value)) return;
  const fields = fieldsOf(def);
  if (fields === undefined) return;
  for (const [k, v] of Object.entries(value)) {
    if (out.length >= MAX_REPORTED) return;
    const here = path === '' ? k : `${path}.${k}`;
    if (!fields.has(k)) {
      out.push(here);
      continue;
    }
    const f = fields.get(k);
    if (f === undefined) continue;
    if (f.wrap === '') walk(v, f.def, here, out);
    else if (f.wrap === '[]' && Array.isArray(v)) v.forEach((item, i) => walk(item, f.def, `${here}[${i}]`, out));
    else if (f.wrap === '{}' && isObject(v)) for (const [mk, mv] of Object.entries(v)) walk(mv, f.def, `${here}.${mk}`, out);
  }
}

/** One strict error, also the text of one Warning under Warn: `unknown field "spec.foo"`. */
export const unknownFieldMessage = (path: string): string => `unknown field ${goQuote(path)}`;

/**
 * The 400 BadRequest message of a create or update under Strict. apimachinery runtime
 * strictDecodingError.Error(): `strict decoding error: ` and the errors joined by `, `; the
 * handler's transformDecodeError prefixes `<Kind> in version "<version>" cannot be handled as a
 * <Kind>: ` (version without the group: apps/v1 → "v1").
 */
export function strictDecodingMessage(gvk: { apiVersion: string; kind: string }, paths: readonly string[]): string {
  const version = gvk.apiVersion.slice(gvk.apiVersion.lastIndexOf('/') + 1);
  return `${gvk.kind} in version ${goQuote(version)} cannot be handled as a ${gvk.kind}: strict decoding error: ${paths.map(unknownFieldMessage).join(', ')}`;
}

/**
 * The 422 of a patch under Strict. Upstream handlers/patch.go does not go through
 * transformDecodeError: it answers errors.NewInvalid(schema.GroupKind{}, "", [field.Invalid(patch,
 * value, <strict decoding error>)]), so the message starts with an empty kind (` "" is invalid:
 * patch: Invalid value: "…": strict decoding error: …`). `value` is what upstream prints there: for
 * json and merge patches the patched object as JSON, for strategic merge patches the patch as Go's
 * `%+v` prints a map (`goFormat`). The paths are those of the patched object, so strategic
 * directives ($patch, $setElementOrder/…) consumed by the merge are not in it.
 */
export function strictPatchError(value: string, paths: readonly string[]): ApiError {
  const body = `Invalid value: ${goQuote(value)}: strict decoding error: ${paths.map(unknownFieldMessage).join(', ')}`;
  return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${body}`, { causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }] });
}

/**
 * Go's fmt `%v` of a decoded JSON value (map[string]interface{}, []interface{}, int64 for integers,
 * float64 otherwise): `map[a:1 b:[x y]]` with keys sorted, `<nil>` for null. Integers print as
 * integers (a parsed body no longer tells `1.0` from `1`); other numbers as strconv's shortest 'g'
 * (an exponent of two digits or more below 1e-4 and from 1e6: 1.5e+06).
 */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goFormat((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  if (typeof v === 'number') return goNumber(v);
  return String(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return BigInt(n).toString();
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const [mantissa, e] = n.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(n);
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };

/**
 * Go's strconv.Quote (`%q`) for ASCII: the escapes above, other control bytes as `\xNN`. Other
 * characters are kept, where Go would also escape the non-printable ones beyond ASCII.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (Object.hasOwn(GO_ESCAPES, ch)) out += GO_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
