/**
 * Gathering the lab's metrics (I/O): sync statistics from the state file, and from every node
 * both podnet tables listed through Nft — rule and element counts, and the reject counters
 * of the per-pod policy chains (egr-<ip> / ing-<ip>), attributed to the pod and its isolating
 * policies (NetworkPolicies, and the cluster policies whose subject it is) with the engine.
 */
import type { Nft, TableListing } from '../host/nft.js';
import { parseIPv4 } from '../model/ip.js';
import { podKey, type Cluster } from '../model/types.js';
import { explain } from '../policy/explain.js';
import { PROXY_TABLE } from '../render/nft/names.js';
import { parsePodSetName, POLICY_TABLE } from '../render/nft/policy.js';
import type { PodDrops, TableCount } from './render.js';

/** Counts and drops of one node's tables (null: the table is not there). Pure. */
export function countTables(node: string, tables: Record<string, TableListing | null>, cluster: Cluster): { counts: TableCount[]; drops: PodDrops[] } {
  const counts: TableCount[] = [];
  const drops: PodDrops[] = [];
  for (const [table, listing] of Object.entries(tables)) {
    const rules = Object.values(listing?.chains ?? {}).reduce((a, b) => a + b, 0);
    const elements = Object.values(listing?.sets ?? {}).reduce((a, b) => a + b.length, 0);
    counts.push({ node, table, rules, elements });
    if (table !== POLICY_TABLE || !listing) continue;
    for (const [chain, packets] of Object.entries(listing.counters)) {
      const m = parsePodSetName(chain);
      if (!m) continue;
      const { direction, ip } = m;
      const pod = cluster.pods.find((p) => p.ip === ip && !p.hostNetwork);
      // The policies isolating the pod on that side do not depend on the peer: any address will do.
      const peer = { kind: 'ip' as const, start: parseIPv4('192.0.2.1')!, end: parseIPv4('192.0.2.1')! };
      const self = pod ? { kind: 'pod' as const, pod } : null;
      const side = !self ? null : direction === 'egress' ? explain(cluster, self, peer).egress : explain(cluster, peer, self).ingress;
      // With the isolating NetworkPolicies, the cluster policies whose subject the pod is on that
      // side ("clusternetworkpolicy/name"): one of their Deny rules may be what refused.
      const policies = !side ? [] : [...side.selectedBy.map((p) => p.policy), ...(side.subjectOf ?? []).map((p) => p.ref)];
      drops.push({ node, pod: pod ? podKey(pod) : ip, direction, packets, policies });
    }
  }
  return { counts, drops };
}

/** A table that cannot be read counts as absent: metrics never fail a scrape. */
const listed = (nft: Nft, netns: string, table: string) => nft.list(netns, 'ip', table).catch(() => null);

export async function collectTables(nft: Nft, nodes: readonly { name: string; netns: string }[], cluster: Cluster): Promise<{ counts: TableCount[]; drops: PodDrops[] }> {
  const per = await Promise.all(
    nodes.map(async (n) => {
      const [svc, pol] = await Promise.all([listed(nft, n.netns, PROXY_TABLE), listed(nft, n.netns, POLICY_TABLE)]);
      return countTables(n.name, { [PROXY_TABLE]: svc, [POLICY_TABLE]: pol }, cluster);
    }),
  );
  return { counts: per.flatMap((p) => p.counts), drops: per.flatMap((p) => p.drops) };
}
