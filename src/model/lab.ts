/**
 * A lab: a cluster network on one host. Pure planning — which nodes exist, their addresses and
 * pod CIDRs, where each pod runs and which IP it gets. No I/O here.
 */
import { formatIPv4, parseCidr, parseIPv4 } from './ip.js';
import type { Labels } from './labels.js';
import { fnv32a } from './names.js';
import { schedule, REASONS } from './scheduler.js';
import type { SchedNode } from './node-affinity.js';
import type { NamespaceLabels, PlacedSchedPod } from './pod-affinity.js';
import { parseUpstreamSpec } from './dns-upstream.js';
import type { Namespace, Node, Pod, Taint } from './types.js';

export type NetworkMode = 'routed' | 'vxlan';

export interface LabConfig {
  name: string;
  nodes: number;
  mode: NetworkMode;
  podCidr: string;
  serviceCidr: string;
  /** The node network (underlay); one /24. */
  nodeCidr: string;
  /** The pool LoadBalancer Services get addresses from; without it they stay pending. */
  lbCidr?: string;
  /**
   * VXLAN mode: TX checksum offload on the VXLAN device. Turning it off also turns off TSO, which
   * costs most of the overlay's throughput; it works around a netfilter bug fixed in Linux 5.7
   * (src/model/kernel.ts). Absent: `labUp` decides from the running kernel (on from 5.7) and
   * records the decision here; the renderer reads absent as on.
   */
  vxlanChecksumOffload?: boolean;
  /** Run cluster DNS: kube-system/coredns pods behind kube-dns, and a resolv.conf for every pod. */
  dns?: boolean;
  /** `--dns-upstream`: where cluster DNS forwards other names (src/model/dns-upstream.ts); absent: host. */
  dnsUpstream?: string;
  /**
   * `--node-monitor-grace-period` (ms): how long a node's agent may stay silent before the node
   * is NotReady and its pods stop being ready endpoints; absent: NODE_MONITOR_GRACE_MS.
   */
  nodeMonitorGraceMs?: number;
  /** `--agent-restart-delay` (ms): how long the monitor waits before starting a dead agent again; absent: AGENT_RESTART_DELAY_MS. */
  agentRestartDelayMs?: number;
  /**
   * `--semantics`: the NetworkPolicy semantics profile the data plane enforces and `probe` /
   * `matrix` expect (src/policy/semantics.ts); absent: upstream.
   */
  semantics?: 'upstream' | 'cilium';
  /** `up --no-api`: no Kubernetes API server for this lab (src/apiserver). */
  noApi?: boolean;
  /** kubernetes.io/arch of every node (GOARCH spelling: amd64, arm64, …); absent: amd64. */
  arch?: string;
  /** `--zones`: topology.kubernetes.io/zone of the nodes, round-robin (Node manifests' labels win). */
  zones?: string[];
  /** `--instance-type`: node.kubernetes.io/instance-type of every node. */
  instanceType?: string;
}

/** kubeadm's kubelet.service restarts the kubelet with RestartSec=10. */
export const AGENT_RESTART_DELAY_MS = 10_000;

/** kube-controller-manager's --node-monitor-grace-period: its long-standing default 40 s (newer releases use 50 s). */
export const NODE_MONITOR_GRACE_MS = 40_000;

export const LAB_NAME = /^[a-z][a-z0-9-]{0,10}$/;
export const VXLAN_MTU = 1450;
export const ETHERNET_MTU = 1500;

export interface LabNode {
  name: string;
  index: number;
  labels: Labels;
  /** spec.taints from the Node manifest. */
  taints?: Taint[];
  /** Address on the node network. */
  ip: string;
  /** This node's slice of the pod CIDR (a /24). */
  podCidr: string;
  /** First address of podCidr: the bridge's address and the pods' gateway. */
  gateway: string;
  netns: string;
  /** VXLAN: the tunnel endpoint's MAC and the address on the tunnel device (podCidr's .0). */
  vtepMac: string;
  vtepIP: string;
}

export interface PlacedPod {
  key: string;
  node: string;
  ip: string;
  /** null for hostNetwork pods, which run in their node's namespace. */
  netns: string | null;
  /** Node-side veth name (≤ 15 characters). */
  hostVeth: string;
  mac: string;
  /** How many times the pod was deleted and made again under its name (a StatefulSet's pod): each
   *  incarnation is a new sandbox and new containers. Absent: the first. */
  incarnation?: number;
}

