/**
 * The edge: raw Kubernetes objects → a validated Cluster of internal records. Every problem in
 * every object is collected; nothing is returned unless the whole input is valid.
 */
import { parseCidr } from '../model/ip.js';
import { SequentialAllocator } from '../model/ipam.js';
import type { Cluster, ClusterPolicy, EndpointSlice, Ingress, IngressClass, Namespace, NetworkAttachmentDefinition, NetworkPolicy, Node, Pod, Route, Secret, Service } from '../model/types.js';
import { podKey } from '../model/types.js';
import { isDnsLabel, isDnsSubdomain, isObj, readLabels, readObj, readString, show } from './fields.js';
import { CLUSTER_POLICY_KINDS, isClusterPolicyKind, readClusterPolicy, warnSamePriority } from './kinds/clusterpolicy.js';
import { readIngress, readIngressClass, readRoute } from './kinds/ingress.js';
import { readNetworkAttachmentDefinition } from './kinds/nad.js';
import { readNetworkPolicy } from './kinds/networkpolicy.js';
import { readTaints } from './kinds/scheduling.js';
import { readSecret } from './kinds/secret.js';
import { readEndpoints, readEndpointSlice, readService } from './kinds/service.js';
import { expandWorkload, readPod, WORKLOAD_KINDS, type WorkloadKind } from './kinds/workloads.js';
import type { RawObject } from './load.js';
import { formatProblem, ProblemSink, type ObjectProblems } from './problems.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const DEFAULT_POD_CIDR = '10.244.0.0/16';

export interface ReadOptions {
  /** Pod CIDR for pods without status.podIP. */
  podCidr?: string;
  /** Nodes known besides Node manifests (e.g. a lab's nodes, which win over a manifest of the same name); DaemonSets get one pod on each. */
  extraNodes?: readonly Node[];
  /** Pods of workloads the user deleted ("ns/name"): their controllers' new pods have new names. */
  replacedPods?: ReadonlySet<string>;
}

const CLUSTER_SCOPED = new Set<string>(['Namespace', 'Node', 'IngressClass', ...CLUSTER_POLICY_KINDS]);
const NAMESPACED = new Set(['Pod', 'Service', 'Endpoints', 'EndpointSlice', 'Ingress', 'NetworkPolicy', 'Secret', 'Route', 'NetworkAttachmentDefinition', ...WORKLOAD_KINDS]);

interface Meta {
  raw: RawObject;
  kind: string;
  namespace: string;
  name: string;
  p: ObjectProblems;
}

/** The kinds readCluster translates; any other is skipped (and so not worth keeping in a lab's state). */
const MODELED_KINDS: ReadonlySet<string> = new Set(['Namespace', 'Node', 'Pod', 'Service', 'EndpointSlice', 'Endpoints', 'Ingress', 'IngressClass', 'Route', 'NetworkPolicy', ...CLUSTER_POLICY_KINDS, 'Secret', 'NetworkAttachmentDefinition', ...WORKLOAD_KINDS]);

/** The objects of kinds podnet models (a lab keeps only those: skipped ones would only grow its state). */
export function modeledObjects(raws: readonly RawObject[]): RawObject[] {
  return raws.filter((r) => typeof r.obj.kind === 'string' && MODELED_KINDS.has(r.obj.kind));
}

