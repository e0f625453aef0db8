/** The web view's pure parts (src/ui): matrix packing, topology, policy summaries, the JSON endpoints, the page. */
import { describe, expect, it } from 'vitest';
import { explain, formatExplanation, resolveEndpoint } from '../../src/policy/explain.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { handleGet, matrixViewOf, type UiContext } from '../../src/ui/api.js';
import { matrixData, packBits, probeData, unpackBits, type MatrixData } from '../../src/ui/matrix-data.js';
import { pageHtml, scriptJson, scriptText } from '../../src/ui/page.js';
import type { PolicySummary } from '../../src/ui/policies.js';
import { analysisReport } from '../../src/ui/report.js';
import type { Topology } from '../../src/ui/topology.js';
import { world } from './trace-fixture.js';

const ctx = (ready: (key: string) => boolean | undefined = () => undefined): UiContext => ({ world: world(), ready, lab: null });
const get = <T>(path: string, query: Record<string, string> = {}, c = ctx()) => {
  const r = handleGet(path, new URLSearchParams(query), c);
  if (!r) throw new Error(`no endpoint ${path}`);
  return r as { status: number; body: T };
};

describe('matrix bits', () => {
  it('round-trip every size, including ones not a multiple of 8', () => {
    for (const n of [0, 1, 3, 8, 13, 64]) {
      const want = (s: number, d: number) => (s * 7 + d * 3) % 5 === 0;
      const got = unpackBits(packBits(n, want), n);
      for (let s = 0; s < n; s++) for (let d = 0; d < n; d++) expect(got(s, d)).toBe(want(s, d));
    }
  });

  it('carry the analyzer\'s matrix: the same bits as computeMatrix', () => {
    const cluster = world().cluster;
    const m = computeMatrix(cluster, 8080, 'TCP');
    const data = matrixData(matrixViewOf(cluster, 8080, 'TCP'));
    const bits = unpackBits(data.bits, data.pods.length);
    m.rows.forEach((row, s) => data.pods.forEach((_, d) => expect(bits(s, d)).toBe(row.has(d))));
    const i = (k: string) => data.pods.indexOf(k);
    expect(bits(i('default/client'), i('default/db'))).toBe(false);
    expect(bits(i('default/client'), i('default/web-a'))).toBe(true);
  });

  it('without a port: every pair\'s connections, as analyze -o json gives them', () => {
    const data = get<MatrixData>('/api/matrix').body;
    const i = (k: string) => data.pods.indexOf(k);
    expect(data.port).toBeNull();
    expect(data.connections![i('default/client')][i('default/web-a')]).toBe('TCP 8080');
    expect(data.connections![i('default/client')][i('default/db')]).toBe('No Connections');
  });

  it('probe results: one character per pair, mismatches listed', () => {
    const r = (from: string, to: string, expected: boolean, verdict: 'open' | 'denied' | 'timeout') => ({ from, to, expected, allowed: verdict === 'open', outcome: { verdict } });
    const p = probeData(80, 'TCP', [
      [r('a', 'a', true, 'open'), r('a', 'b', false, 'denied')],
      [r('b', 'a', true, 'timeout'), r('b', 'b', true, 'open')],
    ]);
    expect(p).toEqual({ port: 80, protocol: 'TCP', pods: ['a', 'b'], cells: 'odto', mismatches: [{ from: 'b', to: 'a', expected: true, verdict: 'timeout' }] });
  });
});

describe('GET /api/topology', () => {
  it('nodes with pod CIDRs, pods on their nodes with IPs, Services → endpoints, the mode', () => {
    const t = get<Topology>('/api/topology').body;
    expect(t.mode).toBe('routed');
    expect(t.offline).toBe(true);
    expect(t.nodes.map((n) => [n.name, n.podCidr])).toEqual([['node-1', '10.244.0.0/24'], ['node-2', '10.244.1.0/24']]);
    const client = t.pods.find((p) => p.key === 'default/client')!;
    expect(client).toMatchObject({ node: 'node-1', hostNetwork: false, ready: null });
    expect(client.ip).toMatch(/^10\.244\.0\./);
    const web = t.services.find((s) => s.key === 'default/web')!;
    expect(web.endpoints.map((e) => e.pod)).toEqual(['default/web-a', 'default/web-b']);
    expect(t.services.find((s) => s.key === 'default/empty')!.endpoints).toEqual([]);
  });

  it('readiness as the lab reports it', () => {
    const t = get<Topology>('/api/topology', {}, ctx((key) => key !== 'default/db')).body;
    expect(t.pods.find((p) => p.key === 'default/db')!.ready).toBe(false);
    expect(t.pods.find((p) => p.key === 'default/client')!.ready).toBe(true);
  });
});

