/**
 * The portability report: every connection whose verdict differs between semantics profiles
 * (semantics.ts), with the documented difference that decides it. Policies move between CNIs;
 * this says what changes when they do. Pure.
 *
 * Endpoints are the pods with an address and the nodes (their InternalIPs, as addresses). Each
 * profile is compared with the baseline (upstream by default). Traffic between a node and its
 * own pods is left out: every data plane allows it, whatever an ipBlock says.
 */
import { parseIPv4 } from '../model/ip.js';
import { podKey, type Cluster, type ClusterPeer, type PolicyPeer, type Protocol } from '../model/types.js';
import { ConnSet } from './conns.js';
import { PolicyEngine, type Endpoint, type SideVerdict, type TierMatch, type Verdict } from './engine.js';
import { DEFAULT_SEMANTICS, SEMANTICS, SEMANTICS_NAMES, type Semantics, type SemanticsName } from './semantics.js';
import { tierRuleLabel } from './tiers.js';

export interface PortabilityDifference {
  from: string;
  to: string;
  /** The connections allowed on `allowedOn` and denied on `deniedOn` ("TCP/80", "All Connections"…). */
  conns: string;
  allowedOn: SemanticsName;
  deniedOn: SemanticsName;
  /** Why, phrased for the denying profile ("there"). */
  reasons: string[];
}

export interface PortabilityReport {
  baseline: SemanticsName;
  profiles: SemanticsName[];
  port: number | null;
  protocol: Protocol | null;
  differences: PortabilityDifference[];
}

interface Peer {
  label: string;
  endpoint: Endpoint;
  /** The node this endpoint is, or runs on. */
  node?: string;
  isNode: boolean;
}

export interface PortabilityOptions {
  baseline?: Semantics;
  /** Only this port (with `protocol`); default every connection. */
  port?: number;
  protocol?: Protocol;
}

export function portability(cluster: Cluster, options: PortabilityOptions = {}): PortabilityReport {
  const baseline = options.baseline ?? DEFAULT_SEMANTICS;
  const others = SEMANTICS_NAMES.filter((n) => n !== baseline.name).map((n) => SEMANTICS[n]);
  const wanted = options.port === undefined ? null : ConnSet.ports(options.protocol ?? 'TCP', options.port);
  const engines = new Map([baseline, ...others].map((s) => [s.name, new PolicyEngine(cluster, { semantics: s })]));
  const peers = endpoints(cluster);
  const differences: PortabilityDifference[] = [];
  for (const src of peers) {
    for (const dst of peers) {
      if (src === dst || (src.endpoint.kind === 'ip' && dst.endpoint.kind === 'ip')) continue;
      if (ownNode(src, dst) || ownNode(dst, src)) continue;
      const base = engines.get(baseline.name)!.evaluate(src.endpoint, dst.endpoint);
      for (const other of others) {
        const v = engines.get(other.name)!.evaluate(src.endpoint, dst.endpoint);
        const add = (allowing: Verdict, denying: Verdict, a: Semantics, d: Semantics) => {
          let conns = allowing.conns.subtract(denying.conns);
          if (wanted) conns = conns.intersect(wanted);
          if (conns.isEmpty()) return;
          differences.push({ from: src.label, to: dst.label, conns: connsText(conns), allowedOn: a.name, deniedOn: d.name, reasons: reasons(src, dst, allowing, denying, engines.get(a.name)!, engines.get(d.name)!) });
        };
        add(base, v, baseline, other);
        add(v, base, other, baseline);
      }
    }
  }
  return { baseline: baseline.name, profiles: [baseline.name, ...others.map((o) => o.name)], port: options.port ?? null, protocol: options.port === undefined ? null : options.protocol ?? 'TCP', differences };
}

function endpoints(cluster: Cluster): Peer[] {
  const pods: Peer[] = cluster.pods
    .filter((p) => parseIPv4(p.ip) !== null)
    .map((pod) => ({ label: podKey(pod), endpoint: { kind: 'pod', pod }, node: pod.nodeName, isNode: pod.hostNetwork }));
  const nodes: Peer[] = [];
  for (const n of cluster.nodes) {
    const ip = n.internalIP === undefined ? null : parseIPv4(n.internalIP);
    if (ip !== null) nodes.push({ label: `node/${n.name}`, endpoint: { kind: 'ip', start: ip, end: ip }, node: n.name, isNode: true });
  }
  return [...pods, ...nodes];
}

/** A node (as an address) and a pod running on it: always allowed, the engine cannot tell. */
function ownNode(node: Peer, pod: Peer): boolean {
  return node.endpoint.kind === 'ip' && pod.endpoint.kind === 'pod' && node.node !== undefined && node.node === pod.node;
}

