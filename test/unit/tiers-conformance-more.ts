/**
 * More of the network-policy-api conformance tests (kubernetes-sigs/network-policy-api,
 * conformance/tests), restated as podnet test data in the shape of tiers-conformance-cases.ts: one
 * case per upstream test (two for a test file that holds two tests), its policies under
 * test/fixtures/tiers/conformance/ in v1alpha2 form, steps that change the policies (or a
 * namespace's labels) as the upstream sub-tests do, in order, each step seeing the changes before it,
 * and the probes with upstream's expected verdicts. The facts (policies, pods, ports, verdicts)
 * come from upstream; the wording and the data layout are podnet's.
 *
 * Restated: admin-network-policy-standard-{egress,ingress}-{tcp,udp,sctp}-rules,
 * baseline-admin-network-policy-standard-{egress,ingress}-{tcp,udp,sctp}-rules,
 * baseline-admin-network-policy-standard-gress-rules, admin-network-policy-standard-priority
 * (pods peers, where priority.yaml has namespaces peers), {admin,baseline-admin}-network-policy-
 * standard-egress-inline-cidr-rules, -port-range-rules, -pod-selector-rules and
 * -ingress-egress-isolation (the last three from upstream pull requests not yet on main), and
 * {admin,baseline-admin}-network-policy-standard-same-priority (three policies of one tier at one
 * priority: the test is built so that their order does not matter), and the experimental
 * {admin,baseline-admin}-network-policy-experimental-{egress,ingress}-rules: their named-port
 * tests, and the node-peer ones with two nodes and host-networked centaur pods on fixed ports in
 * the case's file (upstream creates those pods and picks their ports at run time). The v1alpha1
 * release's versions of these two files ({admin,baseline-admin}-network-policy-extended-{egress,
 * ingress}-rules: the same tests on AdminNetworkPolicy and BaselineAdminNetworkPolicy) are what
 * each case's v1alpha1 run checks.
 *
 * Not restated, and why:
 * - admin-network-policy-standard-gress-rules and -integration: already cases in
 *   tiers-conformance-cases.ts (gress-rules.yaml, integration.yaml).
 * - the hairpin test (admin-network-policy-hairpin-rules, optional feature
 *   SupportClusterNetworkPolicyHairpin): it expects an Admin Deny of the pod's own namespace to
 *   stop the pod reaching itself through its Service. podnet always lets a pod reach itself (the
 *   engine, the matrix and the data plane alike), so it does not claim that feature.
 * - the inline-CIDR tests' IPv6 branch (/128 masks): podnet's pods are IPv4; the ::/0 network is
 *   kept in the policy and simply matches nothing.
 *
 * The baseline pod-selector test applies two Baseline policies at once; toV1alpha1 turns every
 * Baseline policy into the one BANP "default", so it is two cases here, one per policy (their
 * subjects are disjoint, so each probe has the same verdict as with both).
 */
import { parseAllDocuments } from 'yaml';
import { findPod, loadCluster } from './fixtures.js';
import { HOUSES, key, type ConformanceCase, type Obj, type Probe, type Step } from './tiers-conformance-cases.js';

const byName = (objs: Obj[], name: string) => {
  const o = objs.find((x) => x.kind === 'ClusterNetworkPolicy' && x.metadata.name === name);
  if (!o) throw new Error(`no policy ${name}`);
  return o;
};

/** Swaps rules i and j of a policy's rule lists (upstream swaps by index between sub-tests). */
function swapRules(policy: string, i: number, j: number, ...lists: ('egress' | 'ingress')[]): (objs: Obj[]) => void {
  return (objs) => {
    const spec = byName(objs, policy).spec;
    for (const l of lists) [spec[l][i], spec[l][j]] = [spec[l][j], spec[l][i]];
  };
}

