// podnet trace's step builder over a predicted lab (offline world): every path kind, table-driven,
// plus a golden text for one trace (regenerate deliberately: UPDATE_GOLDEN=1).
import { describe, expect, it } from 'vitest';
import { buildTrace, TraceInputError, type Trace } from '../../src/trace/build.js';
import { formatTrace } from '../../src/trace/format.js';
import { parseTarget, TargetError } from '../../src/trace/target.js';
import { config, OBJECTS, rawObjects, world } from './trace-fixture.js';
import { offlineWorld } from '../../src/trace/world.js';
import { golden } from '../support/golden.js';


const W = { routed: world('routed'), vxlan: world('vxlan') };
const ip = (w: keyof typeof W, key: string) => W[w].cluster.pods.find((p) => `${p.namespace}/${p.name}` === key)!.ip;

function trace(to: string, opts: { from?: string; mode?: 'routed' | 'vxlan'; port?: number; protocol?: 'TCP' | 'UDP' } = {}): Trace {
  return buildTrace(W[opts.mode ?? 'routed'], { from: opts.from ?? 'default/client', to: parseTarget(to), toText: to, port: opts.port, protocol: opts.protocol ?? 'TCP' });
}

describe('buildTrace', () => {
  const cases: { name: string; to: string; from?: string; mode?: 'routed' | 'vxlan'; verdict: Trace['verdict']; route: string[]; check?: (t: Trace) => void }[] = [
    { name: 'pod -> pod on the same node', to: 'default/web-a', verdict: 'ALLOWED', route: ['same-node'] },
    { name: 'pod -> pod across nodes, routed', to: 'default/web-b', verdict: 'ALLOWED', route: ['routed'], check: (t) => expect(t.paths[0].route[0].text).toContain(`via ${W.routed.nodes[1].ip}`) },
    { name: 'pod -> pod across nodes, vxlan', to: 'default/web-b', mode: 'vxlan', verdict: 'ALLOWED', route: ['vxlan'], check: (t) => expect(t.paths[0].route[0].text).toContain(`VTEP ${W.vxlan.nodes[1].vtepIP}`) },
    {
      name: 'pod -> Service name: DNS, then DNAT to each endpoint',
      to: 'web',
      verdict: 'ALLOWED',
      route: ['same-node', 'routed'],
      check: (t) => {
        expect(t.dns!.attempts[0]).toMatchObject({ name: 'web.default.svc.cluster.local', result: 'answer' });
        expect(t.service!.service).toBe('default/web');
        expect(t.service!.result.verdict).toBe('DNAT');
        expect(t.paths.map((p) => p.pod).sort()).toEqual(['default/web-a', 'default/web-b']);
        expect(t.paths.every((p) => p.to.endsWith(':8080'))).toBe(true);
        expect(t.paths[0].ingress.allowedBy.map((r) => r.policy)).toEqual(['default/web-open']);
      },
    },
    {
      name: 'pod -> URL: search list expansion, port from the URL',
      to: 'http://web.default/index.html',
      verdict: 'ALLOWED',
      route: ['same-node', 'routed'],
      check: (t) => {
        expect(t.dns!.attempts.map((a) => [a.name, a.result])).toEqual([
          ['web.default.default.svc.cluster.local', 'nxdomain'],
          ['web.default.svc.cluster.local', 'answer'],
        ]);
        expect(t.port).toBe(80);
      },
    },
    { name: 'pod -> ip:port outside the lab', to: '192.0.2.7:443', verdict: 'UNREACHABLE', route: ['unreachable'], check: (t) => expect(t.expect).toBeNull() },
    {
      name: 'denied by egress at the source',
      to: 'default/web-a',
      from: 'default/locked',
      verdict: 'DENIED',
      route: ['same-node'],
      check: (t) => {
        expect(t.paths[0].egress).toMatchObject({ allowed: false, selectedBy: [{ policy: 'default/locked-egress' }] });
        expect(t.paths[0].ingress.allowed).toBe(true);
        expect(t.expect).toBe('denied');
      },
    },
    {
      name: 'denied by ingress at the destination',
      to: 'default/db',
      verdict: 'DENIED',
      route: ['routed'],
      check: (t) => {
        expect(t.port).toBe(5432);
        expect(t.paths[0].egress.allowed).toBe(true);
        expect(t.paths[0].ingress).toMatchObject({ allowed: false, selectedBy: [{ policy: 'default/db-from-api' }], allowedBy: [] });
      },
    },
    {
      name: 'Service without endpoints: rejected by the proxy',
      to: 'empty',
      verdict: 'NO ENDPOINTS',
      route: [],
      check: (t) => {
        expect(t.service!.result.verdict).toBe('REJECT');
        expect(t.expect).toBe('refused');
      },
    },
    { name: 'a name outside the cluster zone is forwarded, not followed', to: 'example.com:443', verdict: 'FORWARDED', route: [], check: (t) => expect(t.dns!.attempts.at(-1)).toMatchObject({ name: 'example.com', result: 'forward' }) },
    { name: 'a short unknown name goes through the search list, then upstream', to: 'nosuch', verdict: 'FORWARDED', route: [], check: (t) => expect(t.dns!.attempts.map((a) => a.result)).toEqual(['nxdomain', 'nxdomain', 'nxdomain', 'forward']) },
    { name: 'an unknown name in the cluster zone does not resolve', to: 'nosuch.default.svc.cluster.local', verdict: 'UNRESOLVED', route: [], check: (t) => expect(t.dns!.attempts.every((a) => a.result === 'nxdomain')).toBe(true) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = trace(c.to, { from: c.from, mode: c.mode });
      expect(t.verdict).toBe(c.verdict);
      expect(t.paths.map((p) => p.route.at(-1)!.kind).sort()).toEqual([...c.route].sort());
      c.check?.(t);
    });
  }

  it('traces the Service address and a NodePort-less VIP the same way as the name', () => {
    const byName = trace('web');
    const byIP = trace(`${byName.address}:80`);
    expect(byIP.paths).toEqual(byName.paths);
    expect(byIP.dns).toBeNull();
  });

  it('a bare name that no cluster name answers is a pod of the namespace', () => {
    const t = buildTrace(W.routed, { from: 'default/client', to: parseTarget('web-b'), toText: 'web-b', protocol: 'TCP', namespace: 'default' });
    expect(t.dns).toBeNull();
    expect(t.paths.map((p) => p.pod)).toEqual(['default/web-b']);
    // A Service of that name wins: the name resolves.
    expect(trace('web').service).not.toBeNull();
  });

  it('an address that is a pod IP is that pod', () => {
    expect(trace(`${ip('routed', 'default/web-b')}:8080`).paths[0].pod).toBe('default/web-b');
  });

  it('names the argument in input errors', () => {
    expect(() => trace('default/nosuch')).toThrow(TraceInputError);
    expect(() => trace('default/web-a', { from: 'default/ghost' })).toThrow(/FROM/);
    expect(() => trace('192.0.2.7')).toThrow(/--port/);
    expect(() => parseTarget('web:99999')).toThrow(TargetError);
    expect(() => parseTarget('a/b/c')).toThrow(/TO/);
    expect(() => parseTarget('ftp://x')).toThrow(/no port/);
  });

  it('formats a Service trace (golden)', () => {
    golden('trace-service.txt', formatTrace(trace('web'), { target: '10.96.0.1:80', outcome: { verdict: 'open', ms: 3 }, agrees: true }));
  });

  it('with cluster policies: the Admin tier\'s Deny decides before NetworkPolicy; a Pass hands on to it (golden)', () => {
    const cnp = (name: string, priority: number, action: string) => ({
      apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name },
      spec: { tier: 'Admin', priority, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } } }, ingress: [{ name: `${action.toLowerCase()}-client`, action, from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } } }] }] },
    });
    const denyFirst = offlineWorld(config(), rawObjects([...OBJECTS, cnp('deny-client', 5, 'Deny'), cnp('pass-client', 9, 'Pass')]));
    const passFirst = offlineWorld(config(), rawObjects([...OBJECTS, cnp('deny-client', 9, 'Deny'), cnp('pass-client', 5, 'Pass')]));
    const t = (w: typeof denyFirst) => buildTrace(w, { from: 'default/client', to: parseTarget('default/web-b'), toText: 'default/web-b', port: 8080, protocol: 'TCP' });
    expect(t(denyFirst).verdict).toBe('DENIED');
    expect(t(passFirst).verdict).toBe('ALLOWED');
    golden('trace-tiers.txt', `${formatTrace(t(denyFirst))}\n${formatTrace(t(passFirst))}`);
  });
});
