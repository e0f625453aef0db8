/** Why a connection is allowed or denied: the policies selecting each side and the deciding rules. */
import { formatIPv4, parseIPv4 } from '../model/ip.js';
import { podKey, type Cluster, type NetworkPolicy, type Protocol } from '../model/types.js';
import { ConnSet } from './conns.js';
import { PolicyEngine, type Endpoint, type SideVerdict } from './engine.js';
import { DEFAULT_SEMANTICS, type Semantics } from './semantics.js';
import { tierPolicyLabel, tierPolicyRef, tierRuleLabel } from './tiers.js';

export interface PolicyRef {
  policy: string;
  file: string;
}

export interface RuleRef extends PolicyRef {
  /** e.g. "spec.ingress[0]" */
  rule: string;
  conns: string;
}

export interface SideExplanation {
  direction: 'egress' | 'ingress';
  /** The pod whose policies are judged on this side; null for an address outside the cluster. */
  pod: string | null;
  allowed: boolean;
  exempt?: string;
  selectedBy: PolicyRef[];
  allowedBy: RuleRef[];
  /** Cluster policies whose subject is this pod (absent: none); `ref` "kind/name". */
  subjectOf?: (PolicyRef & { ref: string })[];
  /**
   * Cluster-policy rules that decided (some of) the connection, in the order checked: e.g.
   * "clusternetworkpolicy deny-sensitive spec.ingress[1] (Admin, priority 10): Deny". A Pass
   * hands on to NetworkPolicy (Admin tier) or to the default (Baseline tier).
   */
  decidedBy?: TierRuleRef[];
  /** Connections no tier decided, allowed by default (absent: none, or no cluster policy applies). */
  byDefault?: string;
}

export interface TierRuleRef {
  /** tierRuleLabel: "kind name spec.dir[i] (Tier, priority n): Action". */
  rule: string;
  /** The policy, "kind/name". */
  ref: string;
  /** The rule's name, when it has one. */
  name?: string;
  tier: 'Admin' | 'Baseline';
  action: string;
  file: string;
  conns: string;
}

export interface Explanation {
  from: string;
  to: string;
  port: number | null;
  protocol: Protocol | null;
  allowed: boolean;
  /** The semantics profile the verdict was reached in. */
  semantics: string;
  /** Every allowed connection between the two, in np-guard notation. */
  conns: string;
  special?: string;
  egress: SideExplanation;
  ingress: SideExplanation;
}

/** Finds a pod by "ns/name", "name" (namespace default), workload "ns/owner", or an IPv4 address. */
export function resolveEndpoint(cluster: Cluster, text: string): Endpoint | null {
  const ip = parseIPv4(text);
  if (ip !== null) {
    const pod = cluster.pods.find((p) => p.ip === text && !p.hostNetwork);
    return pod ? { kind: 'pod', pod } : { kind: 'ip', start: ip, end: ip };
  }
  const [ns, name] = text.includes('/') ? text.split('/', 2) : ['default', text];
  const pod = cluster.pods.find((p) => p.namespace === ns && p.name === name) ?? cluster.pods.find((p) => p.namespace === ns && p.owner.name === name);
  return pod ? { kind: 'pod', pod } : null;
}

export function endpointLabel(e: Endpoint): string {
  return e.kind === 'pod' ? podKey(e.pod) : e.start === e.end ? formatIPv4(e.start) : `${formatIPv4(e.start)}-${formatIPv4(e.end)}`;
}

