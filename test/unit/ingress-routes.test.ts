/**
 * The ingress route table (src/ingress/routes.ts) by tables: the Ingress API reference's
 * examples for Exact and Prefix, one-label wildcard hosts, precedence across paths, hosts and
 * Ingresses, default backends, 404, and backends resolved by port number or name.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceEntry, ServiceTable } from '../../src/model/service-table.js';
import type { PathType } from '../../src/model/types.js';
import { buildRouteTable, pathMatches, requestHost, requestPath, route, type RouteTable } from '../../src/ingress/routes.js';
import { readObjects } from './fixtures.js';

type Obj = Record<string, unknown>;

const backend = (name: string, port: number | string = 80): Obj => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const p = (path: string, pathType: PathType, svc: string, port: number | string = 80): Obj => ({ path, pathType, backend: backend(svc, port) });

function ingress(name: string, spec: Obj, namespace = 'default'): Obj {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace }, spec };
}

/** A service entry with one port (80, named "http") and one endpoint per service. */
function svc(name: string, opts: Partial<ServiceEntry> = {}, namespace = 'default'): ServiceEntry {
  const ip = `10.244.0.${10 + [...name].reduce((a, c) => a + c.charCodeAt(0), 0) % 200}`;
  return {
    key: `${namespace}/${name}`,
    type: 'ClusterIP',
    clusterIP: '10.96.0.50',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, endpoints: [{ ip, port: 8080, node: 'node-1', ready: true, serving: true, terminating: false }] }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ...opts,
  };
}

const SERVICES = ['a', 'b', 'c', 'exact', 'prefix', 'fallback', 'other', 'wild', 'host'];

function table(ingresses: Obj[], services: ServiceTable = { services: SERVICES.map((n) => svc(n)) }): RouteTable {
  return buildRouteTable(readObjects(ingresses).ingresses, services);
}

