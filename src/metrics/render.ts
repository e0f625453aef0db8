/**
 * The lab's Prometheus metrics as text exposition format 0.0.4 (pure): last sync durations,
 * rule and set element counts per node and table, packets refused per isolated pod and the
 * policies isolating it, and the connections the flows collector saw, by verdict and policy.
 */
import type { AppliedEndpoints } from '../model/endpoints.js';

export interface SyncStats {
  at: string;
  count: number;
  servicesMs: number;
  services: number;
  endpoints: number;
  policyCompileMs: number;
  policyApplyMs: number;
  isolatedPods: number;
  policyElements: number;
}

export interface TableCount {
  node: string;
  table: string;
  rules: number;
  elements: number;
}

export interface PodDrops {
  node: string;
  pod: string;
  direction: 'egress' | 'ingress';
  packets: number;
  /** Policies isolating the pod in that direction: a refused packet matched none of their rules. */
  policies: string[];
}

export interface MetricsInput {
  lab: string;
  sync: SyncStats | null;
  /** What the last Services sync (reconcile or endpoints controller) applied. */
  endpoints: AppliedEndpoints | null;
  tables: TableCount[];
  drops: PodDrops[];
  /** "verdict\ttier\tpolicy" → connections (flows/attribute.ts flowKeys; tier and policy '' when none applied). */
  flows: ReadonlyMap<string, number>;
  /** Node → agents the monitor started again after they died (monitor/agent-restart.ts). */
  agentRestarts?: ReadonlyMap<string, number>;
  /** Node → times the monitor found its nft tables changed behind podnet's back and restored them. */
  tableRestores?: ReadonlyMap<string, number>;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

export function renderMetrics(m: MetricsInput): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of samples) out.push(`${name}${labels({ lab: m.lab, ...l })} ${Number.isFinite(v) ? v : 0}`);
  };
  const s = m.sync;
  if (s) {
    family('podnet_sync_duration_seconds', 'gauge', 'Duration of the last sync, by part.', [
      [{ part: 'services' }, s.servicesMs / 1000],
      [{ part: 'policy_compile' }, s.policyCompileMs / 1000],
      [{ part: 'policy_apply' }, s.policyApplyMs / 1000],
    ]);
    family('podnet_syncs_total', 'counter', 'Reconciles (up and every apply or delete).', [[{}, s.count]]);
    family('podnet_last_sync_timestamp_seconds', 'gauge', 'When the last sync ended.', [[{}, Date.parse(s.at) / 1000]]);
    family('podnet_services', 'gauge', 'Services in the service table.', [[{}, s.services]]);
    family('podnet_service_endpoints', 'gauge', 'Endpoints over all Service ports.', [[{}, s.endpoints]]);
    family('podnet_policy_isolated_pods', 'gauge', 'Pods isolated by NetworkPolicy in at least one direction.', [[{}, s.isolatedPods]]);
  }
  const e = m.endpoints;
  if (e) {
    family('podnet_endpoint_syncs_total', 'counter', 'Services syncs for pod readiness (reconciles and endpoints controller).', [[{}, e.syncs]]);
    family('podnet_endpoint_last_sync_timestamp_seconds', 'gauge', 'When the Services rules last took pod readiness in.', [[{ by: e.by }, Date.parse(e.at) / 1000]]);
    family('podnet_endpoint_pods', 'gauge', 'Placed pods by the condition the Services rules reflect (not ready: the rest).', [[{ condition: 'ready' }, e.ready.length], [{ condition: 'terminal' }, e.terminal.length]]);
  }
  family('podnet_nft_rules', 'gauge', 'Rules in a node\'s nftables table.', m.tables.map((t) => [{ node: t.node, table: t.table }, t.rules]));
  family('podnet_nft_set_elements', 'gauge', 'Set and map elements in a node\'s nftables table.', m.tables.map((t) => [{ node: t.node, table: t.table }, t.elements]));
  family('podnet_policy_rejected_packets_total', 'counter', 'Packets refused by NetworkPolicy, per isolated pod and direction.', m.drops.map((d) => [{ node: d.node, pod: d.pod, direction: d.direction }, d.packets]));
  const perPolicy = new Map<string, number>();
  for (const d of m.drops) for (const p of d.policies) perPolicy.set(`${p}\t${d.direction}`, (perPolicy.get(`${p}\t${d.direction}`) ?? 0) + d.packets);
  family('podnet_policy_drops_total', 'counter', 'Packets refused in pods a policy isolates (none of the isolating policies allowed them).', [...perPolicy].sort().map(([k, v]) => {
    const [policy, direction] = k.split('\t');
    return [{ policy, direction }, v];
  }));
  family('podnet_flows_total', 'counter', 'Connections seen by the flows collector, by verdict, deciding tier (Admin, NetworkPolicy, Baseline, default) and policy.', [...m.flows].sort().map(([k, v]) => {
    const [verdict, tier, policy] = k.split('\t');
    return [{ verdict, tier, policy }, v];
  }));
  if (m.agentRestarts) family('podnet_agent_restarts_total', 'counter', 'Node agents the monitor started again after they died.', [...m.agentRestarts].sort().map(([node, n]) => [{ node }, n]));
  if (m.tableRestores) family('podnet_nft_table_restores_total', 'counter', 'Node nftables tables found changed behind podnet\'s back and restored.', [...m.tableRestores].sort().map(([node, n]) => [{ node }, n]));
  return `${out.join('\n')}\n`;
}
