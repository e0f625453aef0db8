/**
 * podnet's kube-proxy for a lab: the service table rendered into nftables in every node
 * namespace, applied atomically (one nftables batch per node). After the first full sync only the changes are
 * sent; any failure makes the next sync a full one. Stale UDP conntrack entries are flushed when
 * endpoints change, and LoadBalancer IPs are routed from the host to a node that serves them.
 * It reads the lab's state and returns what to record (allocations, EndpointSlices, the table,
 * LB routes): the caller is the state's one writer, and DNS and ingress read what it recorded.
 */
import type { Host } from '../host/host.js';
import type { Nft } from '../host/nft.js';
import { hostNft } from '../host/nft-native.js';
import type { Transaction } from '../render/nft/txn.js';
import type { PodStatusLookup } from '../model/endpoints.js';
import type { LabConfig, LabNode } from '../model/lab.js';
import type { ServiceAllocation, ServiceTable } from '../model/service-table.js';
import { serviceView } from '../model/service-view.js';
import type { Cluster, EndpointSlice } from '../model/types.js';
import { staleUdpConntrack } from './nft/conntrack.js';
import { renderServicesDelta } from './nft/delta.js';
import { usableEndpoints } from '../model/usable-endpoints.js';
import { renderServicesFull } from './nft/full.js';
import { hostLink } from '../render/lab-network.js';
import { PROXY_TABLE } from '../render/nft/names.js';

export { PROXY_TABLE };

export interface ProxyReport {
  /** Nodes that got a full sync (first sync, or after a failure). */
  full: string[];
  /** Allocation problems (a Service the API server would reject); those Services are left out. */
  problems: string[];
  flushed: number;
  /** What the caller records in the lab's state (it is the only writer): see ServicesRecord. */
  record: ServicesRecord;
}

/** The lab state's fields a Services sync derives: derived once here, read by DNS and ingress. */
export interface ServicesRecord {
  serviceAllocations: Record<string, ServiceAllocation>;
  /** The EndpointSlices the table was built from: cluster DNS answers headless names from them. */
  endpointSlices: EndpointSlice[];
  /** The table every node now holds (the base of the next delta sync). */
  proxyTable: ServiceTable;
  lbRoutes: Record<string, string>;
}

/** What a sync reads of the lab's state (the lab's LabState satisfies it); it never writes it. */
export interface ProxyLab {
  readonly config: LabConfig;
  readonly nodes: readonly LabNode[];
  readonly serviceAllocations?: Record<string, ServiceAllocation>;
  readonly proxyTable?: ServiceTable | null;
  readonly lbRoutes?: Record<string, string>;
}

/** What must be persisted before any node is touched (SyncOptions.beforeApply). */
export interface PendingServices {
  serviceAllocations: Record<string, ServiceAllocation>;
  endpointSlices: EndpointSlice[];
  proxyTable: null;
}

export interface SyncOptions {
  /** Where the transactions go: the kernel by default (hostNft(host): libnftables, else `nft -f`), the in-memory
   *  FakeNft in tests, whose rulesets the packet tracer then walks. */
  nft?: Nft;
  /**
   * Called once, before any node is touched, with what the caller must persist first: the new
   * allocations and slices, and `proxyTable: null` — until every node has the new table, a
   * crash means a full sync next time, not a delta from a table no node holds any more.
   */
  beforeApply?: (pending: PendingServices) => void;
}

/** Conntrack flushes and LoadBalancer routes go through `host`. A refused full sync throws. */
export async function syncServices(host: Host, lab: ProxyLab, cluster: Cluster, podStatus: PodStatusLookup, opts: SyncOptions = {}): Promise<ProxyReport> {
  const nft = opts.nft ?? hostNft(host);
  const view = serviceView(cluster, lab, podStatus);
  const serviceAllocations = Object.fromEntries(view.allocations);
  const prev = lab.proxyTable ?? null;
  const tableOpts = { tableName: PROXY_TABLE, podCidr: lab.config.podCidr };
  const full: string[] = [];
  let flushed = 0;
  opts.beforeApply?.({ serviceAllocations, endpointSlices: view.slices, proxyTable: null });
  await Promise.all(
    lab.nodes.map(async (node) => {
      const ref = { name: node.name, ip: node.ip };
      let applied = false;
      if (prev) applied = await run(nft, node, renderServicesDelta(prev, view.table, ref, tableOpts));
      if (!applied) {
        full.push(node.name);
        await run(nft, node, renderServicesFull(view.table, ref, tableOpts), true);
      }
      for (const flush of staleUdpConntrack(prev ?? { services: [] }, view.table, ref)) {
        await host.exec(node.netns, flush.argv); // exit 1 when nothing matched: fine
        flushed++;
      }
    }),
  );
  const lbRoutes = await routeLoadBalancers(host, lab, view.table);
  return { full, problems: view.problems, flushed, record: { serviceAllocations, endpointSlices: view.slices, proxyTable: view.table, lbRoutes } };
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
async function routeLoadBalancers(host: Host, state: ProxyLab, table: ServiceTable): Promise<Record<string, string>> {
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
  return Object.fromEntries(want);
}