/** The Service a request lands on ("ns/name:port" without the namespace), or 404. */
function lands(t: RouteTable, host: string | undefined, path: string): string {
  const r = route(t, host, path);
  return r.kind === 'none' ? '404' : r.target.backend.replace(/^default\//, '').replace(/:80$/, '');
}

describe('path matching: the Ingress reference examples', () => {
  // https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
  const cases: [PathType, string, string, boolean][] = [
    ['Prefix', '/', '/anything/at/all', true],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/bar', false],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo/', '/foo/', true],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb/', '/aaa/bbb', true], // ignores trailing slash
    ['Prefix', '/aaa/bbb', '/aaa/bbb/', true], // matches trailing slash
    ['Prefix', '/aaa/bbb', '/aaa/bbb/ccc', true], // matches subpath
    ['Prefix', '/aaa/bbb', '/aaa/bbbxyz', false], // does not match string prefix
    ['Prefix', '/api', '/api/x', true],
    ['Prefix', '/api', '/apix', false],
    ['ImplementationSpecific', '/api', '/api/x', true],
    ['ImplementationSpecific', '/api', '/apix', false],
    ['Exact', '/Foo', '/foo', false], // case sensitive
    ['Prefix', '/Foo', '/foo', false],
  ];
  it.each(cases)('%s %s vs %s → %s', (pathType, path, request, want) => {
    expect(pathMatches({ path, pathType }, request)).toBe(want);
  });

  it('multiple paths: the longest match wins, Exact before Prefix at equal length', () => {
    const t = table([ingress('i', { rules: [{ http: { paths: [p('/', 'Prefix', 'a'), p('/aaa', 'Prefix', 'b'), p('/aaa/bbb', 'Prefix', 'c'), p('/foo', 'Prefix', 'prefix'), p('/foo', 'Exact', 'exact')] } }] })]);
    expect(lands(t, 'x', '/aaa/ccc')).toBe('b'); // matches /aaa prefix
    expect(lands(t, 'x', '/aaa/bbb')).toBe('c'); // matches /aaa/bbb prefix
    expect(lands(t, 'x', '/ccc')).toBe('a'); // matches / prefix
    expect(lands(t, 'x', '/foo')).toBe('exact'); // prefers Exact
    expect(lands(t, 'x', '/foo/')).toBe('prefix');
  });

  it('"/aaa" Prefix only: /ccc uses the default backend, or is a 404 without one', () => {
    const rules = [{ http: { paths: [p('/aaa', 'Prefix', 'a')] } }];
    expect(lands(table([ingress('i', { rules })]), 'x', '/ccc')).toBe('404');
    expect(lands(table([ingress('i', { rules, defaultBackend: backend('fallback') })]), 'x', '/ccc')).toBe('fallback');
  });

  it('a Prefix path written with a trailing slash ranks as the path without it', () => {
    const t = table([ingress('i', { rules: [{ http: { paths: [p('/foo/', 'Prefix', 'prefix'), p('/foo', 'Exact', 'exact'), p('/fo', 'Prefix', 'a')] } }] })]);
    expect(lands(t, 'x', '/foo')).toBe('exact');
    expect(lands(t, 'x', '/foo/bar')).toBe('prefix');
    expect(lands(t, 'x', '/fo')).toBe('a');
  });

  it('the query string and absolute-form targets do not take part', () => {
    const t = table([ingress('i', { rules: [{ http: { paths: [p('/q', 'Exact', 'exact'), p('/', 'Prefix', 'a')] } }] })]);
    expect(lands(t, 'x', '/q?x=/y')).toBe('exact');
    expect(lands(t, 'x', 'http://x/q#frag')).toBe('exact');
    const hosts = table([ingress('h', { rules: [{ host: 'a.test', http: { paths: [p('/', 'Prefix', 'a')] } }, { host: 'b.test', http: { paths: [p('/', 'Prefix', 'b')] } }] })]);
    expect(lands(hosts, 'a.test', 'http://b.test:8080/x')).toBe('b'); // absolute-form: its authority, not Host
    expect(requestPath('http://host:81')).toBe('/');
  });
});

describe('hosts', () => {
  const t = table([
    ingress('i', {
      rules: [
        { host: 'foo.bar.com', http: { paths: [p('/', 'Prefix', 'host')] } },
        { host: '*.foo.com', http: { paths: [p('/', 'Prefix', 'wild')] } },
        { host: '*.bar.com', http: { paths: [p('/', 'Prefix', 'wild')] } },
        { http: { paths: [p('/', 'Prefix', 'other')] } },
      ],
    }),
  ]);
  // "*.foo.com | bar.foo.com | Matches based on shared suffix; baz.bar.foo.com | No match,
  // wildcard only covers a single DNS label; foo.com | No match"
  const cases: [string | undefined, string][] = [
    ['foo.bar.com', 'host'],
    ['FOO.bar.com:8080', 'host'],
    ['foo.bar.com.', 'host'],
    ['bar.foo.com', 'wild'],
    ['baz.bar.foo.com', 'other'],
    ['foo.com', 'other'],
    ['x.bar.com', 'wild'], // a wildcard is below an exact host, above the host-less rules
    ['10.0.0.1:80', 'other'],
    [undefined, 'other'],
  ];
  it.each(cases)('Host %s → %s', (host, want) => expect(lands(t, host, '/')).toBe(want));

  it('the Host header is read without port, case or trailing dot', () => {
    expect(requestHost('Example.COM:443')).toBe('example.com');
    expect(requestHost('[::1]:80')).toBe('[::1]');
    expect(requestHost(undefined)).toBe('');
  });

  it('a matched host keeps its request even when none of its paths match (no fall-through)', () => {
    const t2 = table([ingress('i', { rules: [{ host: 'h.test', http: { paths: [p('/api', 'Prefix', 'a')] } }, { http: { paths: [p('/', 'Prefix', 'other')] } }] })]);
    expect(lands(t2, 'h.test', '/web')).toBe('404');
    expect(lands(t2, 'elsewhere.test', '/web')).toBe('other');
  });
});

