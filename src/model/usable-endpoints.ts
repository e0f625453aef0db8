/**
 * Which endpoints of a service port carry traffic — a model rule, shared by the Services data
 * plane (proxy/nft), the stale-conntrack cleanup and the ingress controller's upstream pools. Pure.
 */
import { parseIPv4 } from './ip.js';
import type { ServiceEndpoint } from './service-table.js';

/** Endpoints used for traffic: the ready ones; when there are none, the serving terminating ones
 *  (KEP-1669, kube-proxy's CategorizeEndpoints). IPv4 only (the table is `ip`), deduplicated by
 *  address, sorted numerically. */
export function usableEndpoints(endpoints: readonly ServiceEndpoint[]): ServiceEndpoint[] {
  return usable(parsed(endpoints));
}

/** The usable endpoints of all nodes and of one node (for externalTrafficPolicy/internalTrafficPolicy
 *  Local), with the addresses parsed once: this runs for every port of every Service at every sync. */
export function usableEndpointsSplit(endpoints: readonly ServiceEndpoint[], node: string): { cluster: ServiceEndpoint[]; local: ServiceEndpoint[] } {
  const v4 = parsed(endpoints);
  return { cluster: usable(v4), local: usable(v4.filter((x) => x.e.node === node)) };
}

type Parsed = { e: ServiceEndpoint; n: number };

/** The IPv4 endpoints with their addresses parsed. */
function parsed(endpoints: readonly ServiceEndpoint[]): Parsed[] {
  const out: Parsed[] = [];
  for (const e of endpoints) {
    const n = parseIPv4(e.ip);
    if (n !== null) out.push({ e, n });
  }
  return out;
}

function usable(v4: readonly Parsed[]): ServiceEndpoint[] {
  const ready = v4.filter((x) => x.e.ready);
  const chosen = ready.length > 0 ? ready : v4.filter((x) => x.e.serving && x.e.terminating);
  const seen = new Map<string, Parsed>();
  for (const x of chosen) if (!seen.has(`${x.e.ip}:${x.e.port}`)) seen.set(`${x.e.ip}:${x.e.port}`, x);
  return [...seen.values()].sort((a, b) => a.n - b.n || a.e.port - b.e.port).map((x) => x.e);
}

