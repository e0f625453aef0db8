/**
 * OpenAPI v3 as kube-apiserver publishes it (pure): /openapi/v3 lists one document per
 * group-version; each document has the resources' paths, with `x-kubernetes-group-version-kind`
 * on their operations and the PATCH `fieldValidation` parameter. kubectl reads exactly that to
 * decide that validation is done server-side (cli-runtime's query param verifier: "look in the
 * OpenAPI if the specific group-version-kind supports the specific query parameter for the PATCH
 * end-point"), and the component schemas of the kinds (openapi-schemas.ts, no descriptions:
 * `kubectl explain` shows fields and types). The PATCH operations declare no request body, so
 * kubectl's client-side apply keeps computing its patches from its compiled-in types ("GVK
 * exists but does not support requestBody"), as it does today. /openapi/v2 is 404.
 */
import { groups, isReview, RESOURCES, type ResourceInfo } from './resources.js';
import { SCHEMAS } from './openapi-schemas.js';

const gvPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);

/** The version the documents have; a client caches them by it. */
const HASH = 'podnet-2';

/** GET /openapi/v3 */
export function openapiRoot(): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of groups()) for (const v of g.versions) paths[gvPath(g.group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, v)}?hash=${HASH}` };
  return { paths };
}

const query = (name: string) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

function operations(ri: ResourceInfo, item: boolean): Record<string, unknown> {
  const gvk = { group: ri.group, version: ri.version, kind: ri.kind };
  const op = (action: string, params: string[] = []) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: params.map(query), responses: { '200': { description: 'OK' } } });
  return item
    ? { get: op('get'), put: op('put', WRITE_PARAMS), patch: op('patch', [...WRITE_PARAMS, 'force']), delete: op('delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']) }
    : { get: op('list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch', 'timeoutSeconds']), post: op('post', WRITE_PARAMS), delete: op('deletecollection', ['labelSelector', 'fieldSelector']) };
}

/** The documents made so far, by served group-version path (so at most one per group-version). */
const documents = new Map<string, Record<string, unknown>>();

/** GET /openapi/v3/api/v1, /openapi/v3/apis/G/V; null when the group-version is not served. */
export function openapiDocument(path: string): Record<string, unknown> | null {
  const made = documents.get(path) ?? makeDocument(path);
  if (made) documents.set(path, made);
  return made;
}

function makeDocument(path: string): Record<string, unknown> | null {
  const rs = RESOURCES.filter((ri) => gvPath(ri.group, ri.version) === path);
  if (rs.length === 0) return null;
  const paths: Record<string, unknown> = {};
  for (const ri of rs) {
    const base = `/${path}${ri.namespaced ? '/namespaces/{namespace}' : ''}/${ri.resource}`;
    if (isReview(ri)) {
      paths[base] = { post: (operations(ri, false) as { post: unknown }).post };
      continue;
    }
    paths[base] = operations(ri, false);
    paths[`${base}/{name}`] = operations(ri, true);
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: schemasOf(rs) } };
}

/**
 * The component schemas of the group-version's kinds and of every definition they reach (each
 * document is whole, as kube-apiserver's are). Kinds without a derived schema (the CRD kinds
 * podnet models) have none: kubectl explain does not know them.
 */
function schemasOf(rs: readonly ResourceInfo[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const stack = rs.flatMap((ri) => {
    const name = definitionOf(ri);
    return name ? [name] : [];
  });
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (name in out) continue;
    out[name] = SCHEMAS[name];
    stack.push(...[...JSON.stringify(SCHEMAS[name]).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]).filter((n) => !(n in out)));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The schema of a kind: the one whose x-kubernetes-group-version-kind names it. */
function definitionOf(ri: ResourceInfo): string | undefined {
  const gvkOf = (s: Record<string, unknown>) => (s['x-kubernetes-group-version-kind'] ?? []) as { group: string; version: string; kind: string }[];
  return Object.keys(SCHEMAS).find((name) => gvkOf(SCHEMAS[name]).some((g) => g.group === ri.group && g.version === ri.version && g.kind === ri.kind));
}
