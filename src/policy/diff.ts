/** Connectivity gained, lost and changed between two versions of a cluster's manifests (pure). */
import type { Cluster } from '../model/types.js';
import { connlist, formatConnLine, type ConnLine } from './connlist.js';
import { DEFAULT_SEMANTICS, type Semantics } from './semantics.js';

export interface ConnChange {
  src: string;
  dst: string;
  before: string;
  after: string;
}

export interface ConnDiff {
  gained: ConnLine[];
  lost: ConnLine[];
  changed: ConnChange[];
}

/** Both versions judged in one semantics profile (default upstream). */
export function diffConnectivity(before: Cluster, after: Cluster, semantics: Semantics = DEFAULT_SEMANTICS): ConnDiff {
  // Both sides are cut into the same external ranges, so a range is compared with itself.
  const a = connlist(before, { alsoCutBy: after.policies, alsoCutByTiers: after.clusterPolicies, semantics });
  const b = connlist(after, { alsoCutBy: before.policies, alsoCutByTiers: before.clusterPolicies, semantics });
  const key = (l: ConnLine) => `${l.src}\u0000${l.dst}`;
  const beforeMap = new Map(a.map((l) => [key(l), l]));
  const afterMap = new Map(b.map((l) => [key(l), l]));
  const diff: ConnDiff = { gained: [], lost: [], changed: [] };
  for (const l of b) {
    const old = beforeMap.get(key(l));
    if (!old) diff.gained.push(l);
    else if (old.conn !== l.conn) diff.changed.push({ src: l.src, dst: l.dst, before: old.conn, after: l.conn });
  }
  for (const l of a) if (!afterMap.has(key(l))) diff.lost.push(l);
  return diff;
}

export function isEmptyDiff(d: ConnDiff): boolean {
  return d.gained.length === 0 && d.lost.length === 0 && d.changed.length === 0;
}

/** "+" gained, "-" lost, "~" changed; sorted by source then destination. */
export function formatDiffText(d: ConnDiff): string {
  if (isEmptyDiff(d)) return 'no connectivity changes\n';
  const rows: [string, string][] = [
    ...d.gained.map((l): [string, string] => [`${l.src} ${l.dst}`, `+ ${formatConnLine(l)}`]),
    ...d.lost.map((l): [string, string] => [`${l.src} ${l.dst}`, `- ${formatConnLine(l)}`]),
    ...d.changed.map((c): [string, string] => [`${c.src} ${c.dst}`, `~ ${c.src} => ${c.dst} : ${c.before} -> ${c.after}`]),
  ];
  rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const summary = `${d.gained.length} gained, ${d.lost.length} lost, ${d.changed.length} changed`;
  return `${rows.map((r) => r[1]).join('\n')}\n${summary}\n`;
}
