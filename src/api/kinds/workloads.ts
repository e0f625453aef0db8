/**
 * Pods and workloads → pod records. Workloads expand to their pods with names formed as
 * Kubernetes forms them; each pod remembers the top-level workload that owns it.
 */
import { matchesSelector } from '../../model/labels.js';
import { generatedSuffix, podTemplateHash } from '../../model/names.js';
import { templateHash } from '../defaults.js';
import { daemonSetTolerations, matchesNodeRequirements, untoleratedTaint } from '../../model/node-affinity.js';
import type { Node, Owner, Pod, Source } from '../../model/types.js';
import { isObj, readInt, readLabels, readObj, readSelector, readString, join, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';
import { readPodTemplate, type PodTemplate } from './podspec.js';

/** podnet models pods one by one: a workload may have at most this many. */
export const MAX_PODS_PER_WORKLOAD = 100_000;
/** How many times one pod slot is replaced by name before the names repeat. */
const MAX_REPLACEMENTS = 10_000;

export const WORKLOAD_KINDS = ['Deployment', 'ReplicaSet', 'ReplicationController', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

interface PodBase {
  namespace: string;
  source: Source;
}

function makePod(base: PodBase, name: string, t: PodTemplate, owner: Owner, extra: Partial<Pod> = {}): Pod {
  return {
    namespace: base.namespace,
    name,
    labels: t.labels,
    ip: '',
    hostNetwork: t.hostNetwork,
    nodeName: t.nodeName,
    nodeSelector: t.nodeSelector,
    ...(t.affinity ? { affinity: t.affinity } : {}),
    ...(t.tolerations ? { tolerations: t.tolerations } : {}),
    ...(t.topologySpreadConstraints ? { topologySpreadConstraints: t.topologySpreadConstraints } : {}),
    hostname: t.hostname,
    subdomain: t.subdomain,
    containers: t.containers,
    ...(t.initContainers ? { initContainers: t.initContainers } : {}),
    owner,
    restartPolicy: t.restartPolicy,
    ...(t.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: t.terminationGracePeriodSeconds } : {}),
    dnsPolicy: t.dnsPolicy,
    dnsConfig: t.dnsConfig,
    ...(t.networks ? { networks: t.networks } : {}),
    ...(t.securityContext ? { securityContext: t.securityContext } : {}),
    ...(t.emptyDirs && t.emptyDirs.length > 0 ? { emptyDirs: t.emptyDirs } : {}),
    source: base.source,
    ...extra,
  };
}

/** A bare Pod. Its owner is its controller ownerReference when it has one (cluster dumps). */
export function readPod(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): Pod {
  const meta = readObj(obj.metadata, 'metadata', p);
  const t = readPodTemplate(meta, readObj(obj.spec, 'spec', p), '', p);
  const status = isObj(obj.status) ? obj.status : {};
  const podIP = typeof status.podIP === 'string' ? status.podIP : '';
  const hostIP = typeof status.hostIP === 'string' ? status.hostIP : '';
  return makePod({ namespace, source }, name, t, ownerOf(meta, name), { ip: t.hostNetwork ? hostIP || podIP : podIP });
}

function ownerOf(meta: Obj | undefined, podName: string): Owner {
  const refs = Array.isArray(meta?.ownerReferences) ? (meta!.ownerReferences as unknown[]).filter(isObj) : [];
  // Only the controller reference names a workload; static pods (owned by their Node) stand alone.
  const ref = refs.find((r) => r.controller === true);
  if (ref && typeof ref.name === 'string' && ref.kind !== 'Node') {
    return { kind: typeof ref.kind === 'string' && ref.kind !== '' ? ref.kind : 'Pod', name: ref.name };
  }
  return { kind: 'Pod', name: podName };
}

/**
 * A generated pod name past those of pods the user deleted ("ns/name" in `replaced`): their
 * controller made a new pod, with a new name, as a ReplicaSet's does for a deleted pod.
 */
function generatedName(prefix: string, seed: string, namespace: string, replaced: ReadonlySet<string>): string {
  let name = `${prefix}-${generatedSuffix(seed)}`;
  for (let n = 1; replaced.has(`${namespace}/${name}`) && n <= MAX_REPLACEMENTS; n++) name = `${prefix}-${generatedSuffix(`${seed}#${n}`)}`;
  return name;
}

/** Expands a workload into its pods. `nodes` matters for DaemonSets (one pod per eligible node);
 *  `replaced` names the pods the user deleted (their replacements get new names). */
export function expandWorkload(kind: WorkloadKind, obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems, nodes: readonly Node[], replaced: ReadonlySet<string> = new Set()): Pod[] {
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  const base = { namespace, source };
  const owner: Owner = { kind, name };
  if (kind === 'CronJob') {
    const jobTemplate = readObj(spec.jobTemplate, 'spec.jobTemplate', p) ?? {};
    const jobSpec = readObj(jobTemplate.spec, 'spec.jobTemplate.spec', p) ?? {};
    const jobName = `${name}-${28_000_000 + (podTemplateHashNumber(jobSpec) % 1_000_000)}`;
    return expandJob(jobSpec, 'spec.jobTemplate.spec', jobName, base, owner, p, replaced);
  }
  if (kind === 'Job') return expandJob(spec, 'spec', name, base, owner, p, replaced);
  const template = readTemplate(spec, 'spec', p);
  if (kind === 'ReplicationController') return expandReplicationController(spec, template, name, base, owner, p, replaced);
  // apps/v1 workloads: "selector ... must match the pod template's labels"
  const selector = readSelector(spec.selector, 'spec.selector', p);
  if (!selector) p.error('spec.selector', 'required field is missing');
  else if (!matchesSelector(selector, template.labels)) p.error('spec.selector', 'does not match template labels (spec.template.metadata.labels)');
  const replicas = readInt(spec.replicas, 'spec.replicas', p, 0, MAX_PODS_PER_WORKLOAD) ?? 1;
  switch (kind) {
    case 'Deployment': {
      const hash = templateHash(spec.template);
      const rs = `${name}-${hash}`;
      const labels = { ...template.labels, 'pod-template-hash': hash };
      return range(replicas).map((i) => makePod(base, generatedName(rs, `${namespace}/${rs}/${i}`, namespace, replaced), { ...template, labels }, owner));
    }
    case 'ReplicaSet':
      return range(replicas).map((i) => makePod(base, generatedName(name, `${namespace}/${name}/${i}`, namespace, replaced), template, owner));
    case 'StatefulSet': {
      const serviceName = readString(spec.serviceName, 'spec.serviceName', p);
      return range(replicas).map((i) => {
        const podName = `${name}-${i}`;
        const labels = { ...template.labels, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) };
        return makePod(base, podName, { ...template, labels }, owner, { hostname: podName, subdomain: serviceName ?? template.subdomain });
      });
    }
    case 'DaemonSet': {
      // The DaemonSet controller adds its tolerations, then places one pod on every node whose
      // labels match nodeSelector and required node affinity and whose taints it tolerates.
      const tolerations = [...(template.tolerations ?? []), ...daemonSetTolerations(template.hostNetwork)];
      const daemon = { ...template, tolerations };
      const eligible = nodes.filter((n) => matchesNodeRequirements(template, { name: n.name, labels: n.labels, taints: n.taints ?? [] }) && !untoleratedTaint(tolerations, n.taints ?? []));
      if (nodes.length === 0) return [makePod(base, generatedName(name, `${namespace}/${name}`, namespace, replaced), daemon, owner)];
      return eligible.map((n) => makePod(base, generatedName(name, `${namespace}/${name}/${n.name}`, namespace, replaced), daemon, owner, { nodeName: n.name }));
    }
  }
}

