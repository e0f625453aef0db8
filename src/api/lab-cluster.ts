/**
 * A lab's objects as the Cluster every consumer of the lab sees (pure): the user's objects with
 * the system ones (system-objects.ts), the lab's nodes, and each pod on the node and IP its
 * placement gave it. The lab's state satisfies `LabObjects`; so does anything that recorded the
 * same four fields (trace's offline world, tests).
 */
import { readCluster } from './cluster.js';
import type { RawObject } from './load.js';
import { withSystemObjects } from './system-objects.js';
import type { LabConfig, LabNode, PlacedPod, TerminatingPod } from '../model/lab.js';
import type { Cluster, Node, Pod } from '../model/types.js';
import { podKey } from '../model/types.js';

export interface LabObjects {
  config: LabConfig;
  nodes: readonly LabNode[];
  objects: readonly RawObject[];
  placements: readonly PlacedPod[];
  /** Workload pods the user deleted, "ns/name" (see ReadOptions.replacedPods). */
  replacedPods?: readonly string[];
  /** Pods being deleted gracefully: still running, with their addresses (model/lab.ts). */
  terminating?: readonly TerminatingPod[];
}

/** Translates the objects for this lab: nodes from Node manifests or generated, pods placed. */
export function labCluster(state: LabObjects): Cluster {
  return placeOnto(translateLab(state), state);
}

/**
 * The lab's objects (with the system ones) as a Cluster, before placement. Cluster policies
 * (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) are in it: the lab's
 * data plane enforces them with NetworkPolicy (src/policy/compile.ts).
 */
export function translateLab(state: Pick<LabObjects, 'config' | 'nodes' | 'objects' | 'replacedPods'>): Cluster {
  const objects = withSystemObjects(state.config, state.objects);
  return readCluster(objects, { podCidr: state.config.podCidr, extraNodes: extraNodes(state.nodes), ...(state.replacedPods?.length ? { replacedPods: new Set(state.replacedPods) } : {}) });
}

/**
 * Pods get the IP and node their placement gave them; nodes are the lab's. Terminating pods are
 * pods still (as on a cluster until their object is gone), marked with their deletion; one whose
 * name the objects use again is left out (reconcile ends it first).
 */
export function placeOnto(base: Cluster, state: Pick<LabObjects, 'nodes' | 'placements' | 'terminating'>): Cluster {
  const placed = new Map(state.placements.map((p) => [p.key, p]));
  const nodeIP = new Map(state.nodes.map((n) => [n.name, n.ip]));
  const pods = base.pods.map((p): Pod => {
    const at = placed.get(podKey(p));
    return at ? { ...p, ip: at.ip, nodeName: at.node } : { ...p, ip: p.hostNetwork && p.nodeName ? nodeIP.get(p.nodeName) ?? '' : '' };
  });
  if (state.terminating && state.terminating.length > 0) {
    const names = new Set(pods.map(podKey));
    for (const t of state.terminating) {
      if (!names.has(t.placement.key)) pods.push({ ...t.pod, ip: t.placement.ip, nodeName: t.placement.node, deletion: { at: t.at, graceSeconds: t.graceSeconds } });
    }
  }
  const nodes = state.nodes.map((n): Node => ({ name: n.name, labels: n.labels, internalIP: n.ip, podCIDR: n.podCidr }));
  return { ...base, pods, nodes };
}

/**
 * The lab's nodes as Node records (DaemonSets run a pod on each): all of them, with the labels
 * and taints the lab gave them; they stand for the Node manifests of the same name.
 */
function extraNodes(nodes: readonly LabNode[]): Node[] {
  return nodes.map((n) => ({ name: n.name, labels: n.labels, ...(n.taints ? { taints: n.taints } : {}), internalIP: n.ip, podCIDR: n.podCidr }));
}