/**
 * A pod deleted gracefully: it keeps its place (namespace, veth, IP) and runs on, its containers
 * sent SIGTERM, until they have all stopped or its grace period is over (then SIGKILL); the
 * model pod as it was, since its object is gone from the lab's objects.
 */
export interface TerminatingPod {
  placement: PlacedPod;
  pod: Pod;
  /** When the deletion was asked (its metadata.deletionTimestamp), ISO 8601. */
  at: string;
  /** Seconds between SIGTERM and SIGKILL. */
  graceSeconds: number;
}

/** Every problem with a lab config, all at once; empty when valid. */
export function validateLabConfig(c: LabConfig): string[] {
  const problems: string[] = [];
  if (!LAB_NAME.test(c.name)) problems.push(`--name: ${JSON.stringify(c.name)} must be 1-11 characters: lowercase letters, digits, '-', starting with a letter`);
  if (!Number.isInteger(c.nodes) || c.nodes < 1 || c.nodes > 200) problems.push(`--nodes: ${c.nodes} must be between 1 and 200`);
  if (c.mode !== 'routed' && c.mode !== 'vxlan') problems.push(`--mode: ${JSON.stringify(c.mode)} must be routed or vxlan`);
  const pod = parseCidr(c.podCidr);
  const svc = parseCidr(c.serviceCidr);
  const node = parseCidr(c.nodeCidr);
  if (!pod || pod.family !== 4 || pod.prefix > 22) problems.push(`--pod-cidr: ${JSON.stringify(c.podCidr)} must be an IPv4 CIDR of /22 or larger (each node takes a /24)`);
  else if (Number.isInteger(c.nodes) && 2 ** (24 - pod.prefix) < c.nodes) problems.push(`--pod-cidr: ${c.podCidr} has room for ${2 ** (24 - pod.prefix)} nodes, not ${c.nodes}`);
  if (!svc || svc.family !== 4) problems.push(`--service-cidr: ${JSON.stringify(c.serviceCidr)} is not an IPv4 CIDR`);
  if (!node || node.family !== 4 || node.prefix > 24) problems.push(`node CIDR ${JSON.stringify(c.nodeCidr)} must be an IPv4 /24 or larger`);
  if (c.semantics !== undefined && c.semantics !== 'upstream' && c.semantics !== 'cilium') {
    problems.push(`--semantics: ${JSON.stringify(c.semantics)} must be upstream or cilium (np-guard is an analyzer's model: no data plane enforces it)`);
  }
  const lb = c.lbCidr === undefined ? null : parseCidr(c.lbCidr);
  if (c.lbCidr !== undefined && (!lb || lb.family !== 4)) problems.push(`--lb-cidr: ${JSON.stringify(c.lbCidr)} is not an IPv4 CIDR`);
  if (c.dnsUpstream !== undefined) {
    const up = parseUpstreamSpec(c.dnsUpstream);
    if ('error' in up) problems.push(`--dns-upstream: ${up.error}`);
    else if (!c.dns) problems.push('--dns-upstream: cluster DNS is off (--no-dns): there is nothing to forward');
    else if (up.kind === 'list') {
      // The forwarder runs in the host's namespace: pod and Service addresses are not reachable there.
      for (const [flag, range] of [['--pod-cidr', pod], ['--service-cidr', svc]] as const) {
        if (!range || range.family !== 4) continue;
        const inside = up.upstreams.find((u) => {
          const ip = parseIPv4(u.address);
          return ip !== null && ip >= range.start && ip <= range.end;
        });
        if (inside) problems.push(`--dns-upstream: ${inside.address} is inside the lab's ${flag} ${range.text}: the forwarder runs on the host, which cannot reach it`);
      }
    }
  }
  const ranges = [pod, svc, node, lb].filter((r) => r && r.family === 4) as { start: number; end: number; text: string }[];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (ranges[i].start <= ranges[j].end && ranges[j].start <= ranges[i].end) problems.push(`CIDRs overlap: ${ranges[i].text} and ${ranges[j].text}`);
    }
  }
  return problems;
}

/** The node network of a lab: a /24 in 100.64.0.0/10 (shared address space) chosen by name. */
export function defaultNodeCidr(labName: string): string {
  const n = fnv32a(labName) % 4096;
  return `100.${64 + (n >> 6)}.${(n & 63) * 4}.0/24`;
}

