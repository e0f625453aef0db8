/**
 * Cluster policy validation (src/api/kinds/clusterpolicy.ts), as the CRDs of network-policy-api
 * validate: one bad object per row, each refused with its file, object and field path; the whole
 * table's messages are a golden file (test/golden/tiers-validation.txt), so a changed message
 * or path is seen in review. Warnings (same priority, a BANP priority) do not refuse anything.
 */
import { describe, expect, it } from 'vitest';
import { InputError, formatProblem } from '../../src/api/problems.js';
import { golden } from '../support/golden.js';
import { unmatchedSelectorWarnings } from '../../src/policy/unmatched.js';
import { loadCluster, namespace, pod } from './fixtures.js';

type Obj = Record<string, unknown>;
const V2 = 'policy.networking.k8s.io/v1alpha2';
const V1 = 'policy.networking.k8s.io/v1alpha1';
const cnp = (spec: Obj, name = 'bad'): Obj => ({ apiVersion: V2, kind: 'ClusterNetworkPolicy', metadata: { name }, spec });
const anp = (spec: Obj, name = 'bad'): Obj => ({ apiVersion: V1, kind: 'AdminNetworkPolicy', metadata: { name }, spec });
const banp = (spec: Obj, name = 'default'): Obj => ({ apiVersion: V1, kind: 'BaselineAdminNetworkPolicy', metadata: { name }, spec });
const ALL = { namespaces: {} };
const from = [{ namespaces: {} }];
const ok = { tier: 'Admin', priority: 1, subject: ALL };
const many = (n: number, item: unknown) => Array.from({ length: n }, () => item);

