/**
 * Which workloads Ingress and Route objects expose, on which ports, and whether NetworkPolicy
 * lets an ingress controller reach them. As np-guard does, the controller is assumed to run in
 * the namespace of a well-known controller (ingress-nginx, or OpenShift's
 * openshift-ingress-operator), as an unlabelled pod; a connection counts when any of them may open it.
 */
import { selects } from '../model/endpoints.js';
import type { Cluster, Ingress, IngressBackend, Pod, Service } from '../model/types.js';
import { ConnSet } from './conns.js';
import { namedPortConns, PolicyEngine, type EngineOptions, type Endpoint } from './engine.js';

const CONTROLLERS: readonly { namespace: string; nsLabels: Record<string, string> }[] = [
  { namespace: 'ingress-nginx', nsLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
  {
    namespace: 'openshift-ingress-operator',
    nsLabels: { 'kubernetes.io/metadata.name': 'openshift-ingress-operator', 'namespace.name': 'openshift-ingress-operator', 'openshift.io/cluster-monitoring': 'true' },
  },
];

export interface ExposedPod {
  pod: Pod;
  /** Connections the Ingress/Route objects route to the pod. */
  routed: ConnSet;
  /** The part of `routed` that NetworkPolicy allows from an ingress controller. */
  allowed: ConnSet;
}

export function ingressExposure(cluster: Cluster, options: EngineOptions = {}): ExposedPod[] {
  const routed = new Map<Pod, ConnSet>();
  const add = (pod: Pod, conns: ConnSet) => routed.set(pod, (routed.get(pod) ?? ConnSet.NONE).union(conns));
  for (const ing of cluster.ingresses) {
    for (const backend of ingressBackends(ing)) {
      if (!backend.service) continue;
      const svc = findService(cluster, ing.namespace, backend.service.name);
      if (!svc) continue;
      const port = svc.ports.find((p) => (typeof backend.service!.port === 'number' ? p.port === backend.service!.port : p.name === backend.service!.port));
      if (!port) continue;
      for (const pod of selectedPods(cluster, svc)) add(pod, targetConns(pod, port.targetPort));
    }
  }
  for (const route of cluster.routes) {
    for (const name of route.services) {
      const svc = findService(cluster, route.namespace, name);
      if (!svc) continue;
      const ports = route.targetPort === undefined ? svc.ports : svc.ports.filter((p) => p.targetPort === route.targetPort || p.name === route.targetPort);
      for (const pod of selectedPods(cluster, svc)) for (const port of ports) add(pod, targetConns(pod, port.targetPort));
    }
  }
  if (routed.size === 0) return [];
  const engines = CONTROLLERS.map((c) => controllerEngine(cluster, c.namespace, c.nsLabels, options));
  return [...routed].map(([pod, conns]) => ({ pod, routed: conns, allowed: conns.intersect(controllerConns(engines, pod)) }));
}

function ingressBackends(ing: Ingress): IngressBackend[] {
  const out = ing.defaultBackend ? [ing.defaultBackend] : [];
  for (const rule of ing.rules) for (const path of rule.paths) out.push(path.backend);
  return out;
}

export function findService(cluster: Cluster, namespace: string, name: string): Service | undefined {
  return cluster.services.find((s) => s.namespace === namespace && s.name === name);
}

/** Pods a Service's selector picks in its namespace (none for a selectorless Service). */
export function selectedPods(cluster: Cluster, svc: Service): Pod[] {
  const selector = svc.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return cluster.pods.filter((p) => p.namespace === svc.namespace && selects(svc, p));
}

function targetConns(pod: Pod, targetPort: number | string): ConnSet {
  return typeof targetPort === 'number' ? ConnSet.ports('TCP', targetPort) : namedPortConns(pod, targetPort, 'TCP');
}

/** The cluster plus the controller's namespace, unless the manifests declare it themselves. */
function controllerEngine(cluster: Cluster, namespace: string, labels: Record<string, string>, options: EngineOptions): { engine: PolicyEngine; namespace: string } {
  const declared = cluster.namespaces.some((n) => n.name === namespace);
  const namespaces = declared ? cluster.namespaces : [...cluster.namespaces, { name: namespace, labels }];
  return { engine: new PolicyEngine({ ...cluster, namespaces }, options), namespace };
}

function controllerConns(engines: readonly { engine: PolicyEngine; namespace: string }[], pod: Pod): ConnSet {
  let out = ConnSet.NONE;
  for (const { engine, namespace } of engines) {
    const controller: Endpoint = {
      kind: 'pod',
      pod: { namespace, name: 'ingress-controller', labels: {}, ip: '', hostNetwork: false, containers: [], owner: { kind: 'Deployment', name: 'ingress-controller' }, source: { file: '', doc: 0 } },
    };
    out = out.union(engine.evaluate(controller, { kind: 'pod', pod }).conns);
  }
  return out;
}