describe('GET /api/explain and /api/trace', () => {
  it('explain: the same explanation and text as `podnet explain`', () => {
    const r = get<{ text: string }>('/api/explain', { from: 'default/client', to: 'default/db', port: '5432' });
    const cluster = world().cluster;
    const x = explain(cluster, resolveEndpoint(cluster, 'default/client')!, resolveEndpoint(cluster, 'default/db')!, 5432, 'TCP');
    expect(r).toEqual({ status: 200, body: { explanation: x, text: formatExplanation(x) } });
    expect(r.body.text).toContain('isolated by networkpolicy default/db-from-api');
  });

  it('bad requests are 400 with the field named', () => {
    expect(get('/api/explain', { to: 'default/db' })).toEqual({ status: 400, body: { error: 'from: required' } });
    expect(get('/api/explain', { from: 'default/client', to: 'default/nope' })).toEqual({ status: 400, body: { error: 'to: no pod or workload "default/nope"' } });
    expect(get('/api/matrix', { port: '70000' }).status).toBe(400);
    expect(get('/api/matrix', { protocol: 'ICMP' }).status).toBe(400);
    expect(get('/api/trace', { from: 'default/ghost', to: 'default/db' }).status).toBe(400);
    expect(handleGet('/api/nothing', new URLSearchParams(), ctx())).toBeNull();
  });

  it('trace: the packet path of a denied connection', () => {
    const r = get<{ trace: { verdict: string; paths: { route: { kind: string }[]; ingress: { allowed: boolean } }[] }; text: string }>('/api/trace', { from: 'default/client', to: 'default/db', port: '5432' });
    expect(r.status).toBe(200);
    expect(r.body.trace.verdict).toBe('DENIED');
    expect(r.body.trace.paths[0].route.map((s) => s.kind)).toEqual(['routed']);
    expect(r.body.trace.paths[0].ingress.allowed).toBe(false);
  });
});

describe('GET /api/policies', () => {
  it('what each policy selects and what each rule allows', () => {
    const ps = get<PolicySummary[]>('/api/policies').body;
    const db = ps.find((p) => p.key === 'default/db-from-api')!;
    expect(db).toMatchObject({ podSelector: 'app=db', types: ['Ingress'], selects: ['default/db'] });
    expect(db.ingress).toEqual([{ rule: 'spec.ingress[0]', peers: ["pods {app=api} in the policy's namespace"], pods: [], ports: 'all ports' }]);
    const locked = ps.find((p) => p.key === 'default/locked-egress')!;
    expect(locked.types).toEqual(['Egress']);
    expect(locked.egress[0]).toMatchObject({ peers: ['everything'], ports: 'UDP/53' });
    expect(locked.egress[0].pods).toContain('default/client');
  });

  it('GET /api/cluster-policies: none in this world, an empty list (the view then shows NetworkPolicies only)', () => {
    expect(get<unknown[]>('/api/cluster-policies').body).toEqual([]);
  });
});

describe('the page', () => {
  it('no </script> or <!-- can leave the inline scripts', () => {
    expect(scriptJson({ a: '</script><!-- x' })).not.toMatch(/<\/script|<!--/i);
    expect(JSON.parse(scriptJson({ a: '</script>\u2028' }))).toEqual({ a: '</script>\u2028' });
    expect(scriptText('s = "</SCRIPT>"; t = "<!--";')).not.toMatch(/<\/script|<!--/i);
    const html = pageHtml('var x = "</script>";', { kind: 'report', report: { title: '<b>', inputs: ['</script>'] } }, '<b>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('<title>&lt;b&gt;</title>');
  });

  it('an analysis report holds the matrix, the policies and the connlist', () => {
    const r = analysisReport(world().cluster, { port: 8080, protocol: 'TCP', inputs: ['trace.yaml'] });
    expect(r.matrix!.port).toBe(8080);
    expect(r.policies!.map((p) => p.key)).toContain('default/web-open');
    expect(r.connlist!.length).toBeGreaterThan(0);
  });
});