export function explain(cluster: Cluster, src: Endpoint, dst: Endpoint, port?: number, protocol: Protocol = 'TCP', semantics: Semantics = DEFAULT_SEMANTICS): Explanation {
  const verdict = new PolicyEngine(cluster, { semantics }).evaluate(src, dst);
  const wanted = port === undefined ? null : ConnSet.ports(protocol, port);
  const admits = (c: ConnSet) => (wanted ? !c.intersect(wanted).isEmpty() : !c.isEmpty());
  const side = (v: SideVerdict, e: Endpoint): SideExplanation => {
    // NetworkPolicy rules count only for what the Admin tier left to them.
    const reached = v.toNetworkPolicy === undefined ? null : v.toNetworkPolicy;
    const out: SideExplanation = {
      direction: v.direction,
      pod: e.kind === 'pod' ? podKey(e.pod) : null,
      allowed: v.exempt !== undefined || admits(v.conns),
      exempt: v.exempt,
      selectedBy: v.selectedBy.map(policyRef),
      allowedBy: v.matches
        .map((m) => ({ m, conns: reached ? m.conns.intersect(reached) : m.conns }))
        .filter(({ conns }) => admits(conns))
        .map(({ m, conns }) => ({ ...policyRef(m.policy), rule: `spec.${m.direction}[${m.index}]`, conns: conns.toString() })),
    };
    if (v.subjectOf) {
      out.subjectOf = v.subjectOf.map((p) => ({ policy: tierPolicyLabel(p), ref: tierPolicyRef(p), file: p.source.file }));
      out.decidedBy = (v.tiers ?? [])
        .filter((m) => admits(m.conns))
        .map((m) => ({ rule: tierRuleLabel(m), ref: tierPolicyRef(m.policy), ...(m.rule.name ? { name: m.rule.name } : {}), tier: m.tier, action: m.action, file: m.policy.source.file, conns: m.conns.toString() }));
      if (v.byDefault && admits(v.byDefault)) out.byDefault = v.byDefault.toString();
    }
    return out;
  };
  return {
    from: endpointLabel(src),
    to: endpointLabel(dst),
    port: port ?? null,
    protocol: port === undefined ? null : protocol,
    allowed: admits(verdict.conns),
    semantics: semantics.name,
    conns: verdict.conns.toString(),
    special: verdict.special,
    egress: side(verdict.egress, src),
    ingress: side(verdict.ingress, dst),
  };
}

function policyRef(p: NetworkPolicy): PolicyRef {
  return { policy: `${p.namespace}/${p.name}`, file: p.source.file };
}

export function formatExplanation(x: Explanation): string {
  const what = x.port === null ? 'any connection' : `${x.protocol}/${x.port}`;
  const profile = x.semantics === DEFAULT_SEMANTICS.name ? '' : ` (${x.semantics} semantics)`;
  const lines = [`${x.from} -> ${x.to} (${what}): ${x.allowed ? 'ALLOWED' : 'DENIED'}${profile}`];
  if (x.special) lines.push(`  ${x.special}`);
  for (const s of [x.egress, x.ingress]) {
    const whose = s.direction === 'egress' ? `egress from ${x.from}` : `ingress to ${x.to}`;
    lines.push(`  ${whose}: ${s.allowed ? 'allowed' : 'denied'}${s.exempt ? ` (${s.exempt})` : ''}`);
    for (const p of s.subjectOf ?? []) lines.push(`    subject of ${p.policy} (${p.file})`);
    for (const r of s.decidedBy ?? []) {
      const verb = r.action === 'Pass' ? (r.tier === 'Admin' ? 'passed on to NetworkPolicy by' : 'passed on to the default by') : 'decided by';
      lines.push(`    ${verb} ${r.rule}${r.name ? ` (rule ${JSON.stringify(r.name)})` : ''} (${r.file}): ${r.conns}`);
    }
    for (const p of s.selectedBy) lines.push(`    isolated by networkpolicy ${p.policy} (${p.file})`);
    for (const r of s.allowedBy) lines.push(`    allowed by networkpolicy ${r.policy} ${r.rule} (${r.file}): ${r.conns}`);
    if (s.byDefault !== undefined) lines.push(`    allowed by default (no tier decided): ${s.byDefault}`);
    const denied = (s.decidedBy ?? []).some((r) => r.action === 'Deny');
    if (!s.allowed && !denied) lines.push(`    no rule of these policies allows ${what} ${s.direction === 'egress' ? `to ${x.to}` : `from ${x.from}`}`);
  }
  if (x.port === null) lines.push(`  allowed connections: ${x.conns}`);
  return `${lines.join('\n')}\n`;
}
