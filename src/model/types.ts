/**
 * podnet's internal records. Kubernetes objects are translated into these once, at the edge
 * (src/api); everything after that works on these small, validated, immutable records.
 */
import type { Labels, Selector } from './labels.js';
import type { NetworkSelection } from './network-selection.js';
import type { Affinity, Taint, Toleration, TopologySpreadConstraint } from './scheduling-types.js';
import type { SecurityFields, VolumeMount } from './security-types.js';

export type * from './scheduling-types.js';
export type * from './security-types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Where an object came from: used in every message about it. */
export interface Source {
  file: string;
  /** 0-based document index inside the file. */
  doc: number;
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface Namespace {
  name: string;
  labels: Labels;
  source?: Source;
}

export interface Node {
  name: string;
  labels: Labels;
  /** spec.taints. */
  taints?: readonly Taint[];
  internalIP?: string;
  podCIDR?: string;
  source?: Source;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  hostPort?: number;
}

export interface Container {
  name: string;
  image?: string;
  command?: readonly string[];
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  ports: readonly ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  /** lifecycle.preStop: run when the pod is deleted, before SIGTERM (within its grace period). */
  preStop?: LifecycleHandler;
  securityContext?: SecurityFields;
  /** Mounts of the pod's emptyDir volumes (other volume kinds are not mounted: reported at read). */
  volumeMounts?: readonly VolumeMount[];
  /** Init containers only: Always makes it a sidecar (started, kept running). */
  restartPolicy?: 'Always';
  /** spec.containers[].stdin: the container reads a stdin that `kubectl attach -i` writes to;
   *  `once` (stdinOnce) closes it after the first attach session ends. */
  stdin?: 'open' | 'once';
  /** spec.containers[].tty (with stdin): the container runs on a pseudo-terminal of its own. */
  tty?: true;
}

/** A probe's handler; a named port is already resolved to the container's number. */
export type ProbeHandler =
  | { kind: 'httpGet'; path: string; port: number; host?: string; scheme: 'HTTP' | 'HTTPS'; headers: { name: string; value: string }[] }
  | { kind: 'tcpSocket'; port: number; host?: string }
  | { kind: 'exec'; command: string[] }
  | { kind: 'grpc'; port: number; service?: string };

/**
 * A container's preStop hook (LifecycleHandler): a command in the container, an HTTP GET, or a
 * sleep ("Sleep represents a duration that the container should sleep", in seconds).
 */
export type LifecycleHandler = Extract<ProbeHandler, { kind: 'exec' } | { kind: 'httpGet' }> | { kind: 'sleep'; seconds: number };

/** A container probe with every default applied (Kubernetes' Probe, minus terminationGracePeriodSeconds). */
export interface Probe {
  handler: ProbeHandler;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The top-level owner of a pod: the workload it belongs to. */
export interface Owner {
  kind: string;
  name: string;
}

export interface Pod {
  namespace: string;
  name: string;
  labels: Labels;
  /** The pod IP: from status.podIP, or allocated by podnet. Empty when unknown. */
  ip: string;
  hostNetwork: boolean;
  nodeName?: string;
  nodeSelector?: Labels;
  affinity?: Affinity;
  tolerations?: readonly Toleration[];
  topologySpreadConstraints?: readonly TopologySpreadConstraint[];
  hostname?: string;
  subdomain?: string;
  containers: readonly Container[];
  /** spec.initContainers, in order. */
  initContainers?: readonly Container[];
  /** The workload this pod belongs to; a bare pod owns itself (kind Pod). */
  owner: Owner;
  restartPolicy?: string;
  /** spec.terminationGracePeriodSeconds: how long the containers get after SIGTERM (default 30). */
  terminationGracePeriodSeconds?: number;
  /**
   * Set while the pod is being deleted gracefully (a lab's terminating pod): when the deletion was
   * asked (metadata.deletionTimestamp) and the grace period it was given.
   */
  deletion?: { at: string; graceSeconds: number };
  /** ClusterFirst (default), ClusterFirstWithHostNet, Default or None. */
  dnsPolicy?: string;
  dnsConfig?: DnsConfig;
  /** spec.securityContext (pod level). */
  securityContext?: SecurityFields;
  /** Names of the pod's emptyDir volumes. */
  emptyDirs?: readonly string[];
  /** Secondary networks: the k8s.v1.cni.cncf.io/networks annotation, parsed (model/network-selection.ts). */
  networks?: readonly NetworkSelection[];
  source: Source;
}

/** A NetworkAttachmentDefinition; `config` is spec.config (absent: read from the CNI conf dir by name). */
export interface NetworkAttachmentDefinition {
  namespace: string;
  name: string;
  config?: string;
  source: Source;
}

export interface DnsConfig {
  nameservers: readonly string[];
  searches: readonly string[];
  options: readonly { name: string; value?: string }[];
}

export interface ServicePort {
  name?: string;
  protocol: Protocol;
  port: number;
  /** A number, or the name of a container port. */
  targetPort: number | string;
  nodePort?: number;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

export interface Service {
  namespace: string;
  name: string;
  type: ServiceType;
  /** null: a selectorless Service (endpoints come from manifests). */
  selector: Labels | null;
  ports: readonly ServicePort[];
  clusterIP?: string;
  externalName?: string;
  headless: boolean;
  publishNotReadyAddresses: boolean;
  sessionAffinity: 'None' | 'ClientIP';
  sessionAffinityTimeout?: number;
  externalTrafficPolicy: 'Cluster' | 'Local';
  internalTrafficPolicy: 'Cluster' | 'Local';
  loadBalancerIP?: string;
  source: Source;
}

export interface IngressBackend {
  service?: { name: string; port: number | string };
  resource?: { kind: string; name: string };
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface IngressPath {
  path: string;
  pathType: PathType;
  backend: IngressBackend;
}

export interface IngressRule {
  host?: string;
  paths: readonly IngressPath[];
}

export interface Ingress {
  namespace: string;
  name: string;
  className?: string;
  defaultBackend?: IngressBackend;
  rules: readonly IngressRule[];
  tls: readonly { hosts: readonly string[]; secretName?: string }[];
  source: Source;
}

/** An OpenShift Route: only its backend services matter for connectivity analysis. */
export interface Route {
  namespace: string;
  name: string;
  services: readonly string[];
  targetPort?: number | string;
  source: Source;
}

export interface IngressClass {
  name: string;
  controller: string;
  isDefault: boolean;
  source: Source;
}

export interface Secret {
  namespace: string;
  name: string;
  type: string;
  data: Readonly<Record<string, string>>;
  source: Source;
}

export interface Endpoint {
  addresses: readonly string[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace: string; name: string };
}

export interface EndpointSlice {
  namespace: string;
  name: string;
  serviceName: string;
  addressType: string;
  ports: readonly { name?: string; port: number; protocol: Protocol }[];
  endpoints: readonly Endpoint[];
  source: Source;
}

export interface PolicyPort {
  protocol: Protocol;
  /** undefined: every port of the protocol. */
  port?: number | string;
  endPort?: number;
}

export type PolicyPeer =
  | { kind: 'selector'; podSelector?: Selector; namespaceSelector?: Selector }
  | { kind: 'ipBlock'; cidr: string; except: readonly string[] };

export interface PolicyRule {
  /** null: the field was empty or missing — the rule matches all peers. */
  peers: readonly PolicyPeer[] | null;
  /** null: the field was empty or missing — the rule matches all ports. */
  ports: readonly PolicyPort[] | null;
}

export interface NetworkPolicy {
  namespace: string;
  name: string;
  podSelector: Selector;
  affectsIngress: boolean;
  affectsEgress: boolean;
  ingress: readonly PolicyRule[];
  egress: readonly PolicyRule[];
  source: Source;
}

/**
 * Cluster-wide policy tiers (kubernetes-sigs/network-policy-api): ClusterNetworkPolicy
 * (policy.networking.k8s.io/v1alpha2) and its predecessors AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (v1alpha1), read into one form. v1alpha1's Allow is Accept here
 * (the kind keeps the word for output: actionWord in policy/tiers.ts).
 */
export type ClusterPolicyKind = 'ClusterNetworkPolicy' | 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy';
export type PolicyTier = 'Admin' | 'Baseline';
export type TierAction = 'Accept' | 'Deny' | 'Pass';

/** Pods by namespace AND pod selector (`namespaces: sel` is pods with an empty podSelector). */
export interface PodsSelection {
  namespaceSelector: Selector;
  podSelector: Selector;
}

export type ClusterPeer =
  | ({ kind: 'pods' } & PodsSelection)
  /** Node addresses (status.addresses InternalIP; hostNetwork pods as their node). */
  | { kind: 'nodes'; nodeSelector: Selector }
  /** CIDRs: every address in them, cluster-internal ones too. */
  | { kind: 'networks'; cidrs: readonly string[] }
  /** Not modeled by the analyzer: matches nothing (only Accept rules may use it). */
  | { kind: 'domainNames'; names: readonly string[] };

/** A port match: a range of one protocol (a single port is start = end), or a container port name. */
export type ClusterPort = { kind: 'range'; protocol: Protocol; start: number; end: number } | { kind: 'named'; name: string };

export interface ClusterPolicyRule {
  /** The rule's optional name (spec.ingress[i].name). */
  name?: string;
  action: TierAction;
  /** At least one (validated). */
  peers: readonly ClusterPeer[];
  /** null: no protocols/ports field, every connection. */
  ports: readonly ClusterPort[] | null;
}

export interface ClusterPolicy {
  kind: ClusterPolicyKind;
  name: string;
  tier: PolicyTier;
  /** 0-1000; null for a BaselineAdminNetworkPolicy, which has none. */
  priority: number | null;
  subject: PodsSelection;
  ingress: readonly ClusterPolicyRule[];
  egress: readonly ClusterPolicyRule[];
  source: Source;
}

/** Everything podnet knows about a cluster, as read from manifests. */
export interface Cluster {
  namespaces: readonly Namespace[];
  nodes: readonly Node[];
  pods: readonly Pod[];
  services: readonly Service[];
  endpointSlices: readonly EndpointSlice[];
  ingresses: readonly Ingress[];
  ingressClasses: readonly IngressClass[];
  routes: readonly Route[];
  policies: readonly NetworkPolicy[];
  /** Cluster-wide tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy); absent when none. */
  clusterPolicies?: readonly ClusterPolicy[];
  secrets: readonly Secret[];
  /** Absent when the input has none (records built elsewhere need not name it). */
  networkAttachmentDefinitions?: readonly NetworkAttachmentDefinition[];
  /** Short notes about input that was read but not used (e.g. skipped kinds). */
  notes: readonly string[];
}

export function podKey(pod: { namespace: string; name: string }): string {
  return `${pod.namespace}/${pod.name}`;
}
