/** A small cluster for trace tests: 2 nodes, pods pinned to nodes, two Services, two policies. */
import type { RawObject } from '../../src/api/load.js';
import type { LabConfig } from '../../src/model/lab.js';
import { offlineWorld, type TraceWorld } from '../../src/trace/world.js';

type Obj = Record<string, unknown>;

const pod = (name: string, node: string, labels: Record<string, string>, port = 8080): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName: node, containers: [{ name: 'main', image: 'podnet/http', ports: [{ containerPort: port }] }] },
});

const service = (name: string, app: string): Obj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] },
});

const policy = (name: string, spec: Obj): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'default' }, spec });

export const OBJECTS: Obj[] = [
  pod('client', 'node-1', { app: 'client' }),
  pod('web-a', 'node-1', { app: 'web' }),
  pod('web-b', 'node-2', { app: 'web' }),
  pod('db', 'node-2', { app: 'db' }, 5432),
  pod('locked', 'node-1', { app: 'locked' }),
  service('web', 'web'),
  service('empty', 'nothing'),
  // db accepts only pods labelled app=api: the client is denied by ingress.
  policy('db-from-api', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }),
  // locked may only talk DNS: everything else is denied by egress.
  policy('locked-egress', { podSelector: { matchLabels: { app: 'locked' } }, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] }),
  // web accepts everyone on 8080.
  policy('web-open', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080 }] }] }),
];

export function rawObjects(objects: readonly Obj[] = OBJECTS): RawObject[] {
  return objects.map((obj, doc) => ({ obj, source: { file: 'trace.yaml', doc }, prefix: '' }));
}

export function config(mode: 'routed' | 'vxlan' = 'routed'): LabConfig {
  return { name: 'tr', nodes: 2, mode, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: '100.64.0.0/24', lbCidr: '100.64.1.0/24', dns: true };
}

export function world(mode: 'routed' | 'vxlan' = 'routed'): TraceWorld {
  return offlineWorld(config(mode), rawObjects());
}
