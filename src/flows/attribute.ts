/**
 * A flow record from one node's verdict (pure): the pods at both ends, and the deciding policy —
 * attributed with the same engine the data plane is compiled from (src/policy/explain.ts), since
 * the nftables sets do not record which policy allowed a peer. Each connection is reported by one
 * node: a denial by the node that refused it; an allowed connection by the destination pod's
 * node (the last verdict on the way), or the source's when the destination is no lab pod.
 */
import { parseIPv4 } from '../model/ip.js';
import { podKey, type Cluster, type Pod, type Protocol } from '../model/types.js';
import type { Endpoint } from '../policy/engine.js';
import { explain, type SideExplanation } from '../policy/explain.js';
import { DEFAULT_SEMANTICS, type Semantics } from '../policy/semantics.js';
import { TraceParser, type FlowEvent } from './parse.js';

export interface FlowRecord {
  time: string;
  node: string;
  src: { ip: string; pod: string | null };
  dst: { ip: string; pod: string | null };
  protocol: string;
  port: number | null;
  verdict: 'allowed' | 'denied';
  /** For denied: the side whose policy refused it. */
  direction?: 'egress' | 'ingress';
  /**
   * The deciding policies: for denied, those isolating the refusing side (none of whose rules
   * allows the connection); for allowed, each rule that allows it ("ns/name spec.ingress[0]").
   * Empty when no policy applies (neither side isolated).
   */
  policies: string[];
  /**
   * Present when a cluster policy (ClusterNetworkPolicy, AdminNetworkPolicy,
   * BaselineAdminNetworkPolicy) has a pod of the connection as its subject on a side that judged
   * it: the deciding policies with their tier ("clusternetworkpolicy/deny-x" in Admin,
   * "ns/name" in NetworkPolicy; tier "default" with no policy when no tier decided).
   */
  deciders?: Decider[];
}

export type DecidingTier = 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default';

export interface Decider {
  direction: 'egress' | 'ingress';
  tier: DecidingTier;
  /** "clusternetworkpolicy/name", "adminnetworkpolicy/name", "baselineadminnetworkpolicy/default" or "ns/name"; '' for the default. */
  policy: string;
}

/**
 * Who decided on one side, for a connection to one port: the Admin tier's Accept or Deny, else
 * the NetworkPolicies isolating the pod (their allowing rules when allowed), else the Baseline
 * tier, else the default — the order the engine judges in (policy/engine.ts).
 */
function sideDeciders(s: SideExplanation, allowed: boolean): { deciders: Decider[]; policies: string[] } {
  const direction = s.direction;
  const final = (tier: 'Admin' | 'Baseline') => (s.decidedBy ?? []).find((r) => r.tier === tier && r.action !== 'Pass');
  const admin = final('Admin');
  if (admin) return { deciders: [{ direction, tier: 'Admin', policy: admin.ref }], policies: [admin.rule] };
  if (s.selectedBy.length > 0) {
    if (!allowed) return { deciders: s.selectedBy.map((p) => ({ direction, tier: 'NetworkPolicy', policy: p.policy })), policies: s.selectedBy.map((p) => p.policy) };
    return { deciders: s.allowedBy.map((r) => ({ direction, tier: 'NetworkPolicy', policy: r.policy })), policies: s.allowedBy.map((r) => `${r.policy} ${r.rule}`) };
  }
  const base = final('Baseline');
  if (base) return { deciders: [{ direction, tier: 'Baseline', policy: base.ref }], policies: [base.rule] };
  return { deciders: [{ direction, tier: 'default', policy: '' }], policies: [] };
}

function podAt(cluster: Cluster, ip: string): Pod | undefined {
  return cluster.pods.find((p) => p.ip === ip && !p.hostNetwork) ?? cluster.pods.find((p) => p.ip === ip);
}

function endpoint(cluster: Cluster, ip: string): Endpoint {
  const pod = podAt(cluster, ip);
  const n = parseIPv4(ip)!;
  return pod ? { kind: 'pod', pod } : { kind: 'ip', start: n, end: n };
}

