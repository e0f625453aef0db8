/**
 * fast-check arbitraries for random clusters that use every NetworkPolicy feature (selectors,
 * namespaces, ipBlocks, named ports, endPort, hostNetwork pods), read through the real loader.
 * Shared by the matrix and the data-plane compiler property tests.
 */
import fc from 'fast-check';
import type { Protocol } from '../../src/model/types.js';
import type { EngineOptions } from '../../src/policy/engine.js';
import { SEMANTICS, SEMANTICS_NAMES } from '../../src/policy/semantics.js';
import { namespace, netpol, node, pod } from './fixtures.js';
import { clusterPolicyArb, clusterPolicyObjects } from './tier-arbitraries.js';

type Obj = Record<string, unknown>;

const PROTOCOL = fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP');
const OPT_PROTOCOL = fc.option(PROTOCOL, { nil: undefined });
const PORTS = [53, 80, 443, 7070, 8080, 8081, 9000];

// Pods: labels over a small alphabet. Namespaces: their own labels, plus the automatic name label.
export const POD_KEYS = ['app', 'tier'];
export const POD_VALUES = ['a', 'b', 'c'];
const NS_KEYS = ['team', 'env', 'kubernetes.io/metadata.name'];
const NS_VALUES = ['x', 'y', 'ns0', 'ns1'];

export function labelsArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<Record<string, string>> {
  const v = fc.constantFrom(...values);
  return fc.record(Object.fromEntries(keys.map((k) => [k, v])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, string>>;
}

function selectorArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<Obj> {
  const key = fc.constantFrom(...keys);
  const requirement = fc.oneof(
    fc.record({ key, operator: fc.constantFrom('In', 'NotIn'), values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }) }),
    fc.record({ key, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
  );
  // A small shared pool makes equal selectors recur across policies and namespaces.
  const common = fc.constantFrom<Obj>({}, { matchLabels: { [keys[0]]: values[0] } }, { matchLabels: { [keys[1]]: values[1] } });
  return fc.oneof(
    { weight: 2, arbitrary: common },
    { weight: 3, arbitrary: fc.record({ matchLabels: labelsArb(keys.slice(0, 2), values), matchExpressions: fc.array(requirement, { maxLength: 2 }) }, { requiredKeys: [] }) },
  );
}

export const POD_SELECTOR = selectorArb(POD_KEYS, POD_VALUES);
export const NS_SELECTOR = selectorArb(NS_KEYS, NS_VALUES);

// ipBlocks around the node addresses (hostNetwork pods), the pod CIDR and everything.
const IP_BLOCK = fc.constantFrom<Obj>(
  { cidr: '0.0.0.0/0' },
  { cidr: '0.0.0.0/0', except: ['172.18.0.0/30'] },
  { cidr: '172.18.0.0/24', except: ['172.18.0.2/32'] },
  { cidr: '172.18.0.0/30' },
  { cidr: '172.18.0.1/32' },
  { cidr: '10.0.0.0/8' },
  { cidr: '10.244.0.0/16' },
  // single pods' addresses and an except around one: ipBlocks that match pods (upstream) or not
  { cidr: '10.244.0.0/24', except: ['10.244.0.2/32'] },
  { cidr: '10.244.0.3/32' },
);

const peerArb = (ipBlock: fc.Arbitrary<Obj>) =>
  fc.oneof(
    fc.record({ podSelector: POD_SELECTOR }),
    fc.record({ namespaceSelector: NS_SELECTOR }),
    fc.record({ podSelector: POD_SELECTOR, namespaceSelector: NS_SELECTOR }),
    fc.record({ ipBlock }),
  );

const POLICY_PORT = fc.oneof(
  { weight: 2, arbitrary: fc.record({ port: fc.constantFrom(...PORTS), protocol: OPT_PROTOCOL }) },
  { weight: 2, arbitrary: fc.record({ port: fc.constantFrom(53, 80, 8080), endPort: fc.constantFrom(8080, 8081, 9000), protocol: OPT_PROTOCOL }) },
  // Named ports, usually with the protocol the pods declare them with ("dns" is usually UDP).
  { weight: 3, arbitrary: fc.constantFrom<Obj>({ port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 'dns' }, { port: 'sctp', protocol: 'SCTP' }, { port: 'http', protocol: 'UDP' }) },
  { weight: 1, arbitrary: fc.record({ port: fc.constantFrom('http', 'dns', 'sctp', 'none'), protocol: OPT_PROTOCOL }) },
  { weight: 1, arbitrary: fc.record({ protocol: PROTOCOL }) },
);

/** A list field that may be missing, empty, or hold 1..max items (`listWeight` times as likely). */
function listField<T>(item: fc.Arbitrary<T>, max: number, listWeight = 1): fc.Arbitrary<T[] | undefined> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant<T[]>([]) },
    { weight: listWeight, arbitrary: fc.array(item, { minLength: 1, maxLength: max }) },
  );
}

const ruleArb = (peerField: 'from' | 'to', ipBlock: fc.Arbitrary<Obj>) => fc.record({ [peerField]: listField(peerArb(ipBlock), 2), ports: listField(POLICY_PORT, 2, 4) });