/** "TCP/80" for one port, np-guard's notation otherwise. */
function connsText(c: ConnSet): string {
  const text = c.toString();
  const one = /^(TCP|UDP|SCTP) (\d+)$/.exec(text);
  return one ? `${one[1]}/${one[2]}` : text;
}

/** The differences in the two verdicts that explain why `denying` denies what `allowing` allows. */
function reasons(src: Peer, dst: Peer, allowing: Verdict, denying: Verdict, a: PolicyEngine, d: PolicyEngine): string[] {
  const out: string[] = [];
  if (allowing.special && !denying.special) out.push(`${allowing.special} on ${a.semantics.name}, not there`);
  for (const [side, subject, other] of [['egress', src, dst], ['ingress', dst, src]] as const) {
    const sa: SideVerdict = allowing[side];
    const sd: SideVerdict = denying[side];
    if (sa.exempt !== undefined && sd.exempt === undefined) out.push(`${subject.label} is isolated for ${side} there (on ${a.semantics.name}: ${sa.exempt})`);
    for (const m of sa.matches) {
      if (sd.matches.some((x) => x.policy === m.policy && x.index === m.index)) continue;
      const rule = (side === 'ingress' ? m.policy.ingress : m.policy.egress)[m.index];
      const where = `networkpolicy ${m.policy.namespace}/${m.policy.name} spec.${side}[${m.index}]`;
      const blocks = (rule.peers ?? []).filter((p): p is Extract<PolicyPeer, { kind: 'ipBlock' }> => p.kind === 'ipBlock' && a.peerMatches(p, m.policy.namespace, other.endpoint));
      for (const b of blocks) out.push(`ipBlock ${b.cidr}${b.except.length ? ` (except ${b.except.join(', ')})` : ''} does not match ${other.isNode ? 'node' : 'pod'} IPs there (${where})`);
      if (blocks.length === 0) out.push(`${where} does not match ${other.label} there${other.isNode ? ` (hostNetwork pods are ${d.semantics.hostNetworkAsNode ? 'their node' : 'ordinary pods'} there)` : ''}`);
    }
    out.push(...tierReasons(sa.tiers ?? [], sd.tiers ?? [], other, a));
  }
  return out.length > 0 ? out : ['the profiles judge this pair differently'];
}

const sameRule = (x: TierMatch, y: TierMatch) => x.policy === y.policy && x.direction === y.direction && x.index === y.index;
/** As explain names it: "clusternetworkpolicy p spec.egress[0] (Admin, priority 10): Accept (rule "name")". */
const ruleText = (m: TierMatch) => `${tierRuleLabel(m)}${m.rule.name ? ` (rule ${JSON.stringify(m.rule.name)})` : ''}`;

/**
 * Cluster-policy rules that decide differently: one the allowing profile's walk met and the
 * denying one's did not (a `networks` peer, like an ipBlock, matches pod or node addresses only
 * where the profile lets it), and a Deny only the denying profile's walk reached.
 */
function tierReasons(allowing: readonly TierMatch[], denying: readonly TierMatch[], other: Peer, a: PolicyEngine): string[] {
  const out: string[] = [];
  for (const m of allowing) {
    if (m.action === 'Deny' || denying.some((x) => sameRule(x, m))) continue;
    const nets = m.rule.peers.filter((p): p is Extract<ClusterPeer, { kind: 'networks' }> => p.kind === 'networks' && a.clusterPeerMatches(p, other.endpoint));
    for (const n of nets) out.push(`networks ${n.cidrs.join(', ')} does not match ${other.isNode ? 'node' : 'pod'} IPs there (${ruleText(m)})`);
    if (nets.length === 0) out.push(`${ruleText(m)} does not match ${other.label} there`);
  }
  for (const m of denying) if (m.action === 'Deny' && !allowing.some((x) => sameRule(x, m))) out.push(`${ruleText(m)} decides it there`);
  return out;
}

export function formatPortabilityText(r: PortabilityReport): string {
  const scope = r.port === null ? 'every connection' : `${r.protocol}/${r.port}`;
  if (r.differences.length === 0) return `portable: ${r.profiles.join(', ')} agree on ${scope} between every pod and node\n`;
  const lines = r.differences.map((x) => `${x.from} -> ${x.to} ${x.conns}: allowed on ${x.allowedOn}, denied on ${x.deniedOn}: ${x.reasons.join('; ')}`);
  const profiles = new Set(r.differences.flatMap((x) => [x.allowedOn, x.deniedOn]).filter((n) => n !== r.baseline));
  lines.push(`${r.differences.length} connection${r.differences.length === 1 ? '' : 's'} differ${r.differences.length === 1 ? 's' : ''} between ${r.baseline} and ${[...profiles].join(', ')} (${scope})`);
  return `${lines.join('\n')}\n`;
}
