/**
 * A packet-flow tracer over a rendered ruleset (the Services table, or the NetworkPolicy table:
 * its verdict maps and interval sets): it loads the Transaction into the
 * in-memory Ruleset and walks the first packet of a connection through the hooks in kernel order
 * — prerouting, routing, input or forward, postrouting (or output, postrouting for the node's
 * own packets) — running every base chain by priority, following jumps, gotos and verdict maps,
 * and exploring every branch of a random choice. It reads only the rendered maps and chains,
 * never the ServiceTable, so it tests the renderer. Pure.
 */
import type { ServiceTable } from '../model/service-table.js';
import type { Protocol } from '../model/types.js';
import { parseCidr, parseIPv4 } from '../model/ip.js';
import { Ruleset, type TableState } from '../render/nft/ruleset.js';
import { renderServices, type NodeRef, type ServiceRenderOptions } from './nft/full.js';
import type { Hook } from '../render/nft/txn.js';
import { parseRule } from './nft-rule.js';

export type Origin = 'pod' | 'node' | 'external';

export interface TracePacket {
  src: string;
  dst: string;
  protocol: Protocol;
  dport: number;
  /** Where the packet comes from: a pod or outside (prerouting), or a process of the node (output). */
  from: Origin;
}

export interface Outcome {
  verdict: 'accept' | 'drop' | 'reject';
  /** "ip:port" when a chain DNAT'd the packet. */
  dnat?: string;
  masquerade: boolean;
  reject?: 'tcp-reset' | 'icmp-port-unreachable' | 'admin-prohibited';
  /** The verdict map whose element gave the final drop/reject, if any. */
  via?: string;
  /** Non-base chains entered, in order. */
  chains: string[];
  /** Affinity set updates (`update @set { ip saddr }`) done on the way. */
  updates: { set: string; key: string }[];
}

export interface TraceResult {
  verdict: 'DNAT' | 'REJECT' | 'DROP' | 'PASS' | 'MIXED';
  /** For DNAT: every destination the ruleset may pick, in rule order. */
  destinations: string[];
  masquerade: boolean;
  outcomes: Outcome[];
  /** "DNAT 10.244.1.5:8080 | 10.244.2.5:8080 (one of 2), masquerade", "REJECT (no endpoints)"… */
  text: string;
}

export interface TraceNode extends NodeRef {
  /** The node's other local addresses or ranges (its pod gateway, a service CIDR routed
   *  `local`, …); node.ip is always local. */
  localIPs?: readonly string[];
}

/** Renders the table for the node and traces one packet through the result. */
export function traceServices(table: ServiceTable, node: TraceNode, opts: ServiceRenderOptions, packet: TracePacket): TraceResult {
  const rs = new Ruleset();
  rs.apply(renderServices(table, node, opts));
  return traceRuleset(rs, opts.tableName, node, packet);
}

/** Records an outcome's affinity updates in the ruleset, as the kernel would after that packet. */
export function remember(rs: Ruleset, tableName: string, outcome: Outcome): void {
  const t = rs.table('ip', tableName)!;
  for (const u of outcome.updates) t.sets.get(u.set)!.elements.set(u.key, '');
}

interface Pkt {
  src: string;
  dst: string;
  proto: string;
  dport: number;
  mark: number;
  dnat?: string;
  masquerade: boolean;
  chains: string[];
  updates: { set: string; key: string }[];
  via?: string;
}
type Final = { pkt: Pkt; verdict: 'accept' | 'drop' | 'reject'; how?: 'tcp-reset' | 'icmp-port-unreachable' | 'admin-prohibited' };
type Frame = { chain: string; index: number };

export function traceRuleset(rs: Ruleset, tableName: string, node: TraceNode, packet: TracePacket): TraceResult {
  const table = rs.table('ip', tableName);
  if (!table) throw new Error(`tracer: no table ip ${tableName}`);
  const local = [node.ip, ...(node.localIPs ?? [])];
  const isLocal = (ip: string) => ip.startsWith('127.') || local.some((l) => inCidr(ip, l));
  const w = new Walker(table, isLocal);
  const start: Pkt = { src: packet.src, dst: packet.dst, proto: packet.protocol.toLowerCase(), dport: packet.dport, mark: 0, masquerade: false, chains: [], updates: [] };
  const finals: Final[] = [];
  const then = (states: Final[], f: (p: Pkt) => Final[]) => states.flatMap((s) => (s.verdict === 'accept' ? f(s.pkt) : [s]));
  if (packet.from === 'node') {
    for (const s of then(w.hook('output', start), (p) => w.hook('postrouting', p))) {
      finals.push(...(s.verdict === 'accept' && isLocal(s.pkt.dst) ? w.hook('input', s.pkt) : [s]));
    }
  } else {
    const routed = then(w.hook('prerouting', start), (p) => (isLocal(p.dst) ? w.hook('input', p) : w.hook('forward', p)));
    finals.push(...routed.flatMap((s) => (s.verdict === 'accept' && !isLocal(s.pkt.dst) ? w.hook('postrouting', s.pkt) : [s])));
  }
  return summarize(finals);
}

