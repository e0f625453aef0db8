/**
 * Discovery documents, as kube-apiserver serves them (pure): legacy (/api, /apis, /api/v1,
 * /apis/G/V) and aggregated (apidiscovery.k8s.io/v2 at /api and /apis when the client asks).
 */
import { groups, groupVersion, isReview, RESOURCES, VERBS, type ResourceInfo } from './resources.js';
import { hasScale, SCALE_KIND } from './scale.js';

/** The aggregated form is served only when Accept names it; this is the Content-Type then. */
export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/**
 * Which discovery form an Accept header asks for: the first acceptable media range wins, as in
 * content negotiation; the aggregated form needs its g, v and as parameters exactly.
 */
export function discoveryForm(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' {
  for (const range of (accept ?? '').split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = new Map(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (!p.has('g') && !p.has('as')) return 'legacy';
    if (p.get('g') === 'apidiscovery.k8s.io' && p.get('as') === 'APIGroupDiscoveryList') {
      if (p.get('v') === 'v2') return 'v2';
      if (p.get('v') === 'v2beta1') return 'v2beta1';
    }
  }
  return 'legacy';
}

const verbsOf = (ri: ResourceInfo): readonly string[] => ri.verbs ?? VERBS;

/** /api: the core group's versions. */
export function legacyCoreVersions(): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** /apis: every named group. */
export function legacyGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().filter((g) => g.group !== '').map((g) => apiGroup(g.group, g.versions)) };
}

/** /apis/G: one group; null when it is not served. */
export function legacyGroup(group: string): Record<string, unknown> | null {
  const g = groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.group, g.versions) } : null;
}

/** /api/v1, /apis/G/V: the resources of one group-version (with their status subresources). */
export function resourceList(group: string, version: string): Record<string, unknown> | null {
  const rs = RESOURCES.filter((ri) => ri.group === group && ri.version === version);
  if (rs.length === 0) return null;
  const resources = rs.flatMap((ri) => [
    {
      name: ri.resource, singularName: ri.singular, namespaced: ri.namespaced, kind: ri.kind, verbs: verbsOf(ri),
      ...(ri.shortNames ? { shortNames: ri.shortNames } : {}), ...(ri.categories ? { categories: ri.categories } : {}),
    },
    ...(hasStatus(ri) ? [{ name: `${ri.resource}/status`, singularName: '', namespaced: ri.namespaced, kind: ri.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ...(ri.resource === 'pods' ? [
      { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ] : []),
    ...(hasScale(ri) ? [{ name: `${ri.resource}/scale`, singularName: '', namespaced: ri.namespaced, group: SCALE_KIND.group, version: SCALE_KIND.version, kind: SCALE_KIND.kind, verbs: ['get', 'patch', 'update'] }] : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources };
}

const NO_STATUS = new Set(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ConfigMap', 'Secret', 'ServiceAccount', 'Event', 'Endpoints', 'EndpointSlice', 'IngressClass', 'NetworkAttachmentDefinition', 'NetworkPolicy']);
export const hasStatus = (ri: ResourceInfo): boolean => !NO_STATUS.has(ri.kind) && !isReview(ri);

/** /api or /apis in the aggregated form: APIGroupDiscoveryList for the core group, or the named ones. */
export function aggregated(core: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const items = groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: g.group ? { name: g.group, creationTimestamp: null } : { creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        resources: RESOURCES.filter((ri) => ri.group === g.group && ri.version === v).map((ri) => ({
          resource: ri.resource,
          responseKind: { group: ri.group, version: ri.version, kind: ri.kind },
          scope: ri.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: ri.singular,
          verbs: verbsOf(ri),
          ...(ri.shortNames ? { shortNames: ri.shortNames } : {}),
          ...(ri.categories ? { categories: ri.categories } : {}),
          ...(hasStatus(ri) || hasScale(ri) ? { subresources: [
            ...(ri.resource === 'pods' ? [
              { subresource: 'attach', responseKind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
              { subresource: 'exec', responseKind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
              { subresource: 'log', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
              { subresource: 'portforward', responseKind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
            ] : []),
            ...(hasStatus(ri) ? [{ subresource: 'status', responseKind: { group: ri.group, version: ri.version, kind: ri.kind }, verbs: ['get', 'patch', 'update'] }] : []),
            ...(hasScale(ri) ? [{ subresource: 'scale', responseKind: SCALE_KIND, verbs: ['get', 'patch', 'update'] }] : []),
          ] } : {}),
        })),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
