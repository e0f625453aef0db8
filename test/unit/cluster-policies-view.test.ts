// The web view's and the HTML report's cluster policy summaries (src/ui/cluster-policies.ts):
// evaluation order, each version's action words, subjects and the pods peers match.
import { describe, expect, it } from 'vitest';
import { clusterPolicySummaries } from '../../src/ui/cluster-policies.js';
import { analysisReport } from '../../src/ui/report.js';
import { golden } from '../support/golden.js';
import { loadCluster } from './fixtures.js';

const docs = [
  `apiVersion: v1
kind: Namespace
metadata: {name: red, labels: {house: red}}`,
  `apiVersion: v1
kind: Namespace
metadata: {name: blue, labels: {house: blue}}`,
  `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: red, labels: {app: web}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}`,
  `apiVersion: v1
kind: Pod
metadata: {name: db, namespace: blue, labels: {app: db}}
spec: {containers: [{name: c}]}`,
  `apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: blue, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: c}]}`,
  `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: late}
spec:
  tier: Admin
  priority: 50
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  ingress:
  - {name: web-in, action: Accept, from: [{pods: {namespaceSelector: {matchLabels: {house: red}}, podSelector: {}}}], protocols: [{tcp: {destinationPort: {number: 5432}}}]}
  - {action: Deny, from: [{namespaces: {}}]}
  egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]`,
  `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: early}
spec:
  priority: 5
  subject: {namespaces: {matchLabels: {house: red}}}
  egress:
  - {action: Pass, to: [{namespaces: {}}], ports: [{namedPort: http}]}
  - {action: Allow, to: [{nodes: {matchLabels: {}}}]}`,
  `apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]`,
];

describe('cluster policy summaries', () => {
  const cluster = loadCluster(docs);
  const summaries = clusterPolicySummaries(cluster);

  it("lists the Admin tier by priority, then the Baseline tier, in each version's words", () => {
    expect(summaries.map((s) => [s.key, s.tier, s.priority])).toEqual([
      ['adminnetworkpolicy/early', 'Admin', 5],
      ['clusternetworkpolicy/late', 'Admin', 50],
      ['baselineadminnetworkpolicy/default', 'Baseline', null],
    ]);
    expect(summaries[0].egress.map((r) => r.action)).toEqual(['Pass', 'Allow']);
    expect(summaries[1].ingress.map((r) => r.action)).toEqual(['Accept', 'Deny']);
  });

  it('names subjects and the pods they select, hostNetwork pods left out', () => {
    expect(summaries[1].selects).toEqual(['blue/db']);
    expect(summaries[2].selects.sort()).toEqual(['blue/db', 'red/web']);
    expect(summaries[1].ingress[0].pods).toEqual(['red/web']);
    // "host-networked pods are not included in this type of peer" (namespaces); networks match addresses.
    expect(summaries[1].ingress[1].pods.sort()).toEqual(['blue/db', 'red/web']);
    expect(summaries[1].egress[0].pods).toEqual(expect.arrayContaining(['blue/db', 'red/web']));
    expect(summaries[1].egress[0].peers).toEqual(['networks 0.0.0.0/0']);
    golden('cluster-policies-view.json', `${JSON.stringify(summaries, null, 2)}\n`);
  });

  it('are in the analyze -o html report only when there are cluster policies', () => {
    expect(analysisReport(cluster, { protocol: 'TCP', inputs: ['x'] }).clusterPolicies).toEqual(summaries);
    const plain = loadCluster(docs.slice(0, 5));
    expect('clusterPolicies' in analysisReport(plain, { protocol: 'TCP', inputs: ['x'] })).toBe(false);
  });
});
