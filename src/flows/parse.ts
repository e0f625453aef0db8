/**
 * Reading `nft monitor trace` in a node namespace (pure). The policy table marks the first packet
 * of every connection it judges (`meta nftrace set 1`, src/render/nft/policy.ts); the kernel then
 * reports each rule it passes in that table, under one trace id:
 *
 *   trace id 1a2b ip podnet-policy forward packet: iif "pv…" … ip saddr A ip daddr B … tcp sport S tcp dport D …
 *   trace id 1a2b ip podnet-policy forward rule ip saddr vmap @egress-pods (verdict jump egr-A)
 *   trace id 1a2b ip podnet-policy egr-A rule counter packets 0 bytes 0 reject with … (verdict drop)
 *   trace id 1c3d ip podnet-policy forward policy accept
 *
 * A drop in `egr-<ip>` / `ing-<ip>` is a connection denied by egress / ingress policy; an accept
 * (a rule's or the chain's policy) lets it through.
 */
import { parsePodSetName } from '../render/nft/policy.js';

export interface FlowEvent {
  src: string;
  dst: string;
  protocol: string;
  sport: number | null;
  dport: number | null;
  verdict: 'allowed' | 'denied';
  /** For denied: the side whose policy refused it. */
  direction?: 'egress' | 'ingress';
  /** The chain that gave the verdict. */
  chain: string;
}

const LINE = /^trace id ([0-9a-f]+) ip (\S+) (\S+) (packet: .*|rule .*|policy (\w+))\s*$/;
const MAX_PENDING = 4096;

export class TraceParser {
  private readonly pending = new Map<string, Omit<FlowEvent, 'verdict' | 'chain'>>();

  constructor(private readonly table: string) {}

  /** Feeds one line; returns the connection once its verdict in the table is known. */
  feed(line: string): FlowEvent | null {
    const m = LINE.exec(line);
    if (!m || m[2] !== this.table) return null;
    const [, id, , chain, rest, policyVerdict] = m;
    if (rest.startsWith('packet: ')) {
      const pkt = packetFields(rest);
      if (pkt && !this.pending.has(id)) {
        if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
        this.pending.set(id, pkt);
      }
      return null;
    }
    const verdict = policyVerdict ?? /\(verdict (\w+)/.exec(rest)?.[1];
    if (verdict !== 'accept' && verdict !== 'drop') return null;
    const pkt = this.pending.get(id);
    if (!pkt) return null;
    this.pending.delete(id);
    if (verdict === 'accept') return { ...pkt, verdict: 'allowed', chain };
    const direction = parsePodSetName(chain)?.direction;
    return { ...pkt, verdict: 'denied', chain, ...(direction ? { direction } : {}) };
  }
}

export function packetFields(text: string): Omit<FlowEvent, 'verdict' | 'chain'> | null {
  const src = / ip saddr (\d+\.\d+\.\d+\.\d+)/.exec(text)?.[1];
  const dst = / ip daddr (\d+\.\d+\.\d+\.\d+)/.exec(text)?.[1];
  if (!src || !dst) return null;
  const l4 = / (tcp|udp|sctp) sport (\d+) \1 dport (\d+)/.exec(text);
  if (l4) return { src, dst, protocol: l4[1].toUpperCase(), sport: Number(l4[2]), dport: Number(l4[3]) };
  const proto = / (icmp|tcp|udp|sctp) /.exec(text)?.[1] ?? / ip protocol (\S+)/.exec(text)?.[1] ?? 'unknown';
  return { src, dst, protocol: proto.toUpperCase(), sport: null, dport: null };
}