describe('several Ingresses', () => {
  it('rules of one host merge; equal paths go to the older (first applied) Ingress', () => {
    const t = table([
      ingress('first', { rules: [{ host: 'h.test', http: { paths: [p('/a', 'Prefix', 'a'), p('/same', 'Prefix', 'a')] } }] }),
      ingress('second', { rules: [{ host: 'h.test', http: { paths: [p('/b', 'Prefix', 'b'), p('/same', 'Prefix', 'b'), p('/same/deeper', 'Prefix', 'c')] } }] }),
    ]);
    expect(['/a/1', '/b/2', '/same', '/same/deeper/x'].map((path) => lands(t, 'h.test', path))).toEqual(['a', 'b', 'a', 'c']);
    expect(route(t, 'h.test', '/b')).toMatchObject({ kind: 'target', target: { ingress: 'default/second' } });
    expect(route(t, 'h.test', '/same')).toMatchObject({ kind: 'target', target: { ingress: 'default/first' } });
  });

  it("a host's own Ingress default backend comes before the first one of all", () => {
    const t = table([
      ingress('global', { defaultBackend: backend('fallback') }),
      ingress('mine', { defaultBackend: backend('other'), rules: [{ host: 'mine.test', http: { paths: [p('/x', 'Exact', 'a')] } }] }),
      ingress('theirs', { rules: [{ host: 'theirs.test', http: { paths: [p('/x', 'Exact', 'a')] } }] }),
    ]);
    expect(lands(t, 'mine.test', '/y')).toBe('other');
    expect(lands(t, 'theirs.test', '/y')).toBe('fallback');
    expect(lands(t, 'nobody.test', '/')).toBe('fallback');
  });
});

describe('backends', () => {
  const named: ServiceEntry = svc('api', {
    ports: [
      { name: 'http', protocol: 'TCP', port: 8000, endpoints: [{ ip: '10.244.0.5', port: 9000, node: 'n', ready: true, serving: true, terminating: false }, { ip: '10.244.0.6', port: 9000, node: 'n', ready: false, serving: false, terminating: false }] },
      { name: 'dns', protocol: 'UDP', port: 53, endpoints: [] },
    ],
  });
  const services: ServiceTable = { services: [named, svc('ext', { type: 'ExternalName', clusterIP: undefined })] };
  const only = (b: Obj) => {
    const r = route(table([ingress('i', { defaultBackend: b })], services), 'x', '/');
    if (r.kind !== 'target') throw new Error('no target');
    return r.target;
  };

  it('port by number or by name resolves to the ready endpoints of that Service port', () => {
    expect(only(backend('api', 8000)).endpoints).toEqual([{ ip: '10.244.0.5', port: 9000 }]);
    expect(only(backend('api', 'http'))).toMatchObject({ backend: 'default/api:http', endpoints: [{ ip: '10.244.0.5', port: 9000 }] });
  });

  it('what cannot be served is a problem (a 503), not a crash', () => {
    expect(only(backend('missing')).problem).toBe('service default/missing does not exist');
    expect(only(backend('api', 9999)).problem).toBe('service default/api has no TCP port 9999');
    expect(only(backend('api', 53)).problem).toBe('service default/api has no TCP port 53');
    expect(only(backend('ext')).problem).toMatch(/ExternalName/);
    expect(only({ resource: { kind: 'StorageBucket', name: 'static' } }).problem).toMatch(/resource backends/);
  });

  it('a backend is looked up in the namespace of its Ingress', () => {
    const t = buildRouteTable(readObjects([ingress('i', { defaultBackend: backend('api', 8000) }, 'other')]).ingresses, services);
    expect(route(t, 'x', '/')).toMatchObject({ kind: 'target', target: { problem: 'service other/api does not exist' } });
  });
});