/** The LoadBalancer pool of a lab: the /24 right after its node network. */
export function defaultLbCidr(labName: string): string {
  const n = fnv32a(labName) % 4096;
  return `100.${64 + (n >> 6)}.${(n & 63) * 4 + 1}.0/24`;
}

/**
 * Namespace names are "pn-<lab>_<role>": lab names cannot contain '_', so the prefix
 * "pn-<lab>_" belongs to exactly one lab (lab "a" never claims lab "a-b"'s namespaces).
 */
export function netnsName(lab: string, role: string): string {
  return `${labNetnsPrefix(lab)}${role}`;
}

export function labNetnsPrefix(lab: string): string {
  return `pn-${lab}_`;
}

/** Nodes: from Node manifests when given (in order), else node-1..node-N. */
export function planNodes(c: LabConfig, manifestNodes: readonly Node[]): LabNode[] {
  const podBase = parseCidr(c.podCidr)!.start;
  const nodeBase = parseCidr(c.nodeCidr)!.start;
  const count = Math.max(c.nodes, manifestNodes.length);
  return Array.from({ length: count }, (_, i) => {
    const m = manifestNodes[i];
    const name = m?.name ?? `node-${i + 1}`;
    const cidrStart = podBase + i * 256;
    return {
      name,
      index: i,
      labels: nodeLabels(c, i, name, m?.labels ?? {}),
      ...(m?.taints && m.taints.length > 0 ? { taints: [...m.taints] } : {}),
      ip: formatIPv4(nodeBase + 10 + i),
      podCidr: `${formatIPv4(cidrStart)}/24`,
      gateway: formatIPv4(cidrStart + 1),
      netns: netnsName(c.name, name),
      vtepMac: macFrom(`vtep/${c.name}/${name}`),
      vtepIP: formatIPv4(cidrStart),
    };
  });
}

/**
 * The labels a kubelet sets on its Node (kubernetes.io/hostname, os, arch and their beta.
 * spellings), plus zone and instance type when a flag or the Node manifest gives them, under both
 * the GA and the deprecated beta keys, as the cloud node controller sets them.
 */
