/** `podnet trace` as text: one block per step, each with its verdict. Pure. */
import type { SideExplanation } from '../policy/explain.js';
import type { ProbeOutcome } from '../probe/verdict.js';
import type { DnsLookup } from './dns.js';
import type { Trace } from './build.js';

export interface ProbeReport {
  /** "ip:port" probed. */
  target: string;
  outcome: ProbeOutcome;
  agrees: boolean;
}

function dnsLines(d: DnsLookup): string[] {
  if (d.skipped) return [`dns       ${d.name}: not resolved by cluster DNS: ${d.skipped}`];
  const out = [`dns       ${d.name} via ${d.nameserver} (search ${d.search.join(' ') || '-'}; ndots ${d.ndots})`];
  for (const a of d.attempts) {
    const what = a.result === 'answer' ? `A ${a.addresses.join(', ')}` : a.result === 'forward' ? 'outside the cluster zone: forwarded upstream' : a.result.toUpperCase();
    out.push(`            ${a.name}: ${what}${a.cnames.length > 0 ? ` (CNAME ${a.cnames.join(' -> ')})` : ''}`);
  }
  if (!d.answered) out.push('            no candidate answered: the name does not resolve');
  return out;
}

function sideLines(s: SideExplanation, who: string, peer: string): string[] {
  const head = `${who}: ${s.allowed ? 'allowed' : 'DENIED'}`;
  if (s.exempt) return [`${head} (${s.exempt})`];
  if (s.selectedBy.length === 0 && !s.subjectOf) return [`${head} (no policy selects ${s.pod ?? 'it'} for ${s.direction}: not isolated)`];
  const out = [head];
  // Cluster policy tiers first, in the order they are checked (Admin, then NetworkPolicy, then Baseline).
  for (const p of s.subjectOf ?? []) out.push(`  subject of ${p.policy} (${p.file})`);
  const decided = s.decidedBy ?? [];
  const adminFinal = decided.some((r) => r.tier === 'Admin' && r.action !== 'Pass');
  for (const r of decided.filter((x) => x.tier === 'Admin')) out.push(`  ${r.action === 'Pass' ? 'passed on to NetworkPolicy by' : 'decided by'} ${r.rule}${r.name ? ` (rule ${JSON.stringify(r.name)})` : ''} (${r.file})`);
  if (!adminFinal) {
    for (const p of s.selectedBy) out.push(`  isolated by networkpolicy ${p.policy} (${p.file})`);
    for (const r of s.allowedBy) out.push(`  allowed by networkpolicy ${r.policy} ${r.rule} (${r.file}): ${r.conns}`);
    for (const r of decided.filter((x) => x.tier === 'Baseline')) out.push(`  ${r.action === 'Pass' ? 'passed on to the default by' : 'decided by'} ${r.rule}${r.name ? ` (rule ${JSON.stringify(r.name)})` : ''} (${r.file})`);
    if (s.byDefault !== undefined) out.push('  allowed by default (no tier decided)');
  }
  const set = `rejected (icmp admin-prohibited) in ${s.direction === 'egress' ? 'egr' : 'ing'}-<pod ip>`;
  if (!s.allowed && decided.some((r) => r.action === 'Deny')) out.push(`  ${set}`);
  else if (!s.allowed) out.push(`  no rule of these policies allows it ${s.direction === 'egress' ? 'to' : 'from'} ${peer}: ${set}`);
  return out;
}

const indent = (lines: string[], pad: string) => lines.map((l) => pad + l);

export function formatTrace(t: Trace, probe?: ProbeReport | null): string {
  const lines = [`trace ${t.from} -> ${t.to} (${t.protocol}${t.port !== null ? `/${t.port}` : ''})${t.offline ? ' [offline: placement predicted from the manifests]' : ''}`];
  if (t.dns) lines.push(...dnsLines(t.dns));
  if (t.via) lines.push(`via       ${t.via.interface} (${t.via.network})`);
  if (t.address && t.service) {
    const s = t.service;
    lines.push(`service   ${t.address}:${t.port}${s.service ? ` (${s.service})` : ''} on ${s.node}: ${s.result.text}`);
  } else if (t.address) lines.push(`service   ${t.address}:${t.port}: not a Service address, no NAT`);
  for (const p of t.paths) {
    lines.push(`path      -> ${p.to}${p.pod ? ` (${p.pod})` : ''}: ${p.allowed ? 'ALLOWED' : 'DENIED'}`);
    for (const r of p.route) lines.push(`  route   ${r.text}`);
    lines.push(...indent(sideLines(p.egress, `egress  from ${t.from}`, p.pod ?? p.to), '  '));
    lines.push(...indent(sideLines(p.ingress, `ingress to ${p.pod ?? p.to}`, t.from), '  '));
  }
  const n = t.paths.length;
  const allowed = t.paths.filter((p) => p.allowed).length;
  const detail = t.verdict === 'PARTIAL' ? ` (${allowed} of ${n} endpoints allowed)` : t.verdict === 'NO ENDPOINTS' ? ` (${t.service?.result.text})` : '';
  lines.push(`verdict   ${t.verdict}${detail}`);
  if (probe) lines.push(`probe     ${probe.target}: ${probe.outcome.verdict}${probe.outcome.code ? ` (${probe.outcome.code})` : ''} in ${Math.round(probe.outcome.ms)} ms: ${probe.agrees ? 'agrees with the trace' : `DISAGREES: the trace expects ${t.expect}`}`);
  else if (probe === null) lines.push('probe     not sent (the trace has no lab address to probe)');
  return `${lines.join('\n')}\n`;
}