const POLICY_TYPES = fc.constantFrom(undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']);

/**
 * A NetworkPolicy in namespace number `ns` (0-3) using every feature; `ipBlock` chooses the
 * blocks (the default ones are around the unit tests' node addresses 172.18.0.x).
 */
export const policyArb = (ipBlock: fc.Arbitrary<Obj> = IP_BLOCK) =>
  fc.record({
    ns: fc.nat(3),
    spec: fc.record({
      podSelector: POD_SELECTOR,
      policyTypes: POLICY_TYPES,
      ingress: listField(ruleArb('from', ipBlock), 3),
      egress: listField(ruleArb('to', ipBlock), 3),
    }),
  });
const POLICY = policyArb();

/** A named container port, missing on about one pod in three; the first protocol is the usual one. */
const CONTAINER_PORT = (name: string, ports: readonly number[], protocols: readonly Protocol[]) =>
  fc.option(
    fc.record({
      name: fc.constant(name),
      containerPort: fc.constantFrom(...ports),
      protocol: fc.oneof({ weight: 3, arbitrary: fc.constant(protocols[0]) }, { weight: 1, arbitrary: fc.constantFrom(...protocols) }),
    }),
    { nil: undefined, freq: 3 },
  );

const POD = fc.record({
  ns: fc.nat(3),
  labels: labelsArb(POD_KEYS, POD_VALUES),
  ports: fc.tuple(CONTAINER_PORT('http', [80, 8080, 8081], ['TCP', 'UDP']), CONTAINER_PORT('dns', [53], ['UDP', 'TCP']), CONTAINER_PORT('sctp', [7070], ['SCTP'])),
  hostNetwork: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  nodeName: fc.option(fc.constantFrom('n0', 'n1', 'n2'), { nil: undefined }),
  hostIP: fc.option(fc.constantFrom('172.18.0.1', '172.18.0.2', '172.18.0.9'), { nil: undefined }),
});

const NAMESPACES = fc.array(labelsArb(['team', 'env'], ['x', 'y']), { minLength: 2, maxLength: 4 });

export interface Scenario {
  objects: Obj[];
  port: number;
  protocol: Protocol;
  options: EngineOptions;
}

/** `maxTiers` > 0: the scenarios also hold up to that many cluster policies (tier-arbitraries.ts). */
export function scenarioArb(minPods: number, maxPods: number, maxPolicies: number, maxTiers = 0): fc.Arbitrary<Scenario> {
  const base = plainScenarioArb(minPods, maxPods, maxPolicies);
  if (maxTiers === 0) return base;
  return fc.tuple(base, fc.array(clusterPolicyArb(), { minLength: 1, maxLength: maxTiers })).map(([sc, tiers]) => ({ ...sc, objects: [...sc.objects, ...clusterPolicyObjects(tiers)] }));
}

function plainScenarioArb(minPods: number, maxPods: number, maxPolicies: number): fc.Arbitrary<Scenario> {
  return fc
    .record({
      namespaces: NAMESPACES,
      pods: fc.array(POD, { minLength: minPods, maxLength: maxPods }),
      policies: fc.array(POLICY, { maxLength: maxPolicies }),
      port: fc.constantFrom(...PORTS),
      protocol: PROTOCOL,
      // Often probe a port number some pod declares (with its protocol, or another), so named
      // ports decide.
      probe: fc.option(fc.record({ index: fc.nat(), sameProtocol: fc.boolean() }), { nil: undefined, freq: 3 }),
      // Copy every policy into every namespace: equal peers in several namespaces.
      mirror: fc.boolean(),
      semantics: fc.constantFrom(...SEMANTICS_NAMES),
    })
    .map(({ namespaces, pods, policies, port, protocol, probe, mirror, semantics }) => {
      const nsName = (i: number) => `ns${i % namespaces.length}`;
      const declared = pods.flatMap((p) => p.ports.filter((x) => x !== undefined));
      if (probe !== undefined && declared.length > 0) {
        const d = declared[probe.index % declared.length];
        port = d.containerPort;
        if (probe.sameProtocol) protocol = d.protocol;
      }
      const placed = mirror ? policies.flatMap((pol) => namespaces.map((_, ns) => ({ ...pol, ns }))) : policies;
      const objects: Obj[] = [
        ...namespaces.map((labels, i) => namespace(`ns${i}`, labels)),
        node('n0', '172.18.0.1'),
        node('n1', '172.18.0.2'),
        ...pods.map((p, i) =>
          pod(`${nsName(p.ns)}/p${i}`, {
            labels: p.labels,
            ports: p.ports.filter((x) => x !== undefined),
            hostNetwork: p.hostNetwork,
            nodeName: p.nodeName,
            hostIP: p.hostNetwork ? p.hostIP : undefined,
          }),
        ),
        ...placed.map((pol, i) => netpol(nsName(pol.ns), `np${i}`, pol.spec)),
      ];
      return { objects, port, protocol, options: { semantics: SEMANTICS[semantics] } };
    });
}


/** The data plane enforces the profiles a CNI has (upstream, cilium), not np-guard's model: a scenario under np-guard is run as cilium. */
export const enforceable = (sc: Scenario): Scenario => (sc.options.semantics?.enforceable ? sc : { ...sc, options: { semantics: SEMANTICS.cilium } });