export function nodeLabels(c: Pick<LabConfig, 'arch' | 'zones' | 'instanceType'>, index: number, name: string, manifest: Labels): Labels {
  const arch = c.arch ?? 'amd64';
  const labels: Record<string, string> = { ...manifest };
  const zone = manifest['topology.kubernetes.io/zone'] ?? manifest['failure-domain.beta.kubernetes.io/zone'] ?? (c.zones && c.zones.length > 0 ? c.zones[index % c.zones.length] : undefined);
  const region = manifest['topology.kubernetes.io/region'] ?? manifest['failure-domain.beta.kubernetes.io/region'];
  const type = manifest['node.kubernetes.io/instance-type'] ?? manifest['beta.kubernetes.io/instance-type'] ?? c.instanceType;
  if (zone !== undefined) Object.assign(labels, { 'topology.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/zone': zone });
  if (region !== undefined) Object.assign(labels, { 'topology.kubernetes.io/region': region, 'failure-domain.beta.kubernetes.io/region': region });
  if (type !== undefined) Object.assign(labels, { 'node.kubernetes.io/instance-type': type, 'beta.kubernetes.io/instance-type': type });
  return { ...labels, 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch, 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': arch };
}

/** Node's process.arch → the GOARCH spelling kubernetes.io/arch uses. */
export function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** A locally administered unicast MAC derived from a seed. */
export function macFrom(seed: string): string {
  const a = fnv32a(seed);
  const b = fnv32a(`${seed}#`);
  const bytes = [0x02, (a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, b & 255];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Places pods on nodes with the scheduler (model/scheduler.ts): `spec.nodeName` binds directly, as
 * it bypasses kube-scheduler; the rest are filtered and scored one by one, each placed pod counting
 * for the next. Pods already placed (`previous`) stay where they are with the same IP. Returns
 * placements and the pods that fit nowhere, with the scheduler's reason.
 */
export function placePods(lab: string, pods: readonly Pod[], nodes: readonly LabNode[], previous: ReadonlyMap<string, PlacedPod> = new Map(), namespaces: readonly Namespace[] = [], reserved: readonly PlacedPod[] = []): { placed: PlacedPod[]; unschedulable: { key: string; reason: string }[] } {
  const used = new Map(nodes.map((n) => [n.name, new Set<number>()]));
  // Terminating pods keep their address and names until they are gone: no new pod gets them.
  for (const r of reserved) if (r.netns !== null) used.get(r.node)?.add(parseIPv4(r.ip)!);
  const sched = new Map<string, SchedNode>(nodes.map((n) => [n.name, { name: n.name, labels: n.labels, taints: n.taints ?? [] }]));
  const nsLabels: NamespaceLabels = new Map(namespaces.map((n) => [n.name, n.labels]));
  const existing: PlacedSchedPod[] = [];
  const placed: PlacedPod[] = [];
  const unschedulable: { key: string; reason: string }[] = [];
  const keyOf = (p: Pod) => `${p.namespace}/${p.name}`;
  const fresh: Pod[] = [];
  // Derived names are 32-bit hashes: collisions are rare but possible, so they are checked.
  const names = new Set([...previous.values(), ...reserved].flatMap((p) => [p.hostVeth, ...(p.netns ? [p.netns.slice(labNetnsPrefix(lab).length)] : [])]));
  for (const pod of pods) {
    const prev = previous.get(keyOf(pod));
    if (prev && sched.has(prev.node) && (!pod.nodeName || pod.nodeName === prev.node) && (prev.netns === null) === pod.hostNetwork) {
      placed.push(prev);
      existing.push({ pod, node: sched.get(prev.node)! });
      if (prev.netns !== null) used.get(prev.node)!.add(parseIPv4(prev.ip)!);
    } else fresh.push(pod);
  }
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const hasFreeIP = (n: SchedNode) => used.get(n.name)!.size < 253;
  // In manifest order (as `kubectl apply` creates them); pods that fit nowhere are tried again
  // while others still get placed, as the scheduler retries its unschedulable queue.
  let queue = [...fresh].sort((a, b) => (a.source.file < b.source.file ? -1 : a.source.file > b.source.file ? 1 : a.source.doc - b.source.doc));
  for (let progress = true; progress && queue.length > 0; ) {
    const failed: Pod[] = [];
    unschedulable.length = 0;
    for (const pod of queue) {
      const before = placed.length;
      placeOne(pod);
      if (placed.length === before) failed.push(pod);
    }
    progress = failed.length < queue.length;
    queue = failed;
  }
  return { placed, unschedulable };

  function placeOne(pod: Pod): void {
    const key = keyOf(pod);
    let target: SchedNode;
    if (pod.nodeName !== undefined) {
      const bound = sched.get(pod.nodeName);
      if (!bound) {
        unschedulable.push({ key, reason: `node ${JSON.stringify(pod.nodeName)} does not exist` });
        return;
      }
      target = bound;
    } else {
      const r = schedule(pod, { nodes: [...sched.values()], existing, namespaces: nsLabels, extraFilter: (n) => (pod.hostNetwork || hasFreeIP(n) ? null : REASONS.podIPs) });
      if ('reason' in r) {
        unschedulable.push({ key, reason: r.reason });
        return;
      }
      target = r.node;
    }
    const node = byName.get(target.name)!;
    let ip = node.ip;
    if (!pod.hostNetwork) {
      const found = nextFreeIP(node, used.get(node.name)!);
      if (found === null) {
        unschedulable.push({ key, reason: `node ${node.name} has no free pod IP in ${node.podCidr}` });
        return;
      }
      ip = found;
    }
    existing.push({ pod, node: target });
    placed.push({ key, node: node.name, ip, netns: pod.hostNetwork ? null : netnsName(lab, unique(`p`, key, names)), hostVeth: unique('pv', `${lab}/${key}`, names), mac: macFrom(`pod/${lab}/${key}`) });
  }
}

/** prefix + 8 hex characters of the seed's hash, salted until it is not in `taken`. */
function unique(prefix: string, seed: string, taken: Set<string>): string {
  let name = `${prefix}${hash8(seed)}`;
  for (let salt = 1; taken.has(name); salt++) name = `${prefix}${hash8(`${seed}#${salt}`)}`;
  taken.add(name);
  return name;
}

function nextFreeIP(node: LabNode, used: Set<number>): string | null {
  const start = parseCidr(node.podCidr)!.start;
  for (let host = 2; host < 255; host++) {
    if (!used.has(start + host)) {
      used.add(start + host);
      return formatIPv4(start + host);
    }
  }
  return null;
}

export function hash8(text: string): string {
  return fnv32a(text).toString(16).padStart(8, '0');
}
