/**
 * podnet's kube-proxy for a lab: the service table rendered into nftables in every node
 * namespace, applied atomically with `nft -f`. After the first full sync only the changes are
 * sent; any failure makes the next sync a full one. Stale UDP conntrack entries are flushed when
 * endpoints change, and LoadBalancer IPs are routed from the host to a node that serves them.
 */
import type { Host } from '../host/host.js';
import { CliNft, type Nft } from '../host/nft.js';
import type { Transaction } from '../render/nft/txn.js';
import type { PodStatusLookup } from '../model/endpoints.js';
import type { LabNode } from '../model/lab.js';
import type { ServiceTable } from '../model/service-table.js';
import { serviceView } from '../model/service-view.js';
import type { Cluster } from '../model/types.js';
import { staleUdpConntrack } from '../render/nft/conntrack.js';
import { renderServicesDelta } from '../render/nft/delta.js';
import { usableEndpoints } from '../model/usable-endpoints.js';
import { renderServicesFull } from '../render/nft/services.js';
import { hostLink } from '../render/lab-network.js';
import { PROXY_TABLE } from '../render/nft/names.js';
import { saveState, type LabState } from './state.js';

export { PROXY_TABLE };

export interface ProxyReport {
  /** Nodes that got a full sync (first sync, or after a failure). */
  full: string[];
  /** Allocation problems (a Service the API server would reject); those Services are left out. */
  problems: string[];
  flushed: number;
}

/**
 * `nft`: where the transactions go — the kernel by default (`nft -f` through `host`), the
 * in-memory FakeNft in tests, whose rulesets the packet tracer then walks. Conntrack flushes and
 * LoadBalancer routes go through `host`.
 */
export async function syncServices(host: Host, state: LabState, cluster: Cluster, podStatus: PodStatusLookup, nft: Nft = new CliNft(host)): Promise<ProxyReport> {
  const view = serviceView(cluster, state, podStatus);
  state.serviceAllocations = Object.fromEntries(view.allocations);
  const prev = state.proxyTable ?? null;
  const opts = { tableName: PROXY_TABLE, podCidr: state.config.podCidr };
  const report: ProxyReport = { full: [], problems: view.problems, flushed: 0 };
  state.proxyTable = null; // until every node has the new table: a crash from here on means a full sync next time
  saveState(state);
  await Promise.all(
    state.nodes.map(async (node) => {
      const ref = { name: node.name, ip: node.ip };
      let applied = false;
      if (prev) applied = await run(nft, node, renderServicesDelta(prev, view.table, ref, opts));
      if (!applied) {
        report.full.push(node.name);
        await run(nft, node, renderServicesFull(view.table, ref, opts), true);
      }
      for (const flush of staleUdpConntrack(prev ?? { services: [] }, view.table, ref)) {
        await host.exec(node.netns, flush.argv); // exit 1 when nothing matched: fine
        report.flushed++;
      }
    }),
  );
  await routeLoadBalancers(host, state, view.table);
  state.proxyTable = view.table;
  return report;
}

/** Runs one transaction in a node; false when nft refused it (a full sync comes next), or a throw when it must work. */
async function run(nft: Nft, node: LabNode, tx: Transaction, mustWork = false): Promise<boolean> {
  try {
    await nft.run(node.netns, tx);
    return true;
  } catch (err) {
    if (mustWork) throw new Error(`nft on ${node.name}: the full service ruleset was refused: ${(err as Error).message}`);
    return false;
  }
}

/**
 * The host reaches the LoadBalancer pool through node 1 (one route, made with the lab). A
 * Service with externalTrafficPolicy Local is announced, like MetalLB's L2 mode, by a node that
 * has a local endpoint: a /32 route to that node, kept in state so it can be replaced.
 */
async function routeLoadBalancers(host: Host, state: LabState, table: ServiceTable): Promise<void> {
  const want = new Map<string, string>();
  for (const svc of table.services) {
    if (svc.type !== 'LoadBalancer' || !svc.loadBalancerIP || svc.externalTrafficPolicy !== 'Local') continue;
    // The endpoints the rules use (ready ones, else serving-terminating ones).
    const nodes = new Set(svc.ports.flatMap((p) => usableEndpoints(p.endpoints).map((e) => e.node)));
    const node = state.nodes.find((n) => nodes.has(n.name));
    if (node) want.set(svc.loadBalancerIP, node.ip);
  }
  const link = hostLink(state.config.name);
  for (const [ip, via] of Object.entries(state.lbRoutes ?? {})) {
    if (want.get(ip) !== via) await host.exec(null, ['ip', 'route', 'del', `${ip}/32`, 'dev', link]);
  }
  for (const [ip, via] of want) {
    if (state.lbRoutes?.[ip] !== via) await host.exec(null, ['ip', 'route', 'replace', `${ip}/32`, 'via', via, 'dev', link]);
  }
  state.lbRoutes = Object.fromEntries(want);
}