/** A Namespace object in a case's objects stands in for the houses.yaml one of that name. */
function relabel(house: string, label: string): (objs: Obj[]) => void {
  return (objs) => {
    const name = key(house);
    const i = objs.findIndex((o) => o.kind === 'Namespace' && o.metadata.name === name);
    if (i >= 0) objs.splice(i, 1);
    objs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'conformance-house': label } } });
  };
}

const identity = (o: Obj) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/**
 * The documents of a step's cluster: houses.yaml, with any object the case carries under the same
 * kind and name (a relabelled Namespace) in place of the houses.yaml one, then the case's objects.
 */
export function clusterDocs(objs: readonly Obj[]): Obj[] {
  const mine = new Map(objs.map((o) => [identity(o), o]));
  const houses = parseAllDocuments(HOUSES).map((d) => d.toJSON() as Obj).filter((o) => o);
  const merged = houses.map((o) => mine.get(identity(o)) ?? o);
  const inHouses = new Set(houses.map(identity));
  return [...merged, ...objs.filter((o) => !inHouses.has(identity(o)))];
}

/** The address of a houses.yaml pod, as the cluster loader assigns it. */
function podIP(pod: string): string {
  return findPod(loadCluster([HOUSES]), key(pod)).ip;
}

/** Upstream inserts, at the top of the egress rules, an Accept to two pods' addresses (/32). */
function acceptPodAddresses(policy: string, pods: string[]): (objs: Obj[]) => void {
  return (objs) => {
    const spec = byName(objs, policy).spec;
    spec.egress.unshift({ name: 'pod-addresses-accept', action: 'Accept', to: [{ networks: pods.map((p) => `${podIP(p)}/32`) }] });
  };
}

/** Every protocol's probe of the inline-CIDR tests: TCP 80, UDP 53, SCTP 9003. */
const all3 = (from: string, to: string, allowed: boolean): Probe[] => [
  [from, to, 'TCP', 80, allowed],
  [from, to, 'UDP', 53, allowed],
  [from, to, 'SCTP', 9003, allowed],
];

function inlineCidr(title: string, file: string, policy: string): ConformanceCase {
  const hp1 = 'gryffindor/harry-potter-1';
  return {
    title,
    file,
    steps: [
      {
        name: 'as written: slytherin pods accepted, every other address denied',
        probes: [...all3(hp1, 'ravenclaw/luna-lovegood-0', false), ...all3(hp1, 'hufflepuff/cedric-diggory-0', false), ...all3(hp1, 'slytherin/draco-malfoy-0', true)],
      },
      {
        name: 'slytherin namespace relabelled: the pods peer no longer matches, the networks Deny decides',
        change: relabel('slytherin', 'denied-namespace-label'),
        probes: all3(hp1, 'slytherin/draco-malfoy-0', false),
      },
      {
        name: 'slytherin label restored: accepted again',
        change: relabel('slytherin', 'slytherin'),
        probes: all3(hp1, 'slytherin/draco-malfoy-0', true),
      },
      {
        name: 'an Accept for luna-lovegood-0/32 and cedric-diggory-0/32 put first',
        change: acceptPodAddresses(policy, ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-0']),
        probes: [
          ...all3(hp1, 'ravenclaw/luna-lovegood-0', true),
          ...all3(hp1, 'hufflepuff/cedric-diggory-0', true),
          ...all3(hp1, 'ravenclaw/luna-lovegood-1', false),
          ...all3(hp1, 'hufflepuff/cedric-diggory-1', false),
        ],
      },
    ],
  };
}

function portRange(title: string, file: string): ConformanceCase {
  return {
    title,
    file,
    steps: [
      {
        name: 'egress: inside each range accepted, other protocols to that house denied',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 8080, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'UDP', 53, false],
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, true],
          ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-0', 'TCP', 80, false],
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, true],
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
        ],
      },
      {
        name: 'ingress: inside each range accepted, other protocols from that house denied',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'UDP', 53, false],
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-0', 'UDP', 53, true],
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-0', 'UDP', 5353, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-0', 'TCP', 80, false],
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'SCTP', 9005, true],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 80, false],
        ],
      },
    ],
  };
}