/** Translates raw objects into a Cluster; throws InputError with every problem found. */
export function readCluster(raws: readonly RawObject[], options: ReadOptions = {}): Cluster {
  const sink = new ProblemSink();
  const notKubernetes = new Set<string>();
  const notes: string[] = [];
  const metas = identify(raws, sink, notKubernetes, notes);
  const skipped = new Map<string, number>();
  const namespaces = new Map<string, Namespace>();
  const nodes: Node[] = [...(options.extraNodes ?? [])];
  const clusterPolicies: { policy: ClusterPolicy; p: ObjectProblems }[] = [];
  const c = { pods: [] as Pod[], services: [] as Service[], slices: [] as EndpointSlice[], ingresses: [] as Ingress[], classes: [] as IngressClass[], routes: [] as Route[], policies: [] as NetworkPolicy[], secrets: [] as Secret[], nads: [] as NetworkAttachmentDefinition[] };

  for (const m of metas) {
    const { obj, source } = m.raw;
    if (m.kind === 'Namespace') namespaces.set(m.name, { name: m.name, labels: readLabels(readObj(obj.metadata, 'metadata', m.p)?.labels, 'metadata.labels', m.p), source });
    if (m.kind === 'Node') {
      const node = readNode(obj, m.name, m.raw, m.p);
      // A node given in extraNodes (a lab's view of it) stands for its manifest.
      if (!nodes.some((n) => n.name === node.name)) nodes.push(node);
    }
  }
  for (const m of metas) {
    const { obj, source } = m.raw;
    const { namespace: ns, name, p } = m;
    switch (m.kind) {
      case 'Namespace':
      case 'Node':
        break;
      case 'Pod': c.pods.push(readPod(obj, ns, name, source, p)); break;
      case 'Service': c.services.push(readService(obj, ns, name, source, p)); break;
      case 'EndpointSlice': c.slices.push(readEndpointSlice(obj, ns, name, source, p)); break;
      case 'Endpoints': c.slices.push(...readEndpoints(obj, ns, name, source, p)); break;
      case 'Ingress': c.ingresses.push(readIngress(obj, ns, name, source, p)); break;
      case 'IngressClass': c.classes.push(readIngressClass(obj, name, source, p)); break;
      case 'Route': c.routes.push(readRoute(obj, ns, name, source, p)); break;
      case 'NetworkPolicy': c.policies.push(readNetworkPolicy(obj, ns, name, source, p)); break;
      case 'Secret': c.secrets.push(readSecret(obj, ns, name, source, p)); break;
      case 'NetworkAttachmentDefinition': c.nads.push(readNetworkAttachmentDefinition(obj, ns, name, source, p)); break;
      default:
        if (isClusterPolicyKind(m.kind)) clusterPolicies.push({ policy: readClusterPolicy(m.kind, obj, name, source, p), p });
        else if ((WORKLOAD_KINDS as readonly string[]).includes(m.kind)) c.pods.push(...expandWorkload(m.kind as WorkloadKind, obj, ns, name, source, p, nodes, options.replacedPods));
        else skipped.set(m.kind, (skipped.get(m.kind) ?? 0) + 1);
    }
  }
  warnSamePriority(clusterPolicies);
  checkPodNames(c.pods, sink);
  sink.throwIfAny();
  const pods = assignPodIPs(c.pods, nodes, options.podCidr ?? DEFAULT_POD_CIDR, sink);
  sink.throwIfAny();

  const referenced = [...c.pods, ...c.services, ...c.policies, ...c.ingresses, ...c.secrets, ...c.slices, ...c.routes].map((o) => o.namespace);
  for (const ns of referenced) if (!namespaces.has(ns)) namespaces.set(ns, { name: ns, labels: {} });
  // The API server sets this immutable label on every namespace.
  const nsList = [...namespaces.values()].map((n) => ({ ...n, labels: { ...n.labels, [NAMESPACE_NAME_LABEL]: n.name } }));
  notes.unshift(...sink.warnings.map((w) => `warning: ${formatProblem(w)}`));
  if (skipped.size > 0) notes.push(`skipped ${[...skipped].map(([k, n]) => `${n} ${k}`).join(', ')} (kinds podnet does not model)`);
  if (notKubernetes.size > 0) notes.push(`skipped data that is not a Kubernetes object in ${[...notKubernetes].join(', ')}`);
  return {
    namespaces: nsList.sort((a, b) => cmp(a.name, b.name)),
    nodes,
    pods,
    services: c.services,
    endpointSlices: c.slices,
    ingresses: c.ingresses,
    ingressClasses: c.classes,
    routes: c.routes,
    policies: c.policies,
    ...(clusterPolicies.length > 0 ? { clusterPolicies: clusterPolicies.map((r) => r.policy) } : {}),
    secrets: c.secrets,
    ...(c.nads.length > 0 ? { networkAttachmentDefinitions: c.nads } : {}),
    notes,
  };
}

/** Kustomize's own files: kustomization.yaml (kind Kustomization or Component). */
function isKustomization(obj: Record<string, unknown>): boolean {
  return typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('kustomize.config.k8s.io/') && (obj.kind === 'Kustomization' || obj.kind === 'Component');
}

/**
 * Reads kind, name and namespace of every object; reports missing names. The same object twice
 * is what `kubectl apply` accepts: identical copies are one object, and otherwise the later
 * definition wins, with a warning.
 */
function identify(raws: readonly RawObject[], sink: ProblemSink, notKubernetes: Set<string>, notes: string[]): Meta[] {
  const seen = new Map<string, Meta>();
  const out: Meta[] = [];
  for (const raw of raws) {
    if (isKustomization(raw.obj)) {
      const dir = raw.source.file.replace(/\/[^/]*$/, '') || '.';
      notes.push(`skipped ${raw.source.file}: podnet does not build kustomizations (kind ${String(raw.obj.kind)}); for what it builds, run: kubectl kustomize ${dir} | podnet … -f -`);
      continue;
    }
    const where = raw.prefix ? `document ${raw.source.doc + 1} ${raw.prefix}` : `document ${raw.source.doc + 1}`;
    const kind = typeof raw.obj.kind === 'string' ? raw.obj.kind : undefined;
    const meta = isObj(raw.obj.metadata) ? raw.obj.metadata : undefined;
    const name = typeof meta?.name === 'string' && meta.name !== '' ? meta.name : undefined;
    if (!kind && raw.obj.apiVersion === undefined) {
      notKubernetes.add(raw.source.file);
      continue;
    }
    if (!kind) {
      sink.add({ file: raw.source.file, object: where, path: 'kind', message: 'required field is missing' });
      continue;
    }
    const scoped = CLUSTER_SCOPED.has(kind);
    const namespace = scoped ? '' : typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
    if (!name) {
      sink.add({ file: raw.source.file, object: `${kind.toLowerCase()} (${where})`, path: 'metadata.name', message: 'required field is missing' });
      continue;
    }
    const label = scoped ? `${kind.toLowerCase()} ${name}` : `${kind.toLowerCase()} ${namespace}/${name}`;
    const p = sink.forObject(raw.source.file, label);
    if (!checkNames(kind, namespace, name, p)) continue;
    if (NAMESPACED.has(kind) || CLUSTER_SCOPED.has(kind)) {
      const key = `${kind}/${namespace}/${name}`;
      const first = seen.get(key);
      if (first) {
        const at = `${first.raw.source.file} (document ${first.raw.source.doc + 1})`;
        if (!sameObject(first.raw.obj, raw.obj)) sink.forObject(raw.source.file, label).warn('metadata.name', `also defined, differently, in ${at}: this later definition wins, as with kubectl apply`);
        const meta: Meta = { raw, kind, namespace, name, p };
        out[out.indexOf(first)] = meta;
        seen.set(key, meta);
        continue;
      }
      const meta: Meta = { raw, kind, namespace, name, p };
      seen.set(key, meta);
      out.push(meta);
      continue;
    }
    out.push({ raw, kind, namespace, name, p });
  }
  return out;
}

