// propagationPolicy Orphan (src/apiserver/orphans.ts): what a workload's dependents become.
import { describe, expect, it } from 'vitest';
import { orphanedDependents } from '../../src/apiserver/orphans.js';
import { findResource } from '../../src/apiserver/resources.js';
import { Store, type Obj } from '../../src/apiserver/store.js';

const pods = findResource('', 'v1', 'pods')!;
const replicaSets = findResource('apps', 'v1', 'replicasets')!;
const deployments = findResource('apps', 'v1', 'deployments')!;
const statefulSets = findResource('apps', 'v1', 'statefulsets')!;
const configMaps = findResource('', 'v1', 'configmaps')!;

const template = { metadata: { labels: { app: 'db' }, annotations: { note: 'n' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } };
const ref = (kind: string, name: string, uid = 'u1') => [{ apiVersion: 'apps/v1', kind, name, uid, controller: true }];

describe('orphanedDependents', () => {
  it('a Deployment\'s ReplicaSets become ReplicaSets of their own (every revision), with their spec; others\' stay out', () => {
    const s = new Store();
    const d = s.create(deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: {} }, 'user');
    const uid = d.metadata.uid!;
    const rsSpec = (replicas: number) => ({ replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'h' } }, template });
    s.create(replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-h1', namespace: 'shop', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '2' }, ownerReferences: ref('Deployment', 'web', uid) }, spec: rsSpec(3) }, 'lab');
    s.create(replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-h0', namespace: 'shop', ownerReferences: ref('Deployment', 'web', uid) }, spec: rsSpec(0) }, 'lab');
    s.create(replicaSets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'api-h', namespace: 'shop', ownerReferences: ref('Deployment', 'api', 'u2') }, spec: rsSpec(1) }, 'lab');
    const out = orphanedDependents(s, deployments, d);
    expect(out.map((o) => o.metadata.name).sort()).toEqual(['web-h0', 'web-h1']);
    expect(out.find((o) => o.metadata.name === 'web-h1')).toEqual({
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: 'web-h1', namespace: 'shop', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: rsSpec(3),
    });
  });

  it('a StatefulSet\'s pods become Pods with its template, hostname and subdomain, on their node', () => {
    const s = new Store();
    const sts: Obj = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop' }, spec: { serviceName: 'db-hl', template } };
    s.create(statefulSets, sts, 'user');
    s.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db', 'apps.kubernetes.io/pod-index': '0' }, ownerReferences: ref('StatefulSet', 'db') }, spec: { nodeName: 'node-2', containers: [] } }, 'lab');
    s.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other-0', namespace: 'shop', ownerReferences: ref('StatefulSet', 'other') } }, 'lab');
    expect(orphanedDependents(s, statefulSets, sts)).toEqual([{
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db', 'apps.kubernetes.io/pod-index': '0' }, annotations: { note: 'n' } },
      spec: { containers: [{ name: 'db', image: 'db:1' }], hostname: 'db-0', subdomain: 'db-hl', nodeName: 'node-2' },
    }]);
  });

  it('a kind without dependents has none', () => {
    const s = new Store();
    const cm = s.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } }, 'user');
    expect(orphanedDependents(s, configMaps, cm)).toEqual([]);
  });
});
