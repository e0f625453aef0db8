/**
 * The network-policy-api conformance cases (kubernetes-sigs/network-policy-api,
 * conformance/tests: priority field, gress rules, the ANP/NP/BANP integration) restated as data
 * for podnet: the houses cluster (test/fixtures/tiers/houses.yaml), a policy file, and steps
 * that change the policies as the upstream test does between its probes. The unit test runs them
 * through the engine and the bitset matrix; the integration test (tiers-lab) with real probes in
 * a lab. Each case runs in v1alpha2 form (ClusterNetworkPolicy) and rewritten to v1alpha1.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Protocol } from '../../src/model/types.js';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const FIXTURES = 'test/fixtures/tiers';
export const HOUSES = readFileSync(`${FIXTURES}/houses.yaml`, 'utf8');

export function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(`${FIXTURES}/${file}`, 'utf8')).map((d) => d.toJSON() as Obj);
}

/** "gryffindor/harry-potter-0" → the pod key. */
export const key = (s: string) => `network-policy-conformance-${s}`;

/** [from, to, protocol, port, allowed] */
export type Probe = [string, string, Protocol, number, boolean];

export interface Step {
  name: string;
  change?: (objs: Obj[]) => void;
  probes: Probe[];
}

const byName = (objs: Obj[], name: string) => objs.find((o) => o.metadata.name === name)!;
const swap = (list: unknown[], i: number, j: number) => ([list[i], list[j]] = [list[j], list[i]]);

/** A ClusterNetworkPolicy in v1alpha1 form: Admin → AdminNetworkPolicy, Baseline → the BANP "default". */
export function toV1alpha1(o: Obj): Obj {
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

export interface ConformanceCase {
  title: string;
  file: string;
  steps: readonly Step[];
  /** The API versions it runs in (default both): v1alpha1 has one BaselineAdminNetworkPolicy only. */
  versions?: readonly ('v1alpha2' | 'v1alpha1')[];
}

export const CASES: readonly ConformanceCase[] = [
  {
    title: 'priority field',
    file: 'priority.yaml',
    steps: [
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
    ],
  },
  {
    title: 'gress rules, first match decides',
    file: 'gress-rules.yaml',
    steps: [
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
    ],
  },
  {
    title: 'Admin tier, NetworkPolicy and Baseline tier together',
    file: 'integration.yaml',
    steps: [
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
    ],
  },
];
