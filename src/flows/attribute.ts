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
import { explain } from '../policy/explain.js';
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
  if (['TCP', 'UDP', 'SCTP'].includes(e.protocol) && e.dport !== null) {
    const x = explain(cluster, src, dst, e.dport, e.protocol as Protocol, semantics);
    if (e.verdict === 'denied') {
      const side = e.direction === 'ingress' ? x.ingress : x.egress;
      policies = side.selectedBy.map((p) => p.policy);
    } else policies = [...x.egress.allowedBy, ...x.ingress.allowedBy].map((r) => `${r.policy} ${r.rule}`);
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
  };
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
