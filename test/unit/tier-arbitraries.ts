/**
 * fast-check arbitraries for cluster policy tiers: ClusterNetworkPolicy (v1alpha2) and
 * AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) using every feature the engine and
 * the data plane model (subjects by namespace or pod, pods/namespaces/networks/nodes peers,
 * domainNames, ports, ranges and named ports, Accept/Deny/Pass, both tiers). Each generated rule
 * is rendered in the version's own words, so the loader's two readers are exercised too.
 */
import fc from 'fast-check';
import type { Protocol } from '../../src/model/types.js';
import { NS_SELECTOR, POD_SELECTOR } from './policy-arbitraries.js';

type Obj = Record<string, unknown>;

type GenPort = { kind: 'number'; protocol: Protocol; port: number } | { kind: 'range'; protocol: Protocol; start: number; end: number } | { kind: 'named'; name: string };

interface GenRule {
  action: 'Accept' | 'Deny' | 'Pass';
  peers: Obj[];
  ports?: GenPort[];
}

export interface GenClusterPolicy {
  version: 'v1alpha2' | 'v1alpha1';
  tier: 'Admin' | 'Baseline';
  priority: number;
  subject: Obj;
  ingress: GenRule[];
  egress: GenRule[];
}

const PROTO = fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP');
const PORT = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('number' as const), protocol: PROTO, port: fc.constantFrom(53, 80, 7070, 8080) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('range' as const), protocol: PROTO, start: fc.constantFrom(50, 80), end: fc.constantFrom(81, 8080) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('named' as const), name: fc.constantFrom('http', 'dns', 'sctp') }) },
);
// Functions, not constants: policy-arbitraries.ts (the selectors) imports this file.
const podsPeer = () => fc.oneof(fc.record({ namespaces: NS_SELECTOR }), fc.record({ pods: fc.record({ namespaceSelector: NS_SELECTOR, podSelector: POD_SELECTOR }) }));

/** Address peers around `nodes` (the unit scenarios' nodes) and the pod CIDR. */
export function addressPeerArb(networks: readonly string[][], nodeNames: readonly string[]): fc.Arbitrary<Obj> {
  return fc.oneof(
    fc.record({ networks: fc.constantFrom(...networks) }),
    fc.record({
      nodes: fc.oneof(fc.constant({}), fc.constantFrom(...nodeNames).map((n) => ({ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }))),
    }),
  );
}

const unitAddressPeer = () => addressPeerArb([['0.0.0.0/0'], ['10.244.0.0/16'], ['172.18.0.0/30'], ['10.244.0.3/32', '172.18.0.2/32']], ['n0', 'n1']);

function ruleArb(direction: 'ingress' | 'egress', addressPeer: fc.Arbitrary<Obj>): fc.Arbitrary<GenRule> {
  const action = fc.constantFrom<GenRule['action']>('Accept', 'Deny', 'Pass');
  const ports = fc.option(fc.array(PORT, { minLength: 1, maxLength: 2 }), { nil: undefined });
  const podRule = fc.record({ action, peers: fc.array(podsPeer(), { minLength: 1, maxLength: 2 }), ports }, { requiredKeys: ['action', 'peers'] });
  if (direction === 'ingress') return podRule;
  // "networks/nodes/domainNames peer cannot be set with namedPorts".
  const addressRule = fc
    .record({ action, peers: fc.array(fc.oneof(podsPeer(), addressPeer), { minLength: 1, maxLength: 2 }), ports }, { requiredKeys: ['action', 'peers'] })
    .map((r) => ({ ...r, ...(r.ports ? { ports: r.ports.filter((p) => p.kind !== 'named') } : {}) }))
    .map((r) => (r.ports?.length === 0 ? { action: r.action, peers: r.peers } : r));
  // domainNames: only in Accept rules; matches nothing the engine or a lab can see.
  const dns = fc.constant<GenRule>({ action: 'Accept', peers: [{ domainNames: ['*.example.com'] }] });
  return fc.oneof({ weight: 3, arbitrary: podRule }, { weight: 2, arbitrary: addressRule }, { weight: 1, arbitrary: dns });
}

export function clusterPolicyArb(addressPeer: fc.Arbitrary<Obj> = unitAddressPeer()): fc.Arbitrary<GenClusterPolicy> {
  return fc.record({
    version: fc.constantFrom<GenClusterPolicy['version']>('v1alpha2', 'v1alpha2', 'v1alpha1'),
    tier: fc.constantFrom<GenClusterPolicy['tier']>('Admin', 'Admin', 'Baseline'),
    priority: fc.nat(20),
    subject: fc.oneof(fc.record({ namespaces: NS_SELECTOR }), fc.record({ pods: fc.record({ namespaceSelector: NS_SELECTOR, podSelector: POD_SELECTOR }) })),
    ingress: fc.array(ruleArb('ingress', addressPeer), { maxLength: 3 }),
    egress: fc.array(ruleArb('egress', addressPeer), { maxLength: 3 }),
  });
}

function v2Port(p: GenPort): Obj {
  if (p.kind === 'named') return { destinationNamedPort: p.name };
  const dp = p.kind === 'number' ? { number: p.port } : { range: { start: p.start, end: p.end } };
  return { [p.protocol.toLowerCase()]: { destinationPort: dp } };
}

function v1Port(p: GenPort): Obj {
  if (p.kind === 'named') return { namedPort: p.name };
  if (p.kind === 'number') return { portNumber: { protocol: p.protocol, port: p.port } };
  return { portRange: { protocol: p.protocol, start: p.start, end: p.end } };
}

/**
 * The manifests of generated policies: v1alpha2 ones as ClusterNetworkPolicies, v1alpha1 Admin
 * ones as AdminNetworkPolicies, and the first v1alpha1 Baseline one as the singleton
 * BaselineAdminNetworkPolicy "default" (no priority; Pass has no meaning there: Deny); other
 * v1alpha1 Baseline ones become Baseline ClusterNetworkPolicies.
 */
export function clusterPolicyObjects(policies: readonly GenClusterPolicy[]): Obj[] {
  let banp = false;
  return policies.map((g, i) => {
    const isBanp = g.version === 'v1alpha1' && g.tier === 'Baseline' && !banp;
    if (isBanp) banp = true;
    const v1 = g.version === 'v1alpha1' && (g.tier === 'Admin' || isBanp);
    const rules = (rs: GenRule[], field: 'from' | 'to') =>
      rs.map((r): Obj => {
        const action = !v1 ? r.action : r.action === 'Accept' ? 'Allow' : isBanp && r.action === 'Pass' ? 'Deny' : r.action;
        const ports = r.ports ? (v1 ? { ports: r.ports.map(v1Port) } : { protocols: r.ports.map(v2Port) }) : {};
        return { action, [field]: r.peers, ...ports };
      });
    const ingress = rules(g.ingress, 'from');
    const egress = rules(g.egress, 'to');
    // BaselineAdminNetworkPolicyEgressPeer has no domainNames.
    const egressOk = isBanp ? egress.filter((r) => !(r.to as Obj[]).some((p) => 'domainNames' in p)) : egress;
    const spec: Obj = { subject: g.subject, ...(ingress.length ? { ingress } : {}), ...(egressOk.length ? { egress: egressOk } : {}) };
    if (isBanp) return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name: 'default' }, spec };
    if (v1) return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: `anp${i}` }, spec: { priority: g.priority, ...spec } };
    return { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: `cnp${i}` }, spec: { tier: g.tier, priority: g.priority, ...spec } };
  });
}