const CASES: [string, Obj][] = [
  ['no spec', { apiVersion: V2, kind: 'ClusterNetworkPolicy', metadata: { name: 'bad' } }],
  ['wrong apiVersion', { ...cnp(ok), apiVersion: V1 }],
  ['ANP under v1alpha2', { ...anp({ priority: 1, subject: ALL }), apiVersion: V2 }],
  ['no tier', cnp({ priority: 1, subject: ALL })],
  ['bad tier', cnp({ ...ok, tier: 'Developer' })],
  ['no priority', cnp({ tier: 'Admin', subject: ALL })],
  ['priority above 1000', cnp({ ...ok, priority: 1001 })],
  ['negative priority', anp({ priority: -1, subject: ALL })],
  ['priority not an integer', cnp({ ...ok, priority: '5' })],
  ['no subject', cnp({ tier: 'Admin', priority: 1 })],
  ['subject with both fields', cnp({ ...ok, subject: { namespaces: {}, pods: { podSelector: {} } } })],
  ['subject pods without podSelector', cnp({ ...ok, subject: { pods: { namespaceSelector: {} } } })],
  ['unknown subject field', cnp({ ...ok, subject: { nodes: {} } })],
  ['no action', cnp({ ...ok, ingress: [{ from }] })],
  ['Allow in v1alpha2', cnp({ ...ok, ingress: [{ action: 'Allow', from }] })],
  ['Accept in v1alpha1', anp({ priority: 1, subject: ALL, ingress: [{ action: 'Accept', from }] })],
  ['Pass in a BANP', banp({ subject: ALL, ingress: [{ action: 'Pass', from }] })],
  ['no peers', cnp({ ...ok, ingress: [{ action: 'Deny' }] })],
  ['empty peers', cnp({ ...ok, ingress: [{ action: 'Deny', from: [] }] })],
  ['networks in ingress', cnp({ ...ok, ingress: [{ action: 'Deny', from: [{ networks: ['10.0.0.0/8'] }] }] })],
  ['peer with two fields', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ namespaces: {}, networks: ['10.0.0.0/8'] }] }] })],
  ['bad CIDR', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/33'] }] }] })],
  ['duplicate CIDR', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8', '10.0.0.0/8'] }] }] })],
  ['domainNames in a Deny', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ domainNames: ['example.com'] }] }] })],
  ['bad domain name', cnp({ ...ok, egress: [{ action: 'Accept', to: [{ domainNames: ['ex*ample.com'] }] }] })],
  ['domainNames in a BANP', banp({ subject: ALL, egress: [{ action: 'Allow', to: [{ domainNames: ['example.com'] }] }] })],
  ['named port with networks', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8'] }], protocols: [{ destinationNamedPort: 'http' }] }] })],
  ['protocol with two fields', cnp({ ...ok, ingress: [{ action: 'Deny', from, protocols: [{ tcp: { destinationPort: { number: 80 } }, udp: { destinationPort: { number: 53 } } }] }] })],
  ['destinationPort missing', cnp({ ...ok, ingress: [{ action: 'Deny', from, protocols: [{ tcp: {} }] }] })],
  ['port out of range', cnp({ ...ok, ingress: [{ action: 'Deny', from, protocols: [{ tcp: { destinationPort: { number: 70000 } } }] }] })],
  ['range start not below end', cnp({ ...ok, ingress: [{ action: 'Deny', from, protocols: [{ udp: { destinationPort: { range: { start: 90, end: 90 } } } }] }] })],
  ['v1alpha1 port without a port', anp({ priority: 1, subject: ALL, ingress: [{ action: 'Deny', from, ports: [{ portNumber: { protocol: 'TCP' } }] }] })],
  ['v1alpha1 bad protocol', anp({ priority: 1, subject: ALL, ingress: [{ action: 'Deny', from, ports: [{ portNumber: { protocol: 'ICMP', port: 1 } }] }] })],
  ['bad port name', cnp({ ...ok, ingress: [{ action: 'Deny', from, protocols: [{ destinationNamedPort: 'Not_A_Name' }] }] })],
  ['rule name over 100 characters', cnp({ ...ok, ingress: [{ name: 'x'.repeat(101), action: 'Deny', from }] })],
  ['26 rules (v1alpha2 allows 25)', cnp({ ...ok, ingress: many(26, { action: 'Deny', from }) })],
  ['26 peers (v1alpha2 allows 25)', cnp({ ...ok, ingress: [{ action: 'Deny', from: many(26, { namespaces: {} }) }] })],
  ['101 rules (v1alpha1 allows 100)', anp({ priority: 1, subject: ALL, ingress: many(101, { action: 'Deny', from }) })],
  ['26 networks', cnp({ ...ok, egress: [{ action: 'Deny', to: [{ networks: Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`) }] }] })],
  ['BANP not named default', banp({ subject: ALL }, 'mine')],
];

function refusal(obj: Obj): string[] {
  try {
    loadCluster([obj]);
  } catch (err) {
    if (err instanceof InputError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

describe('cluster policy validation', () => {
  it.each(CASES)('%s: refused, naming the field', (_, obj) => {
    const lines = refusal(obj);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^test\.yaml: (clusternetworkpolicy|adminnetworkpolicy|baselineadminnetworkpolicy) [a-z]+: /);
  });

  it('every message and path (golden)', () => {
    golden('tiers-validation.txt', CASES.map(([name, obj]) => `# ${name}\n${refusal(obj).join('\n')}\n`).join('\n'));
  });

  it('warnings do not refuse: the same priority twice, a priority on the BANP', () => {
    const c = loadCluster([cnp(ok, 'one'), cnp(ok, 'two'), banp({ subject: ALL, priority: 3 })]);
    expect(c.clusterPolicies?.map((p) => p.name)).toEqual(['one', 'two', 'default']);
    const warnings = c.notes.filter((n) => n.startsWith('warning:'));
    expect(warnings.join('\n')).toMatch(/clusternetworkpolicy one: spec\.priority: 1 is also the priority of clusternetworkpolicy two in the Admin tier/);
    expect(warnings.join('\n')).toMatch(/baselineadminnetworkpolicy default: spec\.priority: unknown field/);
  });

  it('nothing half-read: one bad policy among good ones refuses the whole input', () => {
    expect(() => loadCluster([cnp(ok, 'good'), cnp({ ...ok, tier: 'Nope' }, 'worse')])).toThrow(/clusternetworkpolicy worse: spec\.tier/);
  });
});

describe('analyze warns about cluster policy selectors that select nothing', () => {
  it('a subject, and a pods peer; not a selector that matches, nor a hostNetwork-only match', () => {
    const c = loadCluster([
      namespace('a', { team: 'alpha' }),
      pod('a/web', { labels: { app: 'web' } }),
      pod('a/host', { labels: { app: 'agent' }, hostNetwork: true, nodeName: 'n1' }),
      cnp({ ...ok, subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'wbe' } } } }, ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { team: 'alpha' } } }] }] }, 'typo'),
      cnp({ ...ok, priority: 2, ingress: [{ action: 'Deny', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'agent' } } } }] }] }, 'host-peer'),
    ]);
    expect(unmatchedSelectorWarnings(c)).toEqual([
      'clusternetworkpolicy typo (Admin, priority 1) [test.yaml]: spec.subject (namespaceSelector {}, podSelector app=wbe) selects no pod',
      'clusternetworkpolicy host-peer (Admin, priority 2) [test.yaml]: spec.ingress[0].from[0] (namespaceSelector {}, podSelector app=agent) selects no pod',
    ]);
  });
});

