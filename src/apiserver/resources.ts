/**
 * The resources a lab's API server serves, as discovery and routing see them (facts from the
 * Kubernetes API: group, version, plural, kind, scope, short names, verbs). Pure.
 */

export interface ResourceInfo {
  group: string; // '' = the core (legacy) group
  version: string;
  resource: string; // plural
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served (status is written by the lab). */
  subresources?: { name: string; kind: string; verbs: string[] }[];
  /** The verbs served when not all of VERBS: the reviews (reviews.ts) are created only. */
  verbs?: readonly string[];
}

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const READ_VERBS = ['get', 'list', 'watch'];

const r = (group: string, version: string, resource: string, kind: string, namespaced: boolean, shortNames?: string[], categories?: string[]): ResourceInfo => ({
  group, version, resource, singular: kind.toLowerCase(), kind, namespaced,
  ...(shortNames ? { shortNames } : {}), ...(categories ? { categories } : {}),
});

export const RESOURCES: readonly ResourceInfo[] = [
  r('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  r('', 'v1', 'endpoints', 'Endpoints', true, ['ep']),
  r('', 'v1', 'events', 'Event', true, ['ev']),
  r('', 'v1', 'namespaces', 'Namespace', false, ['ns']),
  r('', 'v1', 'nodes', 'Node', false, ['no']),
  r('', 'v1', 'pods', 'Pod', true, ['po'], ['all']),
  r('', 'v1', 'secrets', 'Secret', true),
  r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa']),
  r('', 'v1', 'services', 'Service', true, ['svc'], ['all']),
  r('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['all']),
  r('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['all']),
  r('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['all']),
  r('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['all']),
  r('batch', 'v1', 'jobs', 'Job', true, undefined, ['all']),
  r('batch', 'v1', 'cronjobs', 'CronJob', true, ['cj'], ['all']),
  r('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  r('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  r('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing']),
  r('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  // The network-policy-api CRDs (kubernetes-sigs/network-policy-api): cluster-scoped, with the
  // CRDs' short names. v1alpha2 first: discovery's preferred version of the group.
  r('policy.networking.k8s.io', 'v1alpha2', 'clusternetworkpolicies', 'ClusterNetworkPolicy', false, ['cnp']),
  r('policy.networking.k8s.io', 'v1alpha1', 'adminnetworkpolicies', 'AdminNetworkPolicy', false, ['anp']),
  r('policy.networking.k8s.io', 'v1alpha1', 'baselineadminnetworkpolicies', 'BaselineAdminNetworkPolicy', false, ['banp']),
  { ...r('k8s.cni.cncf.io', 'v1', 'network-attachment-definitions', 'NetworkAttachmentDefinition', true, ['net-attach-def']), singular: 'network-attachment-definition' },
  // Answered when created, never stored (reviews.ts): `kubectl auth whoami`, `auth can-i`.
  { ...r('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false), verbs: ['create'] },
  { ...r('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false), verbs: ['create'] },
  { ...r('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false), verbs: ['create'] },
];

/** A resource that is created and answered, never stored (the reviews). */
export const isReview = (ri: Pick<ResourceInfo, 'verbs'>): boolean => ri.verbs !== undefined && ri.verbs.length === 1 && ri.verbs[0] === 'create';

/** The resources whose objects the store keeps (all but the reviews). */
export const STORED_RESOURCES: readonly ResourceInfo[] = RESOURCES.filter((ri) => !isReview(ri));

export const groupVersion = (ri: Pick<ResourceInfo, 'group' | 'version'>): string => (ri.group ? `${ri.group}/${ri.version}` : ri.version);

/** The groups in discovery order (core first, then as listed), each with its versions. */
export function groups(): { group: string; versions: string[] }[] {
  const out: { group: string; versions: string[] }[] = [];
  for (const ri of RESOURCES) {
    const g = out.find((x) => x.group === ri.group) ?? (out.push({ group: ri.group, versions: [] }), out[out.length - 1]);
    if (!g.versions.includes(ri.version)) g.versions.push(ri.version);
  }
  return out;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((ri) => ri.group === group && ri.version === version && ri.resource === resource);
}

/** The resource of an object's apiVersion and kind (for objects `podnet apply` stored). */
export function resourceOfKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return STORED_RESOURCES.find((ri) => ri.group === group && ri.version === version && ri.kind === kind) ?? STORED_RESOURCES.find((ri) => ri.group === group && ri.kind === kind);
}

/**
 * Whether objects of the resource carry metadata.generation. kube-apiserver sets it only where
 * the kind's strategy does ("Generation = 1" in PrepareForCreate, bumped when the spec changes):
 * in 1.32 the apps and batch workloads, NetworkPolicy, Ingress and IngressClass, and every
 * custom resource (the network-policy-api and Multus CRDs). The core kinds served here and
 * EndpointSlices have none (Pods gain one only with 1.33's PodObservedGenerationTracking).
 */
export function hasGeneration(ri: Pick<ResourceInfo, 'group'>): boolean {
  return ri.group !== '' && ri.group !== 'discovery.k8s.io';
}

/** The store's key of an object: resource, namespace ('' when cluster-scoped), name. */
export function objectKey(ri: ResourceInfo, namespace: string, name: string): string {
  return `${ri.group}/${ri.resource}/${ri.namespaced ? namespace : ''}/${name}`;
}
