/**
 * Builds a podnet lab network for a benchmark with podnet's own renderers and executor
 * (planNodes, renderLabNetwork, placePods, renderPodsAdd, applyPlan on a LinuxHost) — no state
 * files, no agents: only the network.
 */
import { applyPlan } from '../../src/host/executor.js';
import { LinuxHost } from '../../src/host/host.js';
import { renderPodsAdd } from '../../src/lab/network.js';
import { defaultNodeCidr, labNetnsPrefix, placePods, planNodes, type LabConfig, type LabNode, type NetworkMode, type PlacedPod } from '../../src/model/lab.js';
import type { Pod } from '../../src/model/types.js';
import { renderLabNetwork } from '../../src/render/lab-network.js';
import { renderPolicyFull } from '../../src/render/nft/policy.js';
import { renderServicesFull } from '../../src/proxy/nft/full.js';
import type { Resources } from './sys.js';

export const host = new LinuxHost();

export function labConfig(name: string, mode: NetworkMode, nodes: number): LabConfig {
  return { name, nodes, mode, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: defaultNodeCidr(name) };
}

/** A bare pod record pinned to a node. */
export function benchPod(name: string, nodeName: string): Pod {
  return {
    namespace: 'bench',
    name,
    labels: {},
    ip: '',
    hostNetwork: false,
    nodeName,
    containers: [{ name: 'c', ports: [] }],
    owner: { kind: 'Pod', name },
    source: { file: 'bench', doc: 0 },
  };
}

export interface BenchLab {
  config: LabConfig;
  nodes: LabNode[];
  /** Pods by name (the part after "bench/"). */
  pods: Map<string, PlacedPod>;
}

/** The node network only (namespaces, underlay, bridges, routes or VXLAN). */
export async function upNetwork(res: Resources, config: LabConfig): Promise<LabNode[]> {
  res.addNetnsPrefix(labNetnsPrefix(config.name));
  const nodes = planNodes(config, []);
  await applyPlan(host, renderLabNetwork(config, nodes));
  return nodes;
}

/** Places pods ({name, node}) on the lab's nodes with podnet's scheduler and IPAM. */
export function placeBenchPods(config: LabConfig, nodes: readonly LabNode[], pods: readonly { name: string; node: string }[]): PlacedPod[] {
  const { placed, unschedulable } = placePods(
    config.name,
    pods.map((p) => benchPod(p.name, p.node)),
    nodes,
  );
  if (unschedulable.length > 0) throw new Error(`unschedulable: ${unschedulable.map((u) => `${u.key}: ${u.reason}`).join('; ')}`);
  return placed;
}

/** A whole lab: network, then pods. */
export async function upLab(res: Resources, config: LabConfig, pods: readonly { name: string; node: string }[]): Promise<BenchLab> {
  const nodes = await upNetwork(res, config);
  const placed = placeBenchPods(config, nodes, pods);
  await applyPlan(host, renderPodsAdd(config, nodes, placed));
  return { config, nodes, pods: new Map(placed.map((p) => [p.key.slice('bench/'.length), p])) };
}

/**
 * The nftables tables every lab node has — Services (table `ip podnet`) and NetworkPolicy (table
 * `ip podnet-policy`) — here empty: what a lab without Services or policies runs. Their hooks sit
 * on every packet's path, so a datapath figure without them would flatter podnet.
 */
export async function loadPodnetTables(lab: BenchLab): Promise<void> {
  for (const node of lab.nodes) await loadTablesInto(node.netns, node.name, node.ip, lab.config.podCidr);
}

/** The same empty tables in any namespace (the hand-built references of `datapath --plain --hooks`). */
export async function loadTablesInto(netns: string, nodeName: string, nodeIp: string, podCidr: string): Promise<void> {
  const services = renderServicesFull({ services: [] }, { name: nodeName, ip: nodeIp }, { tableName: 'podnet', podCidr }).toString();
  const policy = renderPolicyFull([], nodeName).toString();
  const r = await host.exec(netns, ['nft', '-f', '-'], services + policy);
  if (r.code !== 0) throw new Error(`nft in ${netns}: ${r.stderr.trim()}`);
}