class Walker {
  constructor(
    private readonly t: TableState,
    private readonly isLocal: (ip: string) => boolean,
  ) {}

  /** Every base chain of the hook, by priority; a drop or reject ends the walk. */
  hook(hook: Hook, pkt: Pkt): Final[] {
    const bases = [...this.t.chains.values()].filter((c) => c.hook === hook).sort((a, b) => a.priority! - b.priority!);
    let states: Final[] = [{ pkt, verdict: 'accept' }];
    for (const base of bases) states = states.flatMap((s) => (s.verdict === 'accept' ? this.run({ chain: base.name, index: 0 }, s.pkt, []) : [s]));
    return states;
  }

  private run(frame: Frame, pkt: Pkt, stack: Frame[]): Final[] {
    const chain = this.t.chains.get(frame.chain);
    if (!chain) throw new Error(`tracer: no chain ${frame.chain}`);
    for (let i = frame.index; i < chain.rules.length; i++) {
      const branches = this.rule(chain.rules[i], pkt);
      if (branches.length === 1 && branches[0].control === 'next' && branches[0].pkt === pkt) continue;
      return branches.flatMap((b) => this.control(b.control, b.pkt, { chain: frame.chain, index: i + 1 }, stack));
    }
    return stack.length === 0 ? [{ pkt, verdict: 'accept' }] : this.run(stack[0], pkt, stack.slice(1));
  }

  private control(control: string, pkt: Pkt, after: Frame, stack: Frame[]): Final[] {
    const [verb, target] = control.split(' ');
    const enter = (p: Pkt) => ({ ...p, chains: [...p.chains, target] });
    if (verb === 'next') return this.run(after, pkt, stack);
    if (verb === 'jump') return this.run({ chain: target, index: 0 }, enter(pkt), [after, ...stack]);
    if (verb === 'goto') return this.run({ chain: target, index: 0 }, enter(pkt), stack);
    if (verb === 'return') return stack.length === 0 ? [{ pkt, verdict: 'accept' }] : this.run(stack[0], pkt, stack.slice(1));
    if (verb === 'accept') return [{ pkt, verdict: 'accept' }];
    if (verb === 'drop') return [{ pkt, verdict: 'drop' }];
    return [{ pkt, verdict: 'reject', how: target as Final['how'] }];
  }

  /** Evaluates one rule: its branches, each with the packet after it and what happens next. */
  private rule(text: string, pkt: Pkt): { pkt: Pkt; control: string }[] {
    let branches = [{ pkt, control: 'next', done: false }];
    for (const item of parseRule(text)) {
      branches = branches.flatMap((b): typeof branches => {
        if (b.done) return [b];
        const p = b.pkt;
        const stop = (control: string, q: Pkt = p) => [{ pkt: q, control, done: true }];
        const test = (ok: boolean) => (ok ? [b] : [{ ...b, control: 'next', done: true }]);
        switch (item.kind) {
          case 'ct-new':
            return [b]; // the tracer follows the first packet of a connection
          case 'ct-established':
            return test(false);
          case 'limit':
          case 'no-op':
            return [b];
          case 'ct-dnat':
            return test(p.dnat !== undefined);
          case 'in-set': {
            const set = this.t.sets.get(item.set)!;
            if (item.key === 'saddr.daddr') return test(set.elements.has(`${p.src} . ${p.dst}`));
            const parts = [item.key === 'saddr.proto.dport' ? p.src : p.dst, p.proto, String(p.dport)];
            return test(set.flags.includes('interval') ? inIntervals(set.elements.keys(), parts) : set.elements.has(parts.join(' . ')));
          }
          case 'fib-local':
            return test(this.isLocal(item.field === 'saddr' ? p.src : p.dst));
          case 'ip': {
            const addr = item.field === 'saddr' ? p.src : p.dst;
            const hit = item.value.startsWith('@') ? this.t.sets.get(item.value.slice(1))!.elements.has(addr) : inCidr(addr, item.value);
            return test(hit !== item.negate);
          }
          case 'l4proto':
            return test(p.proto === item.proto);
          case 'dport':
            return test(p.proto === item.proto && p.dport === item.port);
          case 'mark-and':
            return test((p.mark & item.mask) === item.value);
          case 'mark-set':
            return [{ ...b, pkt: { ...p, mark: item.op === 'or' ? p.mark | item.value : p.mark ^ item.value } }];
          case 'numgen': // both outcomes of the random draw
            return [b, { ...b, control: 'next', done: true }];
          case 'numgen-vmap': {
            const out = [...item.verdicts.values()].map((v) => stop(v)[0]);
            return item.verdicts.size < item.mod ? [...out, { ...b, control: 'next', done: true }] : out;
          }
          case 'vmap': {
            const key = item.key === 'saddr' ? p.src : item.key === 'daddr' ? p.dst : item.key === 'proto.dport' ? `${p.proto} . ${p.dport}` : `${p.dst} . ${p.proto} . ${p.dport}`;
            const v = this.t.sets.get(item.map)!.elements.get(key);
            return v === undefined ? test(false) : stop(v, { ...p, via: item.map });
          }
          case 'verdict':
            return stop(item.verdict);
          case 'dnat':
            return stop('accept', { ...p, dst: item.ip, dport: item.port, dnat: `${item.ip}:${item.port}` });
          case 'dnat-map': {
            // No element for the packet's key: the lookup fails and the rule does not match.
            const key = item.key === 'proto.dport' ? `${p.proto} . ${p.dport}` : `${p.dst} . ${p.proto} . ${p.dport}`;
            const m = /^(\S+) \. (\d+)$/.exec(this.t.sets.get(item.map)!.elements.get(key) ?? '');
            return m ? stop('accept', { ...p, dst: m[1], dport: Number(m[2]), dnat: `${m[1]}:${m[2]}` }) : test(false);
          }
          case 'masquerade':
            return stop('accept', { ...p, masquerade: true });
          case 'reject':
            return stop(`reject ${item.how}`);
          case 'update':
            return [{ ...b, pkt: { ...p, updates: [...p.updates, { set: item.set, key: p.src }] } }];
        }
      });
    }
    return branches;
  }
}

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/**
 * Whether an interval set (elements "A[-B] . P[-Q] . X[-Y]": address, protocol number, port)
 * holds the key: every part inside its element's range, as the kernel's pipapo lookup has it.
 */
