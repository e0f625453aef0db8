/** The page's side of the server's JSON endpoints (src/ui/api.ts, src/ui/server.ts). */
import type { FlowRecord } from '../src/flows/attribute.js';
import type { Explanation } from '../src/policy/explain.js';
import type { Trace } from '../src/trace/build.js';
import type { MatrixData, ProbeData } from '../src/ui/matrix-data.js';
import type { Boot, ReportData } from '../src/ui/page.js';
import type { ClusterPolicySummary } from '../src/ui/cluster-policies.js';
import type { PolicySummary } from '../src/ui/policies.js';
import type { Topology } from '../src/ui/topology.js';

export type { Boot, ClusterPolicySummary, FlowRecord, MatrixData, PolicySummary, ProbeData, ReportData, Topology, Trace, Explanation };

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

export async function getJson<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return answer<T>(await fetch(`${path}${qs ? `?${qs}` : ''}`));
}

export async function postProbe(port: number, protocol: string): Promise<ProbeData> {
  return answer<ProbeData>(await fetch(`/api/probe?port=${port}&protocol=${protocol}`, { method: 'POST', headers: { 'X-Podnet': '1' } }));
}
