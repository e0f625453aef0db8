/**
 * computeMatrix (bitsets) must agree with PolicyEngine.evaluate (pair by pair) on every pair of
 * pods: random clusters using every NetworkPolicy feature, read through the real loader.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cluster, Protocol } from '../../src/model/types.js';
import { PolicyEngine, type EngineOptions } from '../../src/policy/engine.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { findPod, loadCluster, namespace, netpol, pod, readObjects } from './fixtures.js';
import { scenarioArb, type Scenario } from './policy-arbitraries.js';
import { SEMANTICS } from '../../src/policy/semantics.js';

/** Every pair where the matrix and the engine disagree, as readable lines. */
function disagreements(cluster: Cluster, port: number, protocol: Protocol, options: EngineOptions): string[] {
  const matrix = computeMatrix(cluster, port, protocol, options);
  const engine = new PolicyEngine(cluster, options);
  const out: string[] = [];
  expect(matrix.pods.length).toBe(cluster.pods.length);
  matrix.pods.forEach((src, s) => {
    matrix.pods.forEach((dst, d) => {
      const want = engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.allows(protocol, port);
      const got = matrix.rows[s].has(d);
      if (got !== want) out.push(`${src.namespace}/${src.name} -> ${dst.namespace}/${dst.name} ${protocol} ${port}: matrix ${got}, engine ${want}`);
    });
  });
  return out;
}

function checkScenario(sc: Scenario): void {
  const cluster = readObjects(sc.objects);
  expect(disagreements(cluster, sc.port, sc.protocol, sc.options)).toEqual([]);
}

describe('computeMatrix agrees with PolicyEngine.evaluate on every pair', () => {
  it('small random clusters (3-12 pods, 0-6 policies)', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6), checkScenario), { numRuns: 600, seed: 20240521 });
  });

  it('small random clusters, unseeded', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6), checkScenario), { numRuns: 200 });
  });

  it('clusters spanning several bitset words (33-80 pods)', () => {
    fc.assert(fc.property(scenarioArb(33, 80, 8), checkScenario), { numRuns: 40, seed: 7 });
  });

  it('random clusters with cluster policy tiers (1-4 cluster policies)', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4), checkScenario), { numRuns: 500, seed: 18 });
  });

  it('random clusters with tiers, unseeded; and several bitset words', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4), checkScenario), { numRuns: 150 });
    fc.assert(fc.property(scenarioArb(33, 80, 6, 5), checkScenario), { numRuns: 30, seed: 8 });
  });
});

describe('computeMatrix on a known cluster', () => {
  const cluster = loadCluster([
    namespace('a'),
    namespace('b'),
    pod('a/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }),
    pod('a/db', { labels: { app: 'db' } }),
    pod('b/client', { labels: { app: 'client' } }),
    pod('a/host', { hostNetwork: true, nodeName: 'n1', hostIP: '172.18.0.2' }),
    pod('a/local', { nodeName: 'n1' }),
    netpol('a', 'deny-all', '{podSelector: {}, policyTypes: [Ingress, Egress]}'),
    netpol('a', 'web', '{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {}}], ports: [{port: http}]}]}'),
    netpol('a', 'web-to-db', '{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]}'),
    netpol('a', 'db', '{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}'),
  ]);

  /** The matrix as "src -> dst" lines of allowed pairs between distinct pods. */
  function allowedPairs(port: number, protocol: Protocol, options?: EngineOptions): string[] {
    const m = computeMatrix(cluster, port, protocol, options);
    const key = (i: number) => `${m.pods[i].namespace}/${m.pods[i].name}`;
    const out: string[] = [];
    m.rows.forEach((row, s) => {
      for (const d of row) if (d !== s) out.push(`${key(s)} -> ${key(d)}`);
    });
    return out.sort();
  }

  it('TCP 8080', () => {
    expect(allowedPairs(8080, 'TCP')).toEqual([
      'a/host -> a/local', // node-local
      'a/host -> b/client', // hostNetwork: not subject to policy
      'a/local -> a/host', // node-local
      'a/web -> a/db',
      'b/client -> a/host',
      'b/client -> a/web', // named port http = 8080
    ]);
  });

  it('TCP 80: the named port does not resolve to 80', () => {
    expect(allowedPairs(80, 'TCP')).not.toContain('b/client -> a/web');
    expect(allowedPairs(80, 'TCP')).toContain('a/web -> a/db');
  });

  it('every pod reaches itself', () => {
    const m = computeMatrix(cluster, 1, 'SCTP');
    m.rows.forEach((row, s) => expect(row.has(s)).toBe(true));
  });

  it('np-guard semantics isolate the hostNetwork pod', () => {
    expect(allowedPairs(8080, 'TCP', { semantics: SEMANTICS['np-guard'] })).toEqual(['a/web -> a/db', 'b/client -> a/web']);
  });

  it('rows follow cluster.pods order', () => {
    const m = computeMatrix(cluster, 8080, 'TCP');
    expect(m.pods).toBe(cluster.pods);
    expect(m.rows).toHaveLength(cluster.pods.length);
    const web = cluster.pods.indexOf(findPod(cluster, 'a/web'));
    const db = cluster.pods.indexOf(findPod(cluster, 'a/db'));
    expect(m.rows[web].has(db)).toBe(true);
    expect(m.rows[db].has(web)).toBe(false);
  });
});
