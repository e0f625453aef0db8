/**
 * Gathering the lab's metrics (I/O): sync statistics from the state file, and from every node
 * `nft -j list table` for both podnet tables — rule and element counts, and the reject counters
 * of the per-pod policy chains (egr-<ip> / ing-<ip>), attributed to the pod and its isolating
 * policies with the engine.
 */
import { execFile } from 'node:child_process';
import { parseIPv4 } from '../model/ip.js';
import { podKey, type Cluster } from '../model/types.js';
import { explain } from '../policy/explain.js';
import { PROXY_TABLE } from '../render/nft/names.js';
import { parsePodSetName, POLICY_TABLE } from '../render/nft/policy.js';
import type { PodDrops, TableCount } from './render.js';

type NftItem = Record<string, { name?: string; chain?: string; elem?: unknown[]; expr?: Record<string, unknown>[] }>;

function nftJson(netns: string, table: string): Promise<NftItem[]> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'table', 'ip', table], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve([]);
      try {
        resolve((JSON.parse(stdout) as { nftables: NftItem[] }).nftables);
      } catch {
        resolve([]);
      }
    });
  });
}

/** Counts and drops of one node's tables, from `nft -j` output. Pure. */
export function countTables(node: string, tables: Record<string, NftItem[]>, cluster: Cluster): { counts: TableCount[]; drops: PodDrops[] } {
  const counts: TableCount[] = [];
  const drops: PodDrops[] = [];
  for (const [table, items] of Object.entries(tables)) {
    let rules = 0;
    let elements = 0;
    for (const item of items) {
      if (item.rule) rules++;
      if (item.set?.elem) elements += item.set.elem.length;
      if (item.map?.elem) elements += item.map.elem.length;
      if (table !== POLICY_TABLE || !item.rule) continue;
      const m = parsePodSetName(item.rule.chain ?? '');
      const counter = item.rule.expr?.find((e) => 'counter' in e)?.counter as { packets?: number } | undefined;
      if (!m || !counter) continue;
      const { direction, ip } = m;
      const pod = cluster.pods.find((p) => p.ip === ip && !p.hostNetwork);
      // The policies isolating the pod on that side do not depend on the peer: any address will do.
      const peer = { kind: 'ip' as const, start: parseIPv4('192.0.2.1')!, end: parseIPv4('192.0.2.1')! };
      const self = pod ? { kind: 'pod' as const, pod } : null;
      const policies = !self ? [] : direction === 'egress' ? explain(cluster, self, peer).egress.selectedBy.map((p) => p.policy) : explain(cluster, peer, self).ingress.selectedBy.map((p) => p.policy);
      drops.push({ node, pod: pod ? podKey(pod) : ip, direction, packets: counter.packets ?? 0, policies });
    }
    counts.push({ node, table, rules, elements });
  }
  return { counts, drops };
}

export async function collectTables(nodes: readonly { name: string; netns: string }[], cluster: Cluster): Promise<{ counts: TableCount[]; drops: PodDrops[] }> {
  const per = await Promise.all(
    nodes.map(async (n) => {
      const [svc, pol] = await Promise.all([nftJson(n.netns, PROXY_TABLE), nftJson(n.netns, POLICY_TABLE)]);
      return countTables(n.name, { [PROXY_TABLE]: svc, [POLICY_TABLE]: pol }, cluster);
    }),
  );
  return { counts: per.flatMap((p) => p.counts), drops: per.flatMap((p) => p.drops) };
}
