/**
 * Secret (v1): `data` (base64) and `stringData` (plain, merged over data), and the rules the API
 * server applies to `kubernetes.io/tls` Secrets. Messages name the field, never the content.
 */
import type { Secret, Source } from '../../model/types.js';
import { isObj, readObj, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';

/** "Each key must consist of alphanumeric characters, '-', '_' or '.'." */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
/** Standard base64; Go's decoder (which the API server uses) skips line breaks. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const field = (map: string, key: string) => `${map}[${key}]`;

export function readSecret(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): Secret {
  const data: Record<string, string> = {};
  const given = new Set([obj.data, obj.stringData].flatMap((m) => (isObj(m) ? Object.keys(m) : [])));
  readEntries(obj.data, 'data', p, (key, value, path) => {
    const compact = value.replace(/[\r\n]/g, '');
    if (!BASE64.test(compact)) p.error(path, 'is not valid base64');
    else data[key] = compact;
  });
  // "stringData ... All keys and values are merged into the data field on write, overwriting any
  // existing values."
  readEntries(obj.stringData, 'stringData', p, (key, value) => {
    data[key] = Buffer.from(value, 'utf8').toString('base64');
  });
  const type = readString(obj.type, 'type', p) ?? 'Opaque';
  if (type === TLS_SECRET_TYPE) checkTls(data, given, p);
  return { namespace, name, type, data, source };
}

/** Calls `each` for every well-formed string entry of a data map; reports the others by key. */
function readEntries(v: unknown, map: string, p: ObjectProblems, each: (key: string, value: string, path: string) => void): void {
  const o = readObj(v, map, p);
  if (!o) return;
  for (const [key, value] of Object.entries(o)) {
    const path = field(map, key);
    if (!DATA_KEY.test(key)) p.error(path, `${show(key)} is not a valid key (letters, digits, '-', '_', '.')`);
    else if (value === null || value === undefined) continue;
    else if (typeof value !== 'string') p.error(path, `expected a string, found ${isObj(value) ? 'an object' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}`);
    else each(key, value, path);
  }
}

/**
 * "kubernetes.io/tls ... the data must contain the tls.key and tls.crt keys" (the API server
 * rejects the Secret otherwise). Missing keys are warnings, not errors: cluster dumps often
 * redact Secret data, and analysis does not need it. The API server does not parse the values;
 * PEM that cannot be a certificate or a key is a warning too. The ingress controller skips such
 * Secrets and says so.
 */
function checkTls(data: Record<string, string>, given: ReadonlySet<string>, p: ObjectProblems): void {
  const pem = { [TLS_CERT_KEY]: /-----BEGIN CERTIFICATE-----/, [TLS_KEY_KEY]: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ };
  for (const [key, marker] of Object.entries(pem)) {
    const value = data[key];
    if (value === undefined) {
      if (!given.has(key)) p.warn(field('data', key), `required for type ${TLS_SECRET_TYPE}: ingress controllers cannot use this Secret`);
    }
    else if (!marker.test(Buffer.from(value, 'base64').toString('latin1'))) {
      p.warn(field('data', key), `is not a PEM ${key === TLS_CERT_KEY ? 'certificate' : 'private key'}: ingress controllers cannot use it`);
    }
  }
}

/** The decoded certificate chain and key of a TLS Secret, or undefined when one is missing. */
export function tlsPair(secret: Secret): { cert: string; key: string } | undefined {
  const cert = secret.data[TLS_CERT_KEY];
  const key = secret.data[TLS_KEY_KEY];
  if (secret.type !== TLS_SECRET_TYPE || cert === undefined || key === undefined) return undefined;
  return { cert: Buffer.from(cert, 'base64').toString('utf8'), key: Buffer.from(key, 'base64').toString('utf8') };
}
