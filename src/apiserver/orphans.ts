/**
 * propagationPolicy Orphan (`kubectl delete --cascade=orphan`): the owner goes, its dependents
 * stay, without the owner's reference (pure). In a lab the dependents are made from their owner,
 * so to stay they become objects of their own, named and labelled as they are, so the lab keeps
 * running them untouched (same pod names, so the same sandboxes and addresses):
 * - a Deployment's ReplicaSets (replica-sets.ts) become ReplicaSets: their pods, named from the
 *   ReplicaSet as before, keep running and the ReplicaSet keeps them at its replicas;
 * - the pods of a ReplicaSet, StatefulSet, DaemonSet, Job or ReplicationController become Pods
 *   with the owner's pod template, on the node they run on.
 * "Orphan - orphan the dependents" (DeleteOptions.propagationPolicy).
 */
import { controlledBy, controllerRef } from './replica-sets.js';
import { resourceOfKind, type ResourceInfo } from './resources.js';
import type { Obj, Store } from './store.js';

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

const PODS = resourceOfKind('v1', 'Pod')!;
const REPLICA_SETS = resourceOfKind('apps/v1', 'ReplicaSet')!;
const POD_OWNERS = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController']);

const controls = (o: Obj, kind: string, name: string) => {
  const r = controllerRef(o);
  return r?.kind === kind && r.name === name;
};

/** The objects `owner`'s dependents become (empty for a kind without dependents). */
export function orphanedDependents(store: Store, ri: ResourceInfo, owner: Obj): Obj[] {
  const { name, namespace = 'default', uid = '' } = owner.metadata;
  if (ri.kind === 'Deployment') {
    return store
      .list(REPLICA_SETS, namespace)
      .filter((e) => e.origin === 'lab' && controlledBy(e.obj, name, uid))
      .map(({ obj: rs }) => ({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: rs.metadata.name, namespace, ...(rs.metadata.labels ? { labels: rs.metadata.labels } : {}), ...(rs.metadata.annotations ? { annotations: rs.metadata.annotations } : {}) },
        spec: rs.spec,
      }));
  }
  if (!POD_OWNERS.has(ri.kind)) return [];
  const spec = obj(owner.spec);
  const template = obj(spec.template);
  const templateMeta = obj(template.metadata);
  return store
    .list(PODS, namespace)
    .filter((e) => e.origin === 'lab' && controls(e.obj, ri.kind, name))
    .map(({ obj: pod }) => {
      const podSpec = obj(pod.spec);
      const stateful = ri.kind === 'StatefulSet' ? { hostname: pod.metadata.name, ...(typeof spec.serviceName === 'string' ? { subdomain: spec.serviceName } : {}) } : {};
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.metadata.name, namespace, ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}), ...(templateMeta.annotations ? { annotations: templateMeta.annotations } : {}) },
        spec: { ...obj(template.spec), ...stateful, ...(typeof podSpec.nodeName === 'string' ? { nodeName: podSpec.nodeName } : {}) },
      } as Obj;
    });
}
