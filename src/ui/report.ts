/**
 * The data of a self-contained HTML report (pure): `podnet analyze -o html` (the matrix heat map,
 * per-policy summaries, the connlist) and `podnet diff -o html` (connections gained, lost and
 * changed, and the after version's policies). report-html.ts wraps it in the page with the bundle.
 */
import type { Cluster, Protocol } from '../model/types.js';
import type { Semantics } from '../policy/semantics.js';
import { connlist } from '../policy/connlist.js';
import { diffConnectivity } from '../policy/diff.js';
import { matrixViewOf } from './api.js';
import { matrixData } from './matrix-data.js';
import type { ReportData } from './page.js';
import { clusterPolicySummaries, type ClusterPolicySummary } from './cluster-policies.js';
import { policySummaries } from './policies.js';

/** The report's clusterPolicies field, left out when there are none (reports without tiers stay as they were). */
const tiers = (summaries: ClusterPolicySummary[]) => (summaries.length > 0 ? { clusterPolicies: summaries } : {});

export function analysisReport(cluster: Cluster, options: { port?: number; protocol: Protocol; inputs: readonly string[]; semantics?: Semantics }): ReportData {
  return {
    title: `podnet analyze — ${options.inputs.join(', ')}`,
    inputs: [...options.inputs],
    matrix: matrixData(matrixViewOf(cluster, options.port, options.protocol, options.semantics)),
    policies: policySummaries(cluster, options.semantics),
    ...tiers(clusterPolicySummaries(cluster, options.semantics)),
    connlist: connlist(cluster, { semantics: options.semantics }),
  };
}

export function diffReport(before: Cluster, after: Cluster, inputs: { before: readonly string[]; after: readonly string[] }, semantics?: Semantics): ReportData {
  const names = `${inputs.before.join(', ')} → ${inputs.after.join(', ')}`;
  return {
    title: `podnet diff — ${names}`,
    inputs: [names],
    diff: diffConnectivity(before, after, semantics),
    policies: policySummaries(after, semantics),
    ...tiers(clusterPolicySummaries(after, semantics)),
    connlist: connlist(after, { semantics }),
  };
}
