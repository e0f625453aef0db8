/**
 * Deterministic object names in the shapes Kubernetes forms them: a ReplicaSet is
 * "<deployment>-<pod-template-hash>", a generated pod is "<owner>-<5 characters>".
 * The characters come from Kubernetes' safe alphabet (no vowels, no confusable digits).
 */

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a over the UTF-16 code units of a string. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Like apimachinery's rand.SafeEncodeString: each byte mapped into the safe alphabet. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The pod-template-hash label value for a template (stable JSON of it, hashed and encoded). The
 * controller hashes the decoded template, where a null field is no field and an empty
 * `resources` struct the same as none: so here, or a template that went through a typed client
 * (`kubectl rollout undo` sends `creationTimestamp: null` and `resources: {}` for every
 * container) would hash apart from the one it came from. Other empty objects (`emptyDir: {}`)
 * mean something and count.
 */
export function podTemplateHash(template: unknown): string {
  return safeEncode(String(fnv32a(stableJson(asDecoded(template)))));
}

function asDecoded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDecoded);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    if (k === 'resources' && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = asDecoded(v);
  }
  return out;
}

/** Five safe characters derived from a seed, as generateName would append (but deterministic). */
export function generatedSuffix(seed: string): string {
  let value = fnv32a(seed);
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[value % SAFE_ALPHABET.length];
    value = Math.floor(value / SAFE_ALPHABET.length) ^ fnv32a(seed + i);
    value >>>= 0;
  }
  return out;
}

/** JSON with object keys sorted, so equal values always hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
