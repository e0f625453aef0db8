/**
 * `-n NS` on analyze, up, apply and delete, as kubectl's --namespace: the namespace of every
 * namespaced object that names none. An object naming another namespace is an error, as kubectl
 * reports it ("the namespace from the provided object … does not match the namespace …").
 */
import { isObj } from './fields.js';
import type { RawObject } from './load.js';
import { InputError, type Problem } from './problems.js';

/** Kinds without a namespace (those podnet reads, and the common ones it skips). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'IngressClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'RuntimeClass', 'CSIDriver', 'VolumeAttachment', 'ClusterIssuer',
]);

/**
 * kind/namespace/name of a raw object: the identity `podnet apply` and the lab's API replace
 * and delete by. Cluster-scoped kinds have no namespace; a namespaced one names "default"
 * when it names none.
 */
export function rawObjectKey(o: Pick<RawObject, 'obj'>): string {
  const meta = (isObj(o.obj.metadata) ? o.obj.metadata : {}) as { name?: unknown; namespace?: unknown };
  const scoped = CLUSTER_SCOPED.has(String(o.obj.kind));
  const ns = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
  return `${String(o.obj.kind)}/${scoped ? '' : ns}/${typeof meta.name === 'string' ? meta.name : ''}`;
}

export function withDefaultNamespace(raws: readonly RawObject[], namespace: string | undefined): RawObject[] {
  if (namespace === undefined) return [...raws];
  const problems: Problem[] = [];
  const out = raws.map((raw) => {
    const kind = raw.obj.kind;
    if (typeof kind !== 'string' || CLUSTER_SCOPED.has(kind) || !isObj(raw.obj.metadata) || typeof raw.obj.apiVersion !== 'string' || raw.obj.apiVersion.startsWith('kustomize.config.k8s.io/')) return raw;
    const meta = raw.obj.metadata;
    const own = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
    if (own === undefined) return { ...raw, obj: { ...raw.obj, metadata: { ...meta, namespace } } };
    if (own !== namespace) {
      const where = `${kind.toLowerCase()} ${own}/${String(meta.name ?? '')}`;
      problems.push({ file: raw.source.file, object: where, path: 'metadata.namespace', message: `the namespace from the provided object ${JSON.stringify(own)} does not match the namespace ${JSON.stringify(namespace)} (-n): pass -n ${own}, or none` });
    }
    return raw;
  });
  if (problems.length > 0) throw new InputError(problems);
  return out;
}
