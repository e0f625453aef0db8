/**
 * A few network-policy-api conformance cases (kubernetes-sigs/network-policy-api,
 * conformance/tests: priority field, gress rules, the ANP/NP/BANP integration), restated as data
 * for podnet: the houses cluster (test/fixtures/tiers/houses.yaml), a policy file, and steps
 * that change the policies as the upstream test does between its probes. Each case runs in
 * v1alpha2 form (ClusterNetworkPolicy) and again rewritten to v1alpha1 (AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy), through the engine and the bitset matrix.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/model/types.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { findPod, loadCluster } from './fixtures.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = 'test/fixtures/tiers';
const HOUSES = readFileSync(`${FIXTURES}/houses.yaml`, 'utf8');

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(`${FIXTURES}/${file}`, 'utf8')).map((d) => d.toJSON() as Obj);
}

/** "gryffindor/harry-potter-0" → the pod key. */
const key = (s: string) => `network-policy-conformance-${s}`;

/** [from, to, protocol, port, allowed] */
type Probe = [string, string, Protocol, number, boolean];

interface Step {
  name: string;
  change?: (objs: Obj[]) => void;
  probes: Probe[];
}

const byName = (objs: Obj[], name: string) => objs.find((o) => o.metadata.name === name)!;
const swap = (list: unknown[], i: number, j: number) => ([list[i], list[j]] = [list[j], list[i]]);

/** A ClusterNetworkPolicy in v1alpha1 form: Admin → AdminNetworkPolicy, Baseline → the BANP "default". */
function toV1alpha1(o: Obj): Obj {
  if (o.kind !== 'ClusterNetworkPolicy') return o;
  const admin = o.spec.tier === 'Admin';
  const rule = (r: Obj): Obj => {
    const { protocols, ...rest } = r;
    const out: Obj = { ...rest, action: r.action === 'Accept' ? 'Allow' : r.action };
    if (protocols) {
      out.ports = protocols.map((p: Obj) => {
        const proto = Object.keys(p)[0];
        if (proto === 'destinationNamedPort') return { namedPort: p[proto] };
        const dp = p[proto].destinationPort;
        return dp.range ? { portRange: { protocol: proto.toUpperCase(), ...dp.range } } : { portNumber: { protocol: proto.toUpperCase(), port: dp.number } };
      });
    }
    return out;
  };
  const spec: Obj = { subject: o.spec.subject, ...(admin ? { priority: o.spec.priority } : {}) };
  if (o.spec.ingress) spec.ingress = o.spec.ingress.map(rule);
  if (o.spec.egress) spec.egress = o.spec.egress.map(rule);
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: admin ? 'AdminNetworkPolicy' : 'BaselineAdminNetworkPolicy', metadata: { name: admin ? o.metadata.name : 'default' }, spec };
}

function runSteps(file: string, steps: readonly Step[]): void {
  for (const version of ['v1alpha2', 'v1alpha1'] as const) {
    it(`${file} (${version})`, () => {
      const objs = docs(file);
      for (const step of steps) {
        step.change?.(objs);
        const current = version === 'v1alpha1' ? objs.map(toV1alpha1) : objs;
        const cluster = loadCluster([HOUSES, ...current]);
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

describe('conformance: priority field', () => {
  runSteps('priority.yaml', [
    {
      name: 'Deny at 50 is checked before Pass at 60',
      probes: [
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, false],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, false],
      ],
    },
    {
      name: 'the Pass moved to 40: the Baseline tier decides (Accept), or the default',
      change: (objs) => void (byName(objs, 'pass-slytherin').spec.priority = 40),
      probes: [
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, true],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
      ],
    },
  ]);
});

describe('conformance: gress rules, first match decides', () => {
  runSteps('gress-rules.yaml', [
    {
      name: 'as written',
      probes: [
        ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
        ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'UDP', 53, true],
        ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, true],
        ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
        ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
        ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'TCP', 8080, true],
        ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'TCP', 80, false],
        ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, true],
        ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'UDP', 53, false],
        ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'SCTP', 9003, true],
        ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'SCTP', 9005, false],
        ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'TCP', 80, true],
        ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
        ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'UDP', 5353, true],
        ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'UDP', 53, false],
        ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'SCTP', 9005, false],
      ],
    },
    {
      name: 'Deny swapped before Accept',
      change: (objs) => {
        const spec = byName(objs, 'gress-rules').spec;
        swap(spec.egress, 0, 1);
        swap(spec.ingress, 0, 1);
      },
      probes: [
        ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'TCP', 80, false],
        ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'UDP', 53, false],
        ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, false],
        ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'UDP', 53, false],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'UDP', 53, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'UDP', 5353, true],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'UDP', 53, false],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'SCTP', 9005, true],
      ],
    },
    {
      name: 'Pass swapped first: nothing else decides, the default allows',
      change: (objs) => {
        const spec = byName(objs, 'gress-rules').spec;
        swap(spec.egress, 0, 2);
        swap(spec.ingress, 0, 2);
      },
      probes: [
        ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
        ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'UDP', 53, true],
        ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
        ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
      ],
    },
  ]);
});

describe('conformance: Admin tier, NetworkPolicy and Baseline tier together', () => {
  runSteps('integration.yaml', [
    {
      name: 'the Admin Deny wins over the NetworkPolicy',
      probes: [
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, false],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, false],
      ],
    },
    {
      name: 'Deny changed to Pass: the NetworkPolicy allows',
      change: (objs) => {
        const spec = byName(objs, 'pass-example').spec;
        spec.ingress[0].action = 'Pass';
        spec.egress[0].action = 'Pass';
      },
      probes: [
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, true],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
      ],
    },
    {
      name: 'the NetworkPolicy deleted: the Baseline Deny decides',
      change: (objs) => void objs.splice(objs.indexOf(byName(objs, 'slytherin-both-ways')), 1),
      probes: [
        ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, false],
        ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
        ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, false],
      ],
    },
  ]);
});
