/**
 * The upstream NetworkPolicy e2e suite (test/helpers/netpol-e2e-cases.ts) against the analyzer:
 * every table of every step, TCP, UDP and SCTP, through the bitset matrix and the engine, in the
 * default (upstream) profile. In the cilium and np-guard profiles exactly the CIDR tests fail —
 * the documented difference — and the portability report finds differences in exactly those.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/model/types.js';
import { podKey } from '../../src/model/types.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { portability } from '../../src/policy/portability.js';
import { SEMANTICS, type Semantics } from '../../src/policy/semantics.js';
import { CIDR_CASES, E2E_CASES } from '../helpers/netpol-e2e-cases.js';
import { expectedPairs, labelsAt, namespaceObjects, podObjects, policiesOf, type Check, type E2ECase } from '../helpers/netpol-e2e.js';
import { readObjects } from './fixtures.js';

/** The cluster of step `i`: the case's pods, labels so far, the step's policies with real pod IPs. */
function stepCluster(c: E2ECase, i: number): Cluster {
  const base = [...namespaceObjects(labelsAt(c.steps, i, 'nsLabels')), ...podObjects(c.pods, labelsAt(c.steps, i, 'podLabels'))];
  const ips = new Map(readObjects(base).pods.map((p) => [podKey(p), p.ip]));
  return readObjects([...base, ...policiesOf(c.steps[i], (pod) => ips.get(pod)!)]);
}

/** Allowed pairs among the case's pods (no loopback), by the matrix; the engine must agree. */
function analyzed(cluster: Cluster, check: Check, semantics: Semantics): string[] {
  const m = computeMatrix(cluster, check.port, check.protocol, { semantics });
  const engine = new PolicyEngine(cluster, { semantics });
  const out: string[] = [];
  m.pods.forEach((s, i) =>
    m.pods.forEach((d, j) => {
      if (i === j) return;
      const byEngine = engine.evaluate({ kind: 'pod', pod: s }, { kind: 'pod', pod: d }).conns.allows(check.protocol, check.port);
      expect(byEngine, `engine vs matrix ${podKey(s)} -> ${podKey(d)}`).toBe(m.rows[i].has(j));
      if (m.rows[i].has(j)) out.push(`${podKey(s)} -> ${podKey(d)}`);
    }),
  );
  return out;
}

/** The names of the cases with some table the profile does not reproduce. */
function failingCases(semantics: Semantics): string[] {
  return E2E_CASES.filter((c) =>
    c.steps.some((step, i) => {
      const cluster = stepCluster(c, i);
      return step.checks.some((check) => JSON.stringify(analyzed(cluster, check, semantics).sort()) !== JSON.stringify(expectedPairs(c.pods, check.ops).sort()));
    }),
  ).map((c) => c.name);
}

describe('upstream NetworkPolicy e2e suite, in the analyzer', () => {
  it('restates the whole suite: 42 TCP tests, 3 UDP, 3 SCTP', () => {
    const count = (p: string) => E2E_CASES.filter((c) => c.name.startsWith(`[${p}]`)).length;
    expect([count('TCP'), count('UDP'), count('SCTP')]).toEqual([42, 3, 3]);
    expect(new Set(E2E_CASES.map((c) => c.name)).size).toBe(E2E_CASES.length);
    expect(CIDR_CASES).toHaveLength(3);
  });

  for (const c of E2E_CASES) {
    it(c.name, () => {
      c.steps.forEach((step, i) => {
        const cluster = stepCluster(c, i);
        for (const check of step.checks) {
          expect(analyzed(cluster, check, SEMANTICS.upstream).sort(), `step ${i + 1}, ${check.protocol}/${check.port}`).toEqual(expectedPairs(c.pods, check.ops).sort());
        }
      });
    });
  }
});

describe('the e2e suite in the other profiles', () => {
  it('cilium and np-guard fail exactly the CIDR tests (ipBlocks do not match pod IPs there)', () => {
    expect(failingCases(SEMANTICS.cilium)).toEqual(CIDR_CASES);
    expect(failingCases(SEMANTICS['np-guard'])).toEqual(CIDR_CASES);
  });

  it('the portability report flags exactly the CIDR tests', () => {
    const flagged = E2E_CASES.filter((c) => c.steps.some((_, i) => portability(stepCluster(c, i)).differences.length > 0)).map((c) => c.name);
    expect(flagged).toEqual(CIDR_CASES);
  });
});
