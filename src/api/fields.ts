/**
 * Typed readers over untyped manifest data. Each reports a problem with the field path when the
 * value has the wrong shape and returns undefined, so translation can go on and find more.
 */
import type { ObjectProblems } from './problems.js';
import type { Labels, Selector, SelectorOperator, SelectorRequirement } from '../model/labels.js';
import { PROTOCOLS, type Protocol } from '../model/types.js';

export type Obj = Record<string, unknown>;

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readObj(v: unknown, path: string, p: ObjectProblems): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    p.error(path, `expected an object, found ${show(v)}`);
    return undefined;
  }
  return v;
}

export function readArray(v: unknown, path: string, p: ObjectProblems): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    p.error(path, `expected a list, found ${show(v)}`);
    return undefined;
  }
  return v;
}

export function readString(v: unknown, path: string, p: ObjectProblems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    p.error(path, `expected a string, found ${show(v)}`);
    return undefined;
  }
  return v;
}

export function readBool(v: unknown, path: string, p: ObjectProblems): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    p.error(path, `expected true or false, found ${show(v)}`);
    return undefined;
  }
  return v;
}

export function readInt(v: unknown, path: string, p: ObjectProblems, min = -Infinity, max = Infinity): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    p.error(path, `expected an integer, found ${show(v)}`);
    return undefined;
  }
  if (v < min || v > max) {
    p.error(path, `${v} is out of range (${min}-${max})`);
    return undefined;
  }
  return v;
}

export function readStringMap(v: unknown, path: string, p: ObjectProblems): Record<string, string> {
  const o = readObj(v, path, p);
  const out: Record<string, string> = {};
  if (!o) return out;
  for (const [k, val] of Object.entries(o)) {
    if (typeof val === 'string') out[k] = val;
    else if (typeof val === 'number' || typeof val === 'boolean') {
      p.error(join(path, k), `expected a string, found ${show(val)} (quote it)`);
    } else if (val !== null) p.error(join(path, k), `expected a string, found ${show(val)}`);
  }
  return out;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return LABEL_NAME.test(name);
}

export function isLabelValue(value: string): boolean {
  return value === '' || LABEL_NAME.test(value);
}

export function readLabels(v: unknown, path: string, p: ObjectProblems): Labels {
  const labels = readStringMap(v, path, p);
  for (const [k, val] of Object.entries(labels)) {
    if (!isLabelKey(k)) p.error(join(path, k), `${show(k)} is not a valid label key`);
    else if (!isLabelValue(val)) p.error(join(path, k), `${show(val)} is not a valid label value`);
  }
  return labels;
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Reads a metav1.LabelSelector; undefined when absent. */
export function readSelector(v: unknown, path: string, p: ObjectProblems): Selector | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const matchLabels = readLabels(o.matchLabels, join(path, 'matchLabels'), p);
  const exprs = readArray(o.matchExpressions, join(path, 'matchExpressions'), p) ?? [];
  const matchExpressions: SelectorRequirement[] = [];
  exprs.forEach((e, i) => {
    const ep = join(join(path, 'matchExpressions'), i);
    const eo = readObj(e, ep, p);
    if (!eo) return;
    const key = readString(eo.key, join(ep, 'key'), p);
    const op = readString(eo.operator, join(ep, 'operator'), p);
    const values = (readArray(eo.values, join(ep, 'values'), p) ?? []).map((x, j) => readString(x, join(join(ep, 'values'), j), p) ?? '');
    if (key === undefined) return p.error(join(ep, 'key'), 'required field is missing');
    if (!isLabelKey(key)) return p.error(join(ep, 'key'), `${show(key)} is not a valid label key`);
    if (op === undefined) return p.error(join(ep, 'operator'), 'required field is missing');
    if (!OPERATORS.includes(op as SelectorOperator)) {
      return p.error(join(ep, 'operator'), `${show(op)} is not a valid operator (In, NotIn, Exists, DoesNotExist)`);
    }
    // "If the operator is In or NotIn, the values array must be non-empty. If the operator is
    // Exists or DoesNotExist, the values array must be empty."
    if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      return p.error(join(ep, 'values'), `must be non-empty when operator is ${op}`);
    }
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      return p.error(join(ep, 'values'), `must be empty when operator is ${op}`);
    }
    matchExpressions.push({ key, operator: op as SelectorOperator, values });
  });
  return { matchLabels, matchExpressions };
}

export function readProtocol(v: unknown, path: string, p: ObjectProblems): Protocol {
  const s = readString(v, path, p);
  if (s === undefined) return 'TCP';
  if (!PROTOCOLS.includes(s as Protocol)) {
    p.error(path, `${show(s)} is not a valid protocol (TCP, UDP, SCTP)`);
    return 'TCP';
  }
  return s as Protocol;
}

/** IANA_SVC_NAME: at most 15 characters, lowercase letters, digits and '-', at least one letter. */
export function isPortName(name: string): boolean {
  return name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes('--');
}

/** Reads an IntOrString port: 1-65535 or a port name. */
export function readPort(v: unknown, path: string, p: ObjectProblems): number | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1 || v > 65535) {
      p.error(path, `${show(v)} is not a valid port number (1-65535)`);
      return undefined;
    }
    return v;
  }
  if (typeof v === 'string') {
    if (/^[0-9]+$/.test(v)) {
      // IntOrString: a quoted number is a string, and a port name must contain a letter.
      p.error(path, `${show(v)} is a string: write the port number without quotes, or use a port name`);
      return undefined;
    }
    if (!isPortName(v)) {
      p.error(path, `${show(v)} is not a valid port name (IANA_SVC_NAME)`);
      return undefined;
    }
    return v;
  }
  p.error(path, `expected a port number or name, found ${show(v)}`);
  return undefined;
}

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}