function inIntervals(keys: Iterable<string>, parts: readonly string[]): boolean {
  const value = (part: string, i: number): number => (i === 0 ? parseIPv4(part)! : i === 1 && part in PROTO_NUMBERS ? PROTO_NUMBERS[part]! : Number(part));
  const want = parts.map(value);
  for (const key of keys) {
    const ranges = key.split(' . ');
    if (ranges.length !== parts.length) continue;
    const hit = ranges.every((r, i) => {
      const [a, z = a] = r.split('-');
      return value(a!, i) <= want[i]! && want[i]! <= value(z, i);
    });
    if (hit) return true;
  }
  return false;
}

function inCidr(ip: string, value: string): boolean {
  if (!value.includes('/')) return ip === value;
  const c = parseCidr(value);
  const a = parseIPv4(ip);
  return c !== null && a !== null && a >= c.start && a <= c.end;
}

function summarize(finals: Final[]): TraceResult {
  const outcomes: Outcome[] = finals.map((f) => ({
    verdict: f.verdict,
    ...(f.pkt.dnat ? { dnat: f.pkt.dnat } : {}),
    masquerade: f.pkt.masquerade,
    ...(f.how ? { reject: f.how } : {}),
    ...(f.verdict !== 'accept' && f.pkt.via ? { via: f.pkt.via } : {}),
    chains: f.pkt.chains,
    updates: f.pkt.updates,
  }));
  const kinds = new Set(outcomes.map((o) => (o.verdict === 'accept' ? (o.dnat ? 'DNAT' : 'PASS') : o.verdict === 'drop' ? 'DROP' : 'REJECT')));
  const verdict = kinds.size === 1 ? ([...kinds][0] as TraceResult['verdict']) : 'MIXED';
  const destinations = [...new Set(outcomes.flatMap((o) => (o.dnat ? [o.dnat] : [])))];
  const masquerade = outcomes.length > 0 && outcomes.every((o) => o.masquerade);
  let text: string;
  if (verdict === 'DNAT') {
    const masqSome = outcomes.some((o) => o.masquerade);
    const dests = masqSome && !masquerade ? destinations.map((d) => (outcomes.some((o) => o.dnat === d && o.masquerade) ? `${d} (masquerade)` : d)) : destinations;
    text = `DNAT ${dests.join(' | ')}${destinations.length > 1 ? ` (one of ${destinations.length})` : ''}${masquerade ? ', masquerade' : ''}`;
  } else if (verdict === 'REJECT') text = outcomes.every((o) => o.reject === 'admin-prohibited') ? 'REJECT (denied by policy)' : 'REJECT (no endpoints)';
  else if (verdict === 'DROP') text = outcomes.every((o) => o.via?.startsWith('no-endpoint')) ? 'DROP (no local endpoint)' : 'DROP';
  else if (verdict === 'PASS') text = 'no service: pass';
  else text = `MIXED: ${[...kinds].join(', ')}`;
  return { verdict, destinations, masquerade, outcomes, text };
}