function sameObject(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => sameObject((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Names that become host resources (namespace and node names, pod names in file paths) must be
 * what the API server accepts: a namespace is a DNS label, nodes, pods and workloads DNS
 * subdomains. Other kinds' names only label output (real dumps carry e.g. "allow_web" policies).
 */
const SUBDOMAIN_NAMED = new Set(['Namespace', 'Node', 'Pod', ...WORKLOAD_KINDS]);

function checkNames(kind: string, namespace: string, name: string, p: ObjectProblems): boolean {
  let ok = true;
  if (kind === 'Namespace' ? !isDnsLabel(name) : SUBDOMAIN_NAMED.has(kind) && !isDnsSubdomain(name)) {
    p.error('metadata.name', `${show(name)} is not a valid ${kind === 'Namespace' ? 'DNS label' : 'DNS subdomain'} (lowercase letters, digits, '-'${kind === 'Namespace' ? '' : ", '.'"})`);
    ok = false;
  }
  if (namespace !== '' && !isDnsLabel(namespace)) {
    p.error('metadata.namespace', `${show(namespace)} is not a valid namespace name (a DNS label)`);
    ok = false;
  }
  return ok;
}

function checkPodNames(pods: readonly Pod[], sink: ProblemSink): void {
  const seen = new Map<string, Pod>();
  for (const pod of pods) {
    const key = podKey(pod);
    const first = seen.get(key);
    if (first && first.owner.kind !== pod.owner.kind) {
      sink.add({ file: pod.source.file, object: `pod ${key}`, message: `duplicate pod name: also created by ${first.owner.kind.toLowerCase()} ${first.namespace}/${first.owner.name} in ${first.source.file}` });
    }
    if (!first) seen.set(key, pod);
  }
}

function readNode(obj: Record<string, unknown>, name: string, raw: RawObject, p: ObjectProblems): Node {
  const meta = readObj(obj.metadata, 'metadata', p);
  const status = isObj(obj.status) ? obj.status : {};
  const addresses = Array.isArray(status.addresses) ? status.addresses.filter(isObj) : [];
  const internal = addresses.find((a) => a.type === 'InternalIP');
  const spec = isObj(obj.spec) ? obj.spec : {};
  const podCIDR = readString(spec.podCIDR, 'spec.podCIDR', p);
  if (podCIDR !== undefined && !parseCidr(podCIDR)) p.error('spec.podCIDR', `${show(podCIDR)} is not a valid CIDR`);
  const taints = readTaints(spec.taints, 'spec.taints', p);
  return { name, labels: { ...readLabels(meta?.labels, 'metadata.labels', p), 'kubernetes.io/hostname': name }, ...(taints.length > 0 ? { taints } : {}), internalIP: typeof internal?.address === 'string' ? internal.address : undefined, podCIDR, source: raw.source };
}

/** Pods without an IP get one: hostNetwork pods their node's IP, the rest one from the pod CIDR. */
function assignPodIPs(pods: Pod[], nodes: readonly Node[], podCidr: string, sink: ProblemSink): Pod[] {
  const allocator = new SequentialAllocator(podCidr, pods.map((p) => p.ip).filter((ip) => ip !== ''));
  const nodeIP = new Map(nodes.map((n) => [n.name, n.internalIP ?? '']));
  const ordered = [...pods].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  for (const pod of ordered) {
    if (pod.ip !== '') continue;
    if (pod.hostNetwork) (pod as { ip: string }).ip = (pod.nodeName && nodeIP.get(pod.nodeName)) || '';
    else {
      const ip = allocator.allocate();
      if (ip === null) {
        sink.add({ file: pod.source.file, object: `pod ${podKey(pod)}`, message: `no free IP left in the pod CIDR ${podCidr} (${ordered.length} pods)` });
        break;
      }
      (pod as { ip: string }).ip = ip;
    }
  }
  return ordered;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
