/** PodSpec and pod metadata reading, shared by Pod and every workload's template. */
import { NETWORKS_ANNOTATION, parseNetworkSelections, type NetworkSelection } from '../../model/network-selection.js';
import type { Affinity, Container, ContainerPort, DnsConfig, SecurityFields, Toleration, TopologySpreadConstraint } from '../../model/types.js';
import type { Labels } from '../../model/labels.js';
import { isDnsLabel, isObj, isPortName, join, readArray, readBool, readInt, readLabels, readObj, readProtocol, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';
import { PROBE_KINDS, readProbe } from './probe.js';
import { readPreStop } from './lifecycle.js';
import { readAffinity, readSpreadConstraints, readTolerations } from './scheduling.js';
import { readContainerSecurity, readPodSecurity, readVolumeMounts, readVolumes } from './security.js';

export interface PodTemplate {
  labels: Labels;
  hostNetwork: boolean;
  nodeName?: string;
  nodeSelector?: Labels;
  affinity?: Affinity;
  tolerations?: Toleration[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  hostname?: string;
  subdomain?: string;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  dnsConfig?: DnsConfig;
  networks?: NetworkSelection[];
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityFields;
  emptyDirs?: string[];
}

/** Reads metadata.labels and spec of a pod or a pod template found at `path`. */
export function readPodTemplate(meta: Obj | undefined, spec: Obj | undefined, path: string, p: ObjectProblems): PodTemplate {
  const labels = readLabels(meta?.labels, join(join(path, 'metadata'), 'labels'), p);
  const networks = readNetworks(meta, join(path, 'metadata'), p);
  const specPath = join(path, 'spec');
  if (!spec) {
    p.error(specPath, 'required field is missing');
    return { labels, hostNetwork: false, containers: [] };
  }
  const containers: Container[] = [];
  const volumes = readVolumes(spec.volumes, join(specPath, 'volumes'), p);
  // Decided: one PID namespace per container (kubelet's default); a shared one is not built yet.
  if (spec.shareProcessNamespace === true) p.warn(join(specPath, 'shareProcessNamespace'), 'not applied: each container has its own PID namespace on podnet');
  const list = readArray(spec.containers, join(specPath, 'containers'), p);
  if (!list || list.length === 0) p.error(join(specPath, 'containers'), 'required field is missing: a pod needs at least one container');
  const names = new Set<string>();
  (list ?? []).forEach((c, i) => {
    const container = readContainer(c, join(join(specPath, 'containers'), i), p, i, volumes);
    if (!container) return;
    if (container.name !== '' && names.has(container.name)) p.error(join(join(join(specPath, 'containers'), i), 'name'), `duplicate container name ${show(container.name)}`);
    names.add(container.name);
    containers.push(container);
  });
  const initContainers = readInitContainers(spec.initContainers, join(specPath, 'initContainers'), p, names, volumes);
  const nodeSelector = spec.nodeSelector === undefined ? undefined : readLabels(spec.nodeSelector, join(specPath, 'nodeSelector'), p);
  return {
    labels,
    hostNetwork: readBool(spec.hostNetwork, join(specPath, 'hostNetwork'), p) ?? false,
    nodeName: readString(spec.nodeName, join(specPath, 'nodeName'), p),
    nodeSelector,
    affinity: readAffinity(spec.affinity, join(specPath, 'affinity'), p),
    tolerations: readTolerations(spec.tolerations, join(specPath, 'tolerations'), p),
    topologySpreadConstraints: readSpreadConstraints(spec.topologySpreadConstraints, join(specPath, 'topologySpreadConstraints'), p),
    hostname: readString(spec.hostname, join(specPath, 'hostname'), p),
    subdomain: readString(spec.subdomain, join(specPath, 'subdomain'), p),
    restartPolicy: readRestartPolicy(spec.restartPolicy, join(specPath, 'restartPolicy'), p),
    ...grace(spec.terminationGracePeriodSeconds, join(specPath, 'terminationGracePeriodSeconds'), p),
    dnsPolicy: readDnsPolicy(spec.dnsPolicy, join(specPath, 'dnsPolicy'), p),
    dnsConfig: readDnsConfig(spec.dnsConfig, join(specPath, 'dnsConfig'), p),
    ...(networks ? { networks } : {}),
    containers,
    ...(initContainers.length > 0 ? { initContainers } : {}),
    securityContext: readPodSecurity(spec.securityContext, join(specPath, 'securityContext'), p),
    emptyDirs: volumes.emptyDirs,
  };
}

/**
 * spec.terminationGracePeriodSeconds: "Value must be non-negative integer. The value zero indicates
 * stop immediately via the kill signal (no opportunity to shut down)."
 */
function grace(v: unknown, path: string, p: ObjectProblems): { terminationGracePeriodSeconds?: number } {
  const n = readInt(v, path, p, 0);
  // "Defaults to 30 seconds": 30 is kept as absent, so a pod reads the same with the API's defaults.
  return n === undefined || n === 30 ? {} : { terminationGracePeriodSeconds: n };
}

/** The pod's secondary networks (k8s.v1.cni.cncf.io/networks), when the annotation is there. */
function readNetworks(meta: Obj | undefined, metaPath: string, p: ObjectProblems): NetworkSelection[] | undefined {
  const annotations = meta?.annotations;
  if (!isObj(annotations) || annotations[NETWORKS_ANNOTATION] === undefined) return undefined;
  const path = `${join(metaPath, 'annotations')}[${JSON.stringify(NETWORKS_ANNOTATION)}]`;
  const text = readString(annotations[NETWORKS_ANNOTATION], path, p);
  if (text === undefined) return undefined;
  const { selections, errors } = parseNetworkSelections(text);
  for (const e of errors) p.error(path, e);
  return selections.length > 0 ? selections : undefined;
}

/**
 * spec.initContainers: run in order before the app containers. "restartPolicy ... the only
 * allowed value is 'Always'": such an init container is a sidecar. Names share one space with
 * the app containers.
 */
function readInitContainers(v: unknown, path: string, p: ObjectProblems, names: Set<string>, volumes: ReturnType<typeof readVolumes>): Container[] {
  const out: Container[] = [];
  (readArray(v, path, p) ?? []).forEach((c, i) => {
    const cp = join(path, i);
    const container = readContainer(c, cp, p, i, volumes);
    if (!container) return;
    if (names.has(container.name)) p.error(join(cp, 'name'), `duplicate container name ${show(container.name)}`);
    names.add(container.name);
    const policy = readString((c as Obj).restartPolicy, join(cp, 'restartPolicy'), p);
    if (policy !== undefined && policy !== 'Always') p.error(join(cp, 'restartPolicy'), `${show(policy)} is not valid (the only allowed value is Always)`);
    // "Init containers do not support lifecycle, livenessProbe, readinessProbe, or startupProbe" (sidecars do).
    if (policy !== 'Always') for (const k of PROBE_KINDS) if (container[k]) p.error(join(cp, k), 'init containers do not support probes (only sidecars, restartPolicy: Always)');
    if (policy !== 'Always' && container.preStop) p.error(join(cp, 'lifecycle'), 'init containers do not support lifecycle (only sidecars, restartPolicy: Always)');
    out.push(policy === 'Always' ? { ...container, restartPolicy: 'Always' } : container);
  });
  return out;
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

function readDnsPolicy(v: unknown, path: string, p: ObjectProblems): string | undefined {
  const s = readString(v, path, p);
  if (s !== undefined && !DNS_POLICIES.includes(s)) p.error(path, `${show(s)} is not valid (${DNS_POLICIES.join(', ')})`);
  return s;
}

function readDnsConfig(v: unknown, path: string, p: ObjectProblems): DnsConfig | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const strings = (key: string) => (readArray(o[key], join(path, key), p) ?? []).map((x, i) => readString(x, join(join(path, key), i), p) ?? '');
  const options = (readArray(o.options, join(path, 'options'), p) ?? []).flatMap((x, i) => {
    const opt = readObj(x, join(join(path, 'options'), i), p);
    const name = opt ? readString(opt.name, join(join(join(path, 'options'), i), 'name'), p) : undefined;
    if (!name) return [];
    const value = readString(opt!.value, join(join(join(path, 'options'), i), 'value'), p);
    return [value === undefined ? { name } : { name, value }];
  });
  return { nameservers: strings('nameservers'), searches: strings('searches'), options };
}

function readRestartPolicy(v: unknown, path: string, p: ObjectProblems): string | undefined {
  const s = readString(v, path, p);
  if (s !== undefined && !RESTART_POLICIES.includes(s)) p.error(path, `${show(s)} is not valid (${RESTART_POLICIES.join(', ')})`);
  return s;
}

function readContainer(v: unknown, path: string, p: ObjectProblems, index: number, volumes: ReturnType<typeof readVolumes>): Container | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const name = readString(o.name, join(path, 'name'), p);
  if (name === undefined) p.warn(join(path, 'name'), `required field is missing; called container-${index}`);
  // Container names reach file names (logs): a DNS label, as the API server requires.
  else if (!isDnsLabel(name)) p.error(join(path, 'name'), `${show(name)} is not a valid container name (a DNS label)`);
  const ports: ContainerPort[] = [];
  (readArray(o.ports, join(path, 'ports'), p) ?? []).forEach((x, i) => {
    const pp = join(join(path, 'ports'), i);
    const po = readObj(x, pp, p);
    if (!po) return;
    const containerPort = readInt(po.containerPort, join(pp, 'containerPort'), p, 1, 65535);
    if (containerPort === undefined) {
      if (po.containerPort === undefined) p.warn(join(pp, 'containerPort'), 'required field is missing; port ignored');
      return;
    }
    const portName = readString(po.name, join(pp, 'name'), p);
    if (portName !== undefined && !isPortName(portName)) p.error(join(pp, 'name'), `${show(portName)} is not a valid port name (IANA_SVC_NAME)`);
    ports.push({
      name: portName,
      containerPort,
      protocol: readProtocol(po.protocol, join(pp, 'protocol'), p),
      hostPort: readInt(po.hostPort, join(pp, 'hostPort'), p, 1, 65535),
    });
  });
  const env: Record<string, string> = {};
  (readArray(o.env, join(path, 'env'), p) ?? []).forEach((e) => {
    if (e && typeof e === 'object' && typeof (e as Obj).name === 'string' && typeof (e as Obj).value === 'string') {
      env[(e as Obj).name as string] = (e as Obj).value as string;
    }
  });
  // "stdin: Whether this container should allocate a buffer for stdin in the container runtime.
  // If this is not set, reads from stdin in the container will always result in EOF." And
  // stdinOnce: "If true, stdin is closed after the first attach session ends" (ignored without stdin).
  const stdin = readBool(o.stdin, join(path, 'stdin'), p) === true ? (readBool(o.stdinOnce, join(path, 'stdinOnce'), p) === true ? 'once' : 'open') : undefined;
  // tty: "Whether this container should allocate a TTY for itself, also requires 'stdin' to be true."
  const tty = readBool(o.tty, join(path, 'tty'), p) === true;
  if (tty && !stdin) p.warn(join(path, 'tty'), 'not applied: a TTY also requires stdin to be true');
  const strings = (x: unknown, sub: string) => readArray(x, join(path, sub), p)?.map((s) => String(s));
  const container: Container = {
    name: name ?? `container-${index}`,
    image: readString(o.image, join(path, 'image'), p),
    command: strings(o.command, 'command'),
    args: strings(o.args, 'args'),
    env,
    ports,
    ...(stdin ? { stdin } : {}),
    ...(stdin && tty ? { tty: true as const } : {}),
  };
  for (const kind of PROBE_KINDS) {
    const probe = readProbe(o[kind], join(path, kind), p, kind, ports);
    if (probe) container[kind] = probe;
  }
  const preStop = readPreStop(o.lifecycle, join(path, 'lifecycle'), p, ports);
  if (preStop) container.preStop = preStop;
  const securityContext = readContainerSecurity(o.securityContext, join(path, 'securityContext'), p);
  if (securityContext) container.securityContext = securityContext;
  const volumeMounts = readVolumeMounts(o.volumeMounts, join(path, 'volumeMounts'), p, volumes);
  if (volumeMounts.length > 0) container.volumeMounts = volumeMounts;
  return container;
}

