/**
 * The route table of podnet's ingress controller (pure): the Ingresses it serves, merged into
 * hosts → ordered path rules → backends resolved to endpoints through the service table. Matching
 * follows the Ingress API reference; where it leaves a choice, this follows ingress-nginx.
 */
import { serviceKey } from '../model/services.js';
import type { ServiceTable } from '../model/service-table.js';
import type { Ingress, IngressBackend, PathType } from '../model/types.js';
import { usableEndpoints } from '../model/usable-endpoints.js';

export interface Upstream {
  ip: string;
  port: number;
}

/** Where a matched request goes: a Service port and its endpoints now, or why it cannot go. */
export interface Target {
  /** "ns/name" of the Ingress that routed it. */
  ingress: string;
  /** e.g. "default/web:80" or "default/web:http". */
  backend: string;
  endpoints: readonly Upstream[];
  /** Set when the backend cannot be used (no such Service or port, resource backend): a 503. */
  problem?: string;
}

export interface PathRule {
  path: string;
  pathType: PathType;
  target: Target;
}

export interface HostRoutes {
  /** Longest path first; at equal length Exact before Prefix; then the older Ingress first. */
  paths: PathRule[];
  /** The defaultBackend of the first Ingress that has this host and one. */
  fallback?: Target;
}

export interface RouteTable {
  exact: Map<string, HostRoutes>;
  /** "*.example.com" rules, keyed by "example.com". */
  wildcard: Map<string, HostRoutes>;
  /** Rules without a host. */
  anyHost?: HostRoutes;
  /** The first defaultBackend of all Ingresses (input order: the oldest). */
  defaultBackend?: Target;
}

interface Ranked extends PathRule {
  length: number;
  order: number;
}

/** Builds the table from the Ingresses podnet serves (in input order) and the service table. */
export function buildRouteTable(ingresses: readonly Ingress[], services: ServiceTable): RouteTable {
  const byKey = new Map(services.services.map((s) => [s.key, s]));
  const resolve = (ing: Ingress, b: IngressBackend) => resolveBackend(ing, b, byKey);
  const groups = new Map<string, { ranked: Ranked[]; fallback?: Target }>();
  let defaultBackend: Target | undefined;
  let order = 0;
  for (const ing of ingresses) {
    const own = ing.defaultBackend ? resolve(ing, ing.defaultBackend) : undefined;
    defaultBackend ??= own;
    for (const rule of ing.rules) {
      const host = rule.host === undefined || rule.host === '' ? '' : rule.host.toLowerCase();
      const group = groups.get(host) ?? { ranked: [] };
      group.fallback ??= own;
      for (const p of rule.paths) group.ranked.push({ path: p.path, pathType: p.pathType, target: resolve(ing, p.backend), length: rankLength(p.path, p.pathType), order: order++ });
      groups.set(host, group);
    }
  }
  const table: RouteTable = { exact: new Map(), wildcard: new Map(), ...(defaultBackend ? { defaultBackend } : {}) };
  for (const [host, g] of groups) {
    const paths = g.ranked.sort(byPrecedence).map(({ path, pathType, target }) => ({ path, pathType, target }));
    const routes: HostRoutes = { paths, ...(g.fallback ? { fallback: g.fallback } : {}) };
    if (host === '') table.anyHost = routes;
    else if (host.startsWith('*.')) table.wildcard.set(host.slice(2), routes);
    else table.exact.set(host, routes);
  }
  return table;
}

/**
 * "In some cases, multiple paths within an Ingress will match a request. In those cases
 * precedence will be given first to the longest matching path. If two paths are still equally
 * matched, precedence will be given to paths with an exact path type over prefix path type."
 */
function byPrecedence(a: Ranked, b: Ranked): number {
  return b.length - a.length || Number(b.pathType === 'Exact') - Number(a.pathType === 'Exact') || a.order - b.order;
}

/** A Prefix path's length without its trailing slashes ("/foo/" and "/foo" are the same rule). */
function rankLength(path: string, pathType: PathType): number {
  return pathType === 'Exact' ? path.length : prefixKey(path).length;
}

/** "/foo/" → "/foo", "/" → "": the element-wise prefix a request path must start with. */
function prefixKey(path: string): string {
  return path.replace(/\/+$/, '');
}

