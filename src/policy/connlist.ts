/**
 * Workload-level connectivity in np-guard netpol-analyzer's "connlist" form:
 * `src => dst : conn`, peers being workloads (`ns/name[Kind]`) and external IP ranges.
 */
import { formatRange } from '../model/ip.js';
import type { Cluster, ClusterPolicy, NetworkPolicy, Pod } from '../model/types.js';
import type { ConnSet } from './conns.js';
import { PolicyEngine, type EngineOptions, type Endpoint } from './engine.js';
import { externalRanges, type IpRange } from './externals.js';
import { ingressExposure } from './ingress-reach.js';
import { SEMANTICS, type Semantics } from './semantics.js';

export interface ConnLine {
  src: string;
  dst: string;
  conn: string;
}

export const INGRESS_CONTROLLER = '{ingress-controller}';

/** np-guard's semantics (semantics.ts): the connlist output's default, comparable with that tool. */
export const NP_GUARD_MODEL: EngineOptions = { semantics: SEMANTICS['np-guard'] };

interface Peer {
  label: string;
  endpoint: Endpoint;
}

export function workloadLabel(pod: Pod): string {
  return `${pod.namespace}/${pod.owner.name}[${pod.owner.kind}]`;
}

/** One representative pod per workload (the first by name); pods of a workload are one peer. */
function workloadPeers(pods: readonly Pod[]): Peer[] {
  const seen = new Map<string, Peer>();
  for (const pod of pods) {
    const label = workloadLabel(pod);
    if (!seen.has(label)) seen.set(label, { label, endpoint: { kind: 'pod', pod } });
  }
  return [...seen.values()];
}

export interface ConnlistOptions {
  /** Cut the external IP space by these policies' ipBlocks too (diff compares two clusters on one cut). */
  alsoCutBy?: readonly NetworkPolicy[];
  /** The same for cluster policies (networks and nodes peers). */
  alsoCutByTiers?: readonly ClusterPolicy[];
  /** Default np-guard's. */
  semantics?: Semantics;
}

export function connlist(cluster: Cluster, options: ConnlistOptions = {}): ConnLine[] {
  const cutBy = [...cluster.policies, ...(options.alsoCutBy ?? [])];
  const model: EngineOptions = options.semantics ? { semantics: options.semantics } : NP_GUARD_MODEL;
  const engine = new PolicyEngine(cluster, model);
  const workloads = workloadPeers(cluster.pods);
  const toPeer = (r: IpRange): Peer => ({ label: `${formatRange(r.start, r.end)}[External]`, endpoint: { kind: 'ip', start: r.start, end: r.end } });
  const tiers = { policies: [...(cluster.clusterPolicies ?? []), ...(options.alsoCutByTiers ?? [])], nodes: cluster.nodes };
  const sources = externalRanges(cutBy, 'ingress', tiers).map(toPeer);
  const destinations = externalRanges(cutBy, 'egress', tiers).map(toPeer);
  const lines: ConnLine[] = [];
  const push = (src: Peer, dst: Peer, conns: ConnSet) => {
    if (!conns.isEmpty()) lines.push({ src: src.label, dst: dst.label, conn: conns.toString() });
  };
  for (const src of workloads) {
    for (const dst of workloads) if (src !== dst) push(src, dst, engine.evaluate(src.endpoint, dst.endpoint).conns);
    for (const ext of destinations) push(src, ext, engine.evaluate(src.endpoint, ext.endpoint).conns);
    for (const ext of sources) push(ext, src, engine.evaluate(ext.endpoint, src.endpoint).conns);
  }
  const exposed = new Map<string, ConnSet>();
  for (const e of ingressExposure(cluster, model)) {
    const label = workloadLabel(e.pod);
    exposed.set(label, exposed.has(label) ? exposed.get(label)!.union(e.allowed) : e.allowed);
  }
  for (const [label, conns] of exposed) if (!conns.isEmpty()) lines.push({ src: INGRESS_CONTROLLER, dst: label, conn: conns.toString() });
  return lines.sort((a, b) => compareLines(formatConnLine(a), formatConnLine(b)));
}

export function formatConnLine(l: ConnLine): string {
  return `${l.src} => ${l.dst} : ${l.conn}`;
}

function compareLines(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