/** Whether `node` is the one that reports this event (see the file comment). */
export function reportsHere(cluster: Cluster, node: string, e: FlowEvent): boolean {
  if (e.verdict === 'denied') return true;
  const dst = cluster.pods.find((p) => p.ip === e.dst && !p.hostNetwork);
  if (dst) return dst.nodeName === node;
  const src = podAt(cluster, e.src);
  return src === undefined || src.nodeName === node;
}

/** `semantics`: the lab's profile, the one its data plane enforces. */
export function attributeFlow(cluster: Cluster, node: string, e: FlowEvent, time: Date, semantics: Semantics = DEFAULT_SEMANTICS): FlowRecord | null {
  if (!reportsHere(cluster, node, e)) return null;
  const src = endpoint(cluster, e.src);
  const dst = endpoint(cluster, e.dst);
  const name = (x: Endpoint) => (x.kind === 'pod' ? podKey(x.pod) : null);
  let policies: string[] = [];
  let deciders: Decider[] | undefined;
  if (['TCP', 'UDP', 'SCTP'].includes(e.protocol) && e.dport !== null) {
    const x = explain(cluster, src, dst, e.dport, e.protocol as Protocol, semantics);
    const sides = e.verdict === 'denied' ? [e.direction === 'ingress' ? x.ingress : x.egress] : [x.egress, x.ingress];
    if (sides.some((s) => s.subjectOf)) {
      const judged = sides.filter((s) => s.exempt === undefined).map((s) => sideDeciders(s, e.verdict === 'allowed'));
      policies = judged.flatMap((j) => j.policies);
      deciders = judged.flatMap((j) => j.deciders);
    } else if (e.verdict === 'denied') policies = sides[0].selectedBy.map((p) => p.policy);
    else policies = [...x.egress.allowedBy, ...x.ingress.allowedBy].map((r) => `${r.policy} ${r.rule}`);
  }
  return {
    time: time.toISOString(),
    node,
    src: { ip: e.src, pod: name(src) },
    dst: { ip: e.dst, pod: name(dst) },
    protocol: e.protocol,
    port: e.dport,
    verdict: e.verdict,
    ...(e.direction ? { direction: e.direction } : {}),
    policies,
    ...(deciders ? { deciders } : {}),
  };
}

/**
 * The podnet_flows_total keys one record counts under: "verdict\ttier\tpolicy", one per deciding
 * policy ("ns/name" for NetworkPolicy, "kind/name" for cluster policies), or with empty tier and
 * policy when no policy applied.
 */
export function flowKeys(f: Pick<FlowRecord, 'verdict' | 'policies' | 'deciders'>): string[] {
  if (f.deciders) return [...new Set(f.deciders.map((d) => `${f.verdict}\t${d.tier}\t${d.policy}`))];
  if (f.policies.length === 0) return [`${f.verdict}\t\t`];
  return [...new Set(f.policies.map((p) => `${f.verdict}\tNetworkPolicy\t${p.split(' ')[0]}`))];
}

/** Retransmissions of a refused SYN or a repeated datagram are one connection: same 5-tuple, soon. */
export class Deduper {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = 3_000) {}

  fresh(e: FlowEvent, now: number): boolean {
    const key = `${e.protocol} ${e.src}:${e.sport} ${e.dst}:${e.dport} ${e.verdict}`;
    for (const [k, t] of this.seen) {
      if (now - t <= this.windowMs) break;
      this.seen.delete(k);
    }
    const last = this.seen.get(key);
    this.seen.delete(key);
    this.seen.set(key, now);
    return last === undefined || now - last > this.windowMs;
  }
}

/**
 * One node's `nft monitor trace` lines in, that node's flow records out: parsing, folding
 * retransmissions (per node: both ends' nodes see a cross-node connection) and attribution.
 */
export class NodeFlowReader {
  private readonly parser: TraceParser;
  private readonly dedupe = new Deduper();

  constructor(
    private readonly node: string,
    table: string,
    private readonly semantics: Semantics = DEFAULT_SEMANTICS,
  ) {
    this.parser = new TraceParser(table);
  }

  feed(line: string, cluster: () => Cluster, now: Date): FlowRecord | null {
    const e = this.parser.feed(line);
    if (!e || !this.dedupe.fresh(e, now.getTime())) return null;
    return attributeFlow(cluster(), this.node, e, now, this.semantics);
  }
}