/**
 * A ReplicationController: spec.selector is a plain label map, and "if empty, defaulted to labels
 * on Pod template"; its pods are named as a ReplicaSet's.
 */
function expandReplicationController(spec: Obj, template: PodTemplate, name: string, base: PodBase, owner: Owner, p: ObjectProblems, replaced: ReadonlySet<string>): Pod[] {
  const selector = spec.selector === undefined ? template.labels : readLabels(spec.selector, 'spec.selector', p);
  if (!matchesSelector({ matchLabels: selector, matchExpressions: [] }, template.labels)) p.error('spec.selector', 'does not match template labels (spec.template.metadata.labels)');
  const replicas = readInt(spec.replicas, 'spec.replicas', p, 0, MAX_PODS_PER_WORKLOAD) ?? 1;
  return range(replicas).map((i) => makePod(base, generatedName(name, `${base.namespace}/${name}/${i}`, base.namespace, replaced), template, owner));
}

function expandJob(spec: Obj, path: string, jobName: string, base: PodBase, owner: Owner, p: ObjectProblems, replaced: ReadonlySet<string>): Pod[] {
  const template = readTemplate(spec, path, p);
  const parallelism = readInt(spec.parallelism, join(path, 'parallelism'), p, 0, MAX_PODS_PER_WORKLOAD) ?? 1;
  const labels = { ...template.labels, 'job-name': jobName, 'batch.kubernetes.io/job-name': jobName };
  return range(parallelism).map((i) => makePod(base, generatedName(jobName, `${base.namespace}/${jobName}/${i}`, base.namespace, replaced), { ...template, labels }, owner));
}

function readTemplate(spec: Obj, path: string, p: ObjectProblems): PodTemplate {
  const tPath = join(path, 'template');
  const template = readObj(spec.template, tPath, p);
  if (!template) {
    p.error(tPath, 'required field is missing');
    return { labels: {}, hostNetwork: false, containers: [] };
  }
  return readPodTemplate(readObj(template.metadata, join(tPath, 'metadata'), p), readObj(template.spec, join(tPath, 'spec'), p), tPath, p);
}

function podTemplateHashNumber(value: unknown): number {
  return [...podTemplateHash(value)].reduce((acc, ch) => (acc * 31 + ch.charCodeAt(0)) >>> 0, 7);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