function resolveBackend(ing: Ingress, b: IngressBackend, services: Map<string, ServiceTable['services'][number]>): Target {
  const ingress = `${ing.namespace}/${ing.name}`;
  if (!b.service) return { ingress, backend: `${b.resource?.kind ?? 'resource'} ${b.resource?.name ?? ''}`, endpoints: [], problem: 'resource backends are not served by podnet (only Service backends)' };
  const key = serviceKey({ namespace: ing.namespace, name: b.service.name });
  const port = b.service.port;
  const backend = `${key}:${port}`;
  const svc = services.get(key);
  if (!svc) return { ingress, backend, endpoints: [], problem: `service ${key} does not exist` };
  if (svc.type === 'ExternalName') return { ingress, backend, endpoints: [], problem: `service ${key} is an ExternalName Service (not served by podnet's ingress)` };
  // IngressServiceBackend.port: "number is the numerical port number (e.g. 80) on the Service",
  // "name is the name of the port on the Service".
  const sp = svc.ports.find((p) => p.protocol === 'TCP' && (typeof port === 'number' ? p.port === port : p.name === port));
  if (!sp) return { ingress, backend, endpoints: [], problem: `service ${key} has no TCP port ${typeof port === 'number' ? port : JSON.stringify(port)}` };
  return { ingress, backend, endpoints: usableEndpoints(sp.endpoints).map((e) => ({ ip: e.ip, port: e.port })) };
}

/**
 * The request's host as rules see it: the Host header without port, lower-case, without a
 * trailing dot; '' when there is none (HTTP/1.0) or it is malformed.
 */
export function requestHost(header: string | undefined): string {
  if (!header) return '';
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(0, end + 1) : '';
  }
  return h.replace(/:\d*$/, '').replace(/\.$/, '');
}

/** The path part of a request target: no query, no fragment; absolute-form targets reduced. */
export function requestPath(url: string | undefined): string {
  let u = url ?? '/';
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(u);
  if (abs) u = u.slice(abs[0].length) || '/';
  const cut = u.search(/[?#]/);
  return cut >= 0 ? u.slice(0, cut) : u;
}

/** The routes for a host: an exact rule, else a wildcard one, else the rules without a host. */
export function hostRoutes(table: RouteTable, host: string): HostRoutes | undefined {
  const exact = table.exact.get(host);
  if (exact) return exact;
  // "Wildcard matches require the HTTP host header is equal to the suffix of the wildcard rule":
  // "*.foo.com" matches "bar.foo.com", not "baz.bar.foo.com" ("wildcard only covers a single DNS
  // label") nor "foo.com".
  const dot = host.indexOf('.');
  const wild = dot > 0 ? table.wildcard.get(host.slice(dot + 1)) : undefined;
  return wild ?? table.anyHost;
}

/**
 * Exact: "Matches the URL path exactly and with case sensitivity."
 * Prefix: "Matching is done on a path element by element basis ... if the last element of the
 * path is a substring of the last element in request path, it is not a match (e.g. /foo/bar
 * matches /foo/bar/baz, but does not match /foo/barbaz)." A trailing slash is ignored on either
 * side: "/foo/" matches "/foo", "/aaa/bbb" matches "/aaa/bbb/".
 * ImplementationSpecific: treated as Prefix (as ingress-nginx does without regex annotations).
 */
export function pathMatches(rule: { path: string; pathType: PathType }, path: string): boolean {
  if (rule.pathType === 'Exact') return path === rule.path;
  const key = prefixKey(rule.path);
  return key === '' || path === key || path.startsWith(`${key}/`);
}

export type RouteResult = { kind: 'target'; target: Target; rule?: PathRule } | { kind: 'none' };

/**
 * The backend for a request: the best path rule of its host's routes; without one, that host's
 * Ingress defaultBackend, then the first defaultBackend of all; else none (a 404). "If none of
 * the hosts or paths match the HTTP request in the Ingress objects, the traffic is routed to
 * your default backend."
 */
export function route(table: RouteTable, hostHeader: string | undefined, url: string | undefined): RouteResult {
  // RFC 9112 §3.2.2: for an absolute-form target the server "MUST ignore the received Host header
  // field" and use the target's authority.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url ?? '')?.[1];
  const routes = hostRoutes(table, requestHost(authority ?? hostHeader));
  const path = requestPath(url);
  const rule = routes?.paths.find((r) => pathMatches(r, path));
  if (rule) return { kind: 'target', target: rule.target, rule };
  const fallback = routes?.fallback ?? table.defaultBackend;
  return fallback ? { kind: 'target', target: fallback } : { kind: 'none' };
}
