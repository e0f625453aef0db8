/**
 * The network-policy-api conformance cases (kubernetes-sigs/network-policy-api,
 * conformance/tests: priority field, gress rules, the ANP/NP/BANP integration), restated as data
 * for podnet: the houses cluster (test/fixtures/tiers/houses.yaml), a policy file, and steps
 * that change the policies as the upstream test does between its probes. Each case runs in
 * v1alpha2 form (ClusterNetworkPolicy) and again rewritten to v1alpha1 (AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy), through the engine and the bitset matrix. The v1alpha1 form must
 * also compile to the very data plane of the v1alpha2 form (the same boxes for every pod), which is
 * the one test/integration/tiers.test.ts probes in a lab.
 */
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../src/policy/engine.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { DEFAULT_SEMANTICS } from '../../src/policy/semantics.js';
import { findPod, loadCluster } from './fixtures.js';
import { CASES, docs, key, toV1alpha1, type Step } from './tiers-conformance-cases.js';
import { clusterDocs, MORE_CASES } from './tiers-conformance-more.js';

function runSteps(file: string, steps: readonly Step[], versions: readonly ('v1alpha2' | 'v1alpha1')[] = ['v1alpha2', 'v1alpha1']): void {
  for (const version of versions) {
    it(`${file} (${version})`, () => {
      const objs = docs(file);
      for (const step of steps) {
        step.change?.(objs);
        const current = version === 'v1alpha1' ? objs.map(toV1alpha1) : objs;
        const cluster = loadCluster(clusterDocs(current));
        if (version === 'v1alpha1') {
          const dataPlane = compilePolicies(loadCluster(clusterDocs(objs)), DEFAULT_SEMANTICS);
          expect(compilePolicies(cluster, DEFAULT_SEMANTICS), `${step.name}: the v1alpha1 form's data plane`).toEqual(dataPlane);
        }
        const engine = new PolicyEngine(cluster);
        for (const [from, to, protocol, port, want] of step.probes) {
          const src = findPod(cluster, key(from));
          const dst = findPod(cluster, key(to));
          const what = `${step.name}: ${from} -> ${to} ${protocol}/${port}`;
          expect(engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.allows(protocol, port), what).toBe(want);
          const m = computeMatrix(cluster, port, protocol);
          expect(m.rows[m.pods.indexOf(src)].has(m.pods.indexOf(dst)), `matrix ${what}`).toBe(want);
        }
      }
    });
  }
}

for (const c of [...CASES, ...MORE_CASES]) {
  describe(`conformance: ${c.title}`, () => runSteps(c.file, c.steps, c.versions));
}
