/**
 * List options (pure): labelSelector (kubectl -l syntax), fieldSelector (the fields
 * kube-apiserver supports per kind; any other is a 400, as "field label not supported"), and
 * limit/continue pagination over the key-ordered list.
 */
import { matchesSelector } from '../model/labels.js';
import { parseSelectorText, SelectorSyntaxError } from '../model/selector-text.js';
import { badRequest } from './errors.js';
import type { Obj } from './store.js';

const COMMON = ['metadata.name', 'metadata.namespace'];
const FIELDS: Record<string, string[]> = {
  pods: [...COMMON, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  events: [...COMMON, 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  nodes: [...COMMON, 'spec.unschedulable'],
  namespaces: [...COMMON, 'status.phase'],
  secrets: [...COMMON, 'type'],
  replicasets: [...COMMON, 'status.replicas'],
  jobs: [...COMMON, 'status.successful'],
};

type Requirement = { field: string; value: string; equal: boolean };

function fieldValue(o: Obj, field: string): string {
  let v: unknown = o;
  for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v === undefined || v === null ? '' : String(v);
}

export function parseFieldSelector(resource: string, kind: string, text: string): Requirement[] {
  const allowed = FIELDS[resource] ?? COMMON;
  return text.split(',').filter((s) => s.trim() !== '').map((term) => {
    const m = /^\s*([^!=\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: ${JSON.stringify(term)}`);
    if (!allowed.includes(m[1])) throw badRequest(`field label not supported: ${m[1]}`.replace(/$/, kind ? '' : ''));
    return { field: m[1], value: m[3], equal: m[2] !== '!=' };
  });
}

export interface ListFilter { label?: string; field?: string }

export function filterObjects(resource: string, kind: string, objs: readonly Obj[], f: ListFilter): Obj[] {
  let selector;
  try {
    selector = f.label ? parseSelectorText(f.label) : undefined;
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw badRequest(`unable to parse requirement: ${e.message}`);
    throw e;
  }
  const fields = f.field ? parseFieldSelector(resource, kind, f.field) : [];
  return objs.filter((o) => (!selector || matchesSelector(selector, o.metadata.labels ?? {})) && fields.every((r) => (fieldValue(o, r.field) === r.value) === r.equal));
}

/** The continue token: the resourceVersion the list was read at and the last key returned. */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ rv, start: lastKey }), 'utf8').toString('base64url');
}

export function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: number; start: string };
    if (typeof v.rv === 'number' && typeof v.start === 'string') return v;
  } catch {
    /* below */
  }
  throw badRequest('continue key is not valid');
}
