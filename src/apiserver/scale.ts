/**
 * The scale subresource (pure) of Deployments, ReplicaSets and StatefulSets, as autoscaling/v1
 * Scale: spec.replicas is the workload's, status.replicas what runs, status.selector the pod
 * selector as text ("label query over pods that should match the replicas count").
 */
import { isObject } from './patch-json.js';
import { badRequest } from './errors.js';
import type { ResourceInfo } from './resources.js';
import type { Obj } from './store.js';

type Raw = Record<string, unknown>;

export const SCALABLE: ReadonlySet<string> = new Set(['deployments', 'replicasets', 'statefulsets']);
export const hasScale = (ri: Pick<ResourceInfo, 'resource'>): boolean => SCALABLE.has(ri.resource);
export const SCALE_KIND = { group: 'autoscaling', version: 'v1', kind: 'Scale' };

/** A LabelSelector as the text form kubectl -l takes (matchLabels, then matchExpressions). */
export function selectorText(sel: unknown): string {
  if (!isObject(sel)) return '';
  const terms = Object.entries(isObject(sel.matchLabels) ? sel.matchLabels : {}).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    if (!isObject(e)) continue;
    const values = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
    if (e.operator === 'In') terms.push(`${String(e.key)} in (${values})`);
    else if (e.operator === 'NotIn') terms.push(`${String(e.key)} notin (${values})`);
    else if (e.operator === 'Exists') terms.push(String(e.key));
    else if (e.operator === 'DoesNotExist') terms.push(`!${String(e.key)}`);
  }
  return terms.join(',');
}

export function scaleOf(workload: Obj): Obj {
  const spec = isObject(workload.spec) ? workload.spec : {};
  const status = isObject(workload.status) ? workload.status : {};
  const m = workload.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorText(spec.selector) },
  };
}

/** The workload with the replicas a (patched or given) Scale asks for. */
export function scaled(workload: Obj, scale: unknown): Obj {
  const spec = isObject(scale) && isObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) throw badRequest(`spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`);
  return { ...workload, spec: { ...(isObject(workload.spec) ? workload.spec : {}), replicas } };
}
