/** Composes the lab's network plans: node network, and pod ADD/DEL through the CNI operations. */
import { cniAdd, cniDel } from '../cni/ptp.js';
import { CNI_VERSION, type PodnetNetConf } from '../cni/types.js';
import type { LabConfig, LabNode, PlacedPod } from '../model/lab.js';
import { podMtu } from '../render/lab-network.js';
import { coalesce, ipStep, mergePlans, type Plan } from '../render/plan.js';

export function netConf(config: LabConfig, node: LabNode, pod?: PlacedPod): PodnetNetConf {
  return {
    cniVersion: CNI_VERSION,
    name: `podnet-${config.name}`,
    type: 'podnet',
    mtu: podMtu(config.mode),
    gateway: node.gateway,
    nodeNetns: node.netns,
    ...(pod ? { runtimeConfig: { ips: [`${pod.ip}/24`], mac: pod.mac, hostVeth: pod.hostVeth } } : {}),
  };
}

/** Creates the pods' namespaces, then one CNI ADD per pod, batched per namespace. */
export function renderPodsAdd(config: LabConfig, nodes: readonly LabNode[], pods: readonly PlacedPod[]): Plan {
  const withNs = pods.filter((p) => p.netns !== null);
  if (withNs.length === 0) return [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // Idempotent: a namespace left by an interrupted run (never recorded in state) is replaced.
  const create: Plan = [[{ kind: 'ip', netns: null, lines: withNs.map((p) => `netns del ${p.netns}`), force: true }], [ipStep(null, withNs.map((p) => `netns add ${p.netns}`))]];
  const adds = withNs.map((p) => cniAdd(netConf(config, byName.get(p.node)!, p), { containerId: p.key, netns: `/run/netns/${p.netns}`, ifName: 'eth0' }).plan);
  return coalesce([...create, ...mergePlans(...adds)]);
}

/** CNI DEL for each pod, then its namespace goes. */
export function renderPodsDel(config: LabConfig, nodes: readonly LabNode[], pods: readonly PlacedPod[]): Plan {
  const withNs = pods.filter((p) => p.netns !== null);
  if (withNs.length === 0) return [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const dels = withNs.map((p) => cniDel(netConf(config, byName.get(p.node)!, p), { containerId: p.key, netns: `/run/netns/${p.netns}`, ifName: 'eth0' }));
  // Tolerant, as the CNI spec asks of DEL: a namespace that is already gone is no failure.
  return [...mergePlans(...dels), [{ kind: 'ip', netns: null, lines: withNs.map((p) => `netns del ${p.netns}`), force: true }]];
}