const POD_SELECTOR_PEERS: Step[] = [
  {
    name: 'egress peers by pod label alone, and by pod name within a namespace',
    probes: [
      ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, false],
      ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-0', 'TCP', 80, false],
      ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'TCP', 80, true],
    ],
  },
  {
    name: 'ingress peers by pod label alone, and by pod name within a namespace',
    probes: [
      ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
      ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
      ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-0', 'TCP', 80, true],
    ],
  },
];
const NOT_GRYFFINDOR_SUBJECT: Probe = ['slytherin/draco-malfoy-0', 'hufflepuff/cedric-diggory-0', 'TCP', 80, true];
const POD_NAME_SUBJECT: Probe[] = [
  ['ravenclaw/luna-lovegood-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
  ['ravenclaw/luna-lovegood-1', 'slytherin/draco-malfoy-0', 'TCP', 80, true],
];

function isolation(title: string, file: string, direction: 'ingress' | 'egress'): ConformanceCase {
  const enforced: Step =
    direction === 'ingress'
      ? { name: 'the ingress rule holds: slytherin cannot reach gryffindor', probes: [['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false]] }
      : { name: 'the egress rule holds: gryffindor cannot reach slytherin', probes: [['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false]] };
  const other: Step =
    direction === 'ingress'
      ? {
          name: 'egress untouched: gryffindor still reaches ravenclaw and hufflepuff',
          probes: [
            ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
            ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-0', 'TCP', 80, true],
          ],
        }
      : {
          name: 'ingress untouched: ravenclaw and hufflepuff still reach gryffindor',
          probes: [
            ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
            ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ],
        };
  return { title, file, steps: [enforced, other] };
}

/**
 * The same-priority tests: three policies of one tier at one priority, each denying one house on
 * one port in both directions. Every Deny shows first (all three are in force), then the ports
 * that belong to another policy's subject stay open, then a house no policy names. Upstream's
 * servers are the houses' pod 0 (Admin) or pod 1 (Baseline).
 */
function samePriority(title: string, file: string, n: 0 | 1): ConformanceCase {
  const [g, s, h, r] = [`gryffindor/harry-potter-${n}`, `slytherin/draco-malfoy-${n}`, `hufflepuff/cedric-diggory-${n}`, `ravenclaw/luna-lovegood-${n}`];
  return {
    title,
    file,
    steps: [
      {
        name: 'each policy denies in both directions',
        probes: [
          ['slytherin/draco-malfoy-0', g, 'TCP', 80, false],
          ['gryffindor/harry-potter-0', s, 'TCP', 80, false],
          ['hufflepuff/cedric-diggory-0', g, 'TCP', 80, false],
          ['gryffindor/harry-potter-1', h, 'TCP', 80, false],
          ['slytherin/draco-malfoy-1', h, 'TCP', 8080, false],
          ['hufflepuff/cedric-diggory-1', s, 'TCP', 8080, false],
        ],
      },
      {
        name: "one policy's rules do not apply to another policy's subject",
        probes: [
          ['slytherin/draco-malfoy-0', g, 'TCP', 8080, true],
          ['gryffindor/harry-potter-0', s, 'TCP', 8080, true],
          ['slytherin/draco-malfoy-1', h, 'TCP', 80, true],
          ['hufflepuff/cedric-diggory-0', s, 'TCP', 80, true],
        ],
      },
      {
        name: 'a house no policy names is not affected',
        probes: [
          ['ravenclaw/luna-lovegood-0', g, 'TCP', 80, true],
          [n === 0 ? 'gryffindor/harry-potter-1' : 'gryffindor/harry-potter-0', r, 'TCP', 80, true],
        ],
      },
    ],
  };
}

/**
 * The named-port tests of the experimental files: one rule of a standard case's policy gets
 * `destinationNamedPort` instead of its port number (upstream patches it in place), then one
 * probe at the named port's number and one that the next rule denies.
 */
function namedPort(title: string, file: string, policy: string, side: 'ingress' | 'egress', index: number, port: string, probes: Probe[]): ConformanceCase {
  return {
    title,
    file,
    steps: [
      {
        name: `${side}[${index}] matches the port named ${port}`,
        change: (objs) => void (byName(objs, policy).spec[side][index].protocols = [{ destinationNamedPort: port }]),
        probes,
      },
    ],
  };
}

/** A gryffindor pod to the host-networked centaur-1 (its node's address) of the node-peer fixtures. */
const toCentaur = (from: string, protocol: Probe[2], port: number, allowed: boolean): Probe => [from, 'forbidden-forrest/centaur-1', protocol, port, allowed];

export const MORE_CASES: readonly ConformanceCase[] = [
  {
    title: 'egress to node peers, Admin tier (admin-network-policy-experimental-egress-rules: CNPAdminTierEgressNodePeers)',
    file: 'conformance/admin-node-peers.yaml',
    steps: [
      { name: 'Accept at the first host port', probes: [toCentaur('gryffindor/harry-potter-1', 'TCP', 36363, true)] },
      // Passed on: no NetworkPolicy and no Baseline policy, so the default allows it.
      { name: 'Pass at the third host port', probes: [toCentaur('gryffindor/harry-potter-1', 'UDP', 34345, true)] },
      {
        name: 'Deny for the rest of the nodes',
        probes: [toCentaur('gryffindor/harry-potter-1', 'TCP', 36364, false), toCentaur('gryffindor/harry-potter-1', 'UDP', 34346, false), toCentaur('gryffindor/harry-potter-1', 'SCTP', 9003, false)],
      },
    ],
  },
  {
    title: 'egress to node peers, Baseline tier (baseline-admin-network-policy-experimental-egress-rules: CNPBaselineTierEgressNodePeers)',
    file: 'conformance/baseline-node-peers.yaml',
    steps: [
      { name: 'Accept on the host port range', probes: [toCentaur('gryffindor/harry-potter-0', 'TCP', 36363, true), toCentaur('gryffindor/harry-potter-1', 'TCP', 36364, true)] },
      { name: 'Deny for the rest of the nodes', probes: [toCentaur('gryffindor/harry-potter-1', 'UDP', 34346, false), toCentaur('gryffindor/harry-potter-1', 'SCTP', 9003, false)] },
    ],
  },
  namedPort('egress named port, Admin tier (admin-network-policy-experimental-egress-rules: CNPAdminTierEgressNamedPort)', 'conformance/admin-egress-tcp.yaml', 'egress-tcp', 'egress', 5, 'web', [
    ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'TCP', 80, true],
    ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'TCP', 8080, false],
  ]),
  namedPort('ingress named port, Admin tier (admin-network-policy-experimental-ingress-rules)', 'conformance/admin-ingress-udp.yaml', 'ingress-udp', 'ingress', 5, 'dns', [
    ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'UDP', 53, true],
    ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, false],
  ]),
  namedPort('egress named port, Baseline tier (baseline-admin-network-policy-experimental-egress-rules: CNPBaselineTierEgressNamedPort)', 'conformance/baseline-egress-udp.yaml', 'baseline', 'egress', 3, 'dns', [
    ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'UDP', 53, true],
    ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'UDP', 5353, false],
  ]),
  namedPort('ingress named port, Baseline tier (baseline-admin-network-policy-experimental-ingress-rules)', 'conformance/baseline-ingress-tcp.yaml', 'baseline', 'ingress', 3, 'web', [
    ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'TCP', 80, true],
    ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
  ]),
  samePriority('same priority, Admin tier (admin-network-policy-standard-same-priority)', 'conformance/admin-same-priority.yaml', 0),
  // Three Baseline policies: v1alpha1 has room for one BaselineAdminNetworkPolicy only.
  { ...samePriority('same priority, Baseline tier (baseline-admin-network-policy-standard-same-priority)', 'conformance/baseline-same-priority.yaml', 1), versions: ['v1alpha2'] },
  {
    title: 'standard egress TCP rules (admin-network-policy-standard-egress-tcp-rules)',
    file: 'conformance/admin-egress-tcp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'TCP', 8080, true],
          ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'TCP', 80, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('egress-tcp', 0, 1, 'egress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('egress-tcp', 0, 2, 'egress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('egress-tcp', 3, 4, 'egress'),
        probes: [
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
        ],
      },
    ],
  },
  {
    title: 'standard egress UDP rules (admin-network-policy-standard-egress-udp-rules)',
    file: 'conformance/admin-egress-udp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-0', 'UDP', 53, true],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-0', 'UDP', 5353, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'UDP', 53, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('egress-udp', 0, 1, 'egress'),
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-1', 'UDP', 53, false],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'slytherin/draco-malfoy-0', 'UDP', 5353, false],
          ['hufflepuff/cedric-diggory-1', 'slytherin/draco-malfoy-0', 'UDP', 53, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('egress-udp', 0, 2, 'egress'),
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-1', 'UDP', 5353, true],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-1', 'UDP', 53, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('egress-udp', 3, 4, 'egress'),
        probes: [
          ['hufflepuff/cedric-diggory-0', 'slytherin/draco-malfoy-0', 'UDP', 5353, true],
          ['hufflepuff/cedric-diggory-1', 'slytherin/draco-malfoy-0', 'UDP', 53, true],
        ],
      },
    ],
  },
  {
    title: 'standard egress SCTP rules (admin-network-policy-standard-egress-sctp-rules)',
    file: 'conformance/admin-egress-sctp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-1', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('egress-sctp', 0, 1, 'egress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'SCTP', 9003, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, false],
          ['ravenclaw/luna-lovegood-1', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('egress-sctp', 0, 2, 'egress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('egress-sctp', 3, 4, 'egress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
        ],
      },
    ],
  },
  {
    title: 'standard ingress TCP rules (admin-network-policy-standard-ingress-tcp-rules)',
    file: 'conformance/admin-ingress-tcp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'TCP', 80, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('ingress-tcp', 0, 1, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'TCP', 80, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('ingress-tcp', 0, 2, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('ingress-tcp', 3, 4, 'ingress'),
        probes: [
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
    ],
  },
  {
    title: 'standard ingress UDP rules (admin-network-policy-standard-ingress-udp-rules)',
    file: 'conformance/admin-ingress-udp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'UDP', 53, true],
          ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('ingress-udp', 0, 1, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-1', 'UDP', 53, false],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, false],
          ['slytherin/draco-malfoy-1', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('ingress-udp', 0, 2, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, true],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-1', 'UDP', 53, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('ingress-udp', 3, 4, 'ingress'),
        probes: [
          ['slytherin/draco-malfoy-0', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, true],
          ['slytherin/draco-malfoy-1', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
        ],
      },
    ],
  },
  {
    title: 'standard ingress SCTP rules (admin-network-policy-standard-ingress-sctp-rules)',
    file: 'conformance/admin-ingress-sctp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, true],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('ingress-sctp', 0, 1, 'ingress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, false],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, false],
          ['slytherin/draco-malfoy-1', 'ravenclaw/luna-lovegood-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'rules 1 and 3 swapped: Pass first, no lower tier decides',
        change: swapRules('ingress-sctp', 0, 2, 'ingress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'rules 4 and 5 swapped: Pass at the listed port',
        change: swapRules('ingress-sctp', 3, 4, 'ingress'),
        probes: [
          ['slytherin/draco-malfoy-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, true],
          ['slytherin/draco-malfoy-1', 'ravenclaw/luna-lovegood-0', 'SCTP', 9005, true],
        ],
      },
    ],
  },
  {
    title: 'standard priority field (admin-network-policy-standard-priority)',
    file: 'conformance/admin-priority.yaml',
    steps: [
      {
        name: 'the Deny at 50 decides slytherin -> gryffindor',
        probes: [
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, false],
        ],
      },
      {
        name: 'the Deny at 50 decides gryffindor -> slytherin',
        probes: [
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, false],
        ],
      },
      {
        name: 'the Pass moved to 40: checked first, the Baseline Accept decides',
        change: (objs) => void (byName(objs, 'pass-slytherin-at-60').spec.priority = 40),
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
    title: 'Baseline standard egress TCP rules (baseline-admin-network-policy-standard-egress-tcp-rules)',
    file: 'conformance/baseline-egress-tcp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'TCP', 8080, true],
          ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'TCP', 80, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'egress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard egress UDP rules (baseline-admin-network-policy-standard-egress-udp-rules)',
    file: 'conformance/baseline-egress-udp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-0', 'UDP', 53, true],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-0', 'UDP', 5353, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'UDP', 53, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'egress'),
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-1', 'UDP', 53, false],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'slytherin/draco-malfoy-0', 'UDP', 5353, false],
          ['hufflepuff/cedric-diggory-1', 'slytherin/draco-malfoy-0', 'UDP', 53, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard egress SCTP rules (baseline-admin-network-policy-standard-egress-sctp-rules)',
    file: 'conformance/baseline-egress-sctp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-1', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'egress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'SCTP', 9003, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, false],
          ['ravenclaw/luna-lovegood-1', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard ingress TCP rules (baseline-admin-network-policy-standard-ingress-tcp-rules)',
    file: 'conformance/baseline-ingress-tcp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'TCP', 80, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'TCP', 80, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'TCP', 8080, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard ingress UDP rules (baseline-admin-network-policy-standard-ingress-udp-rules)',
    file: 'conformance/baseline-ingress-udp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['gryffindor/harry-potter-0', 'hufflepuff/cedric-diggory-1', 'UDP', 53, true],
          ['gryffindor/harry-potter-1', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'ingress'),
        probes: [
          ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-1', 'UDP', 53, false],
          ['ravenclaw/luna-lovegood-1', 'hufflepuff/cedric-diggory-1', 'UDP', 5353, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'hufflepuff/cedric-diggory-0', 'UDP', 5353, false],
          ['slytherin/draco-malfoy-1', 'hufflepuff/cedric-diggory-0', 'UDP', 53, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard ingress SCTP rules (baseline-admin-network-policy-standard-ingress-sctp-rules)',
    file: 'conformance/baseline-ingress-sctp.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'SCTP', 9005, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
          ['hufflepuff/cedric-diggory-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, true],
          ['hufflepuff/cedric-diggory-1', 'ravenclaw/luna-lovegood-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'ingress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, false],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['slytherin/draco-malfoy-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, false],
          ['slytherin/draco-malfoy-1', 'ravenclaw/luna-lovegood-0', 'SCTP', 9005, true],
        ],
      },
    ],
  },
  {
    title: 'Baseline standard gress rules (baseline-admin-network-policy-standard-gress-rules)',
    file: 'conformance/baseline-gress-rules.yaml',
    steps: [
      {
        name: 'Accept is listed first: every port allowed',
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'TCP', 80, true],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-0', 'UDP', 53, true],
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-0', 'SCTP', 9003, true],
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-0', 'TCP', 80, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'UDP', 53, true],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-0', 'SCTP', 9003, true],
        ],
      },
      {
        name: 'Accept at the listed port, Deny for the rest of that house',
        probes: [
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
          ['hufflepuff/cedric-diggory-0', 'gryffindor/harry-potter-1', 'SCTP', 9003, true],
          ['hufflepuff/cedric-diggory-1', 'gryffindor/harry-potter-1', 'SCTP', 9005, false],
        ],
      },
      {
        name: 'first two rules swapped: Deny now comes first',
        change: swapRules('baseline', 0, 1, 'egress', 'ingress'),
        probes: [
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'ravenclaw/luna-lovegood-1', 'UDP', 53, false],
          ['gryffindor/harry-potter-0', 'ravenclaw/luna-lovegood-1', 'SCTP', 9003, false],
          ['ravenclaw/luna-lovegood-0', 'gryffindor/harry-potter-1', 'TCP', 80, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'UDP', 53, false],
          ['ravenclaw/luna-lovegood-1', 'gryffindor/harry-potter-1', 'SCTP', 9003, false],
        ],
      },
      {
        name: 'Deny at the listed port; other ports match no rule',
        probes: [
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'TCP', 80, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'TCP', 8080, true],
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'UDP', 53, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'UDP', 5353, true],
          ['gryffindor/harry-potter-0', 'slytherin/draco-malfoy-0', 'SCTP', 9003, false],
          ['gryffindor/harry-potter-1', 'slytherin/draco-malfoy-0', 'SCTP', 9005, true],
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'TCP', 80, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'TCP', 8080, true],
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'UDP', 53, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'UDP', 5353, true],
          ['slytherin/draco-malfoy-0', 'gryffindor/harry-potter-0', 'SCTP', 9003, false],
          ['slytherin/draco-malfoy-1', 'gryffindor/harry-potter-0', 'SCTP', 9005, true],
        ],
      },
    ],
  },
  inlineCidr('standard egress inline CIDR rules (admin-network-policy-standard-egress-inline-cidr-rules)', 'conformance/admin-egress-inline-cidr.yaml', 'inline-cidr'),
  inlineCidr('Baseline standard egress inline CIDR rules (baseline-admin-network-policy-standard-egress-inline-cidr-rules)', 'conformance/baseline-egress-inline-cidr.yaml', 'baseline'),
  portRange('standard port range rules (admin-network-policy-standard-port-range-rules)', 'conformance/admin-port-range.yaml'),
  portRange('Baseline standard port range rules (baseline-admin-network-policy-standard-port-range-rules)', 'conformance/baseline-port-range.yaml'),
  {
    title: 'standard pod selector rules (admin-network-policy-standard-pod-selector-rules)',
    file: 'conformance/admin-pod-selector.yaml',
    steps: [
      ...POD_SELECTOR_PEERS,
      { name: 'subjects by pod label alone and by pod name', probes: [NOT_GRYFFINDOR_SUBJECT, ...POD_NAME_SUBJECT] },
    ],
  },
  {
    title: 'Baseline standard pod selector rules, first policy (baseline-admin-network-policy-standard-pod-selector-rules)',
    file: 'conformance/baseline-pod-selector.yaml',
    steps: [...POD_SELECTOR_PEERS, { name: 'a pod outside the gryffindor-labelled subject is not held by it', probes: [NOT_GRYFFINDOR_SUBJECT] }],
  },
  {
    title: 'Baseline standard pod selector rules, second policy (baseline-admin-network-policy-standard-pod-selector-rules)',
    file: 'conformance/baseline-pod-name-subject.yaml',
    steps: [{ name: 'the subject is luna-lovegood-0 alone, by pod name', probes: POD_NAME_SUBJECT }],
  },
  isolation('standard ingress rules leave egress alone (admin-network-policy-standard-ingress-egress-isolation, ingress)', 'conformance/admin-ingress-isolation.yaml', 'ingress'),
  isolation('standard egress rules leave ingress alone (admin-network-policy-standard-ingress-egress-isolation, egress)', 'conformance/admin-egress-isolation.yaml', 'egress'),
  isolation('Baseline ingress rules leave egress alone (baseline-admin-network-policy-standard-ingress-egress-isolation, ingress)', 'conformance/baseline-ingress-isolation.yaml', 'ingress'),
  isolation('Baseline egress rules leave ingress alone (baseline-admin-network-policy-standard-ingress-egress-isolation, egress)', 'conformance/baseline-egress-isolation.yaml', 'egress'),
];
