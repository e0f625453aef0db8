/**
 * The data plane is podnet's: the monitor fingerprints every node's nftables ruleset (Nft.ruleset:
 * stateless, no counters) after each sync it sees, and when a node's ruleset changes
 * while no sync happened — someone ran `nft` in a node namespace — it restores the tables from
 * the lab's desired state (a full Services sync and the NetworkPolicy tables), under the lab
 * lock, and counts it (podnet_nft_table_restores_total). A sync is seen through the state file:
 * reconcile and the endpoints controller both record theirs (sync.count, endpoints.syncs) while
 * holding the lock, so a change that comes with a sync is never taken for tampering.
 */
import { createHash } from 'node:crypto';
import type { Host } from '../host/host.js';
import { hostNft } from '../host/nft-native.js';
import { labCluster } from '../api/lab-cluster.js';
import { tryLock } from '../lab/lock.js';
import { forgetPolicyRecord, labPolicyRecord, syncPolicies } from '../lab/policy.js';
import { labSemantics } from '../policy/semantics.js';
import { syncServices } from '../proxy/sync.js';
import { conditionsLookup } from '../lab/readiness.js';
import { loadState, saveState, type LabState } from '../lab/state.js';

export const GUARD_LOCK_COMMAND = 'podnet monitor (nft restore)';

export interface TableGuard {
  restores: Map<string, number>;
  stop(): void;
}

/** Which syncs the state file records: a new one means the tables may rightly have changed. */
const stamp = (s: LabState) => `${s.sync?.count ?? 0}/${s.endpoints?.syncs ?? 0}`;

/**
 * The ruleset without the elements of sets with a timeout (ClientIP affinity sets: the data
 * plane itself adds and ages those with every new client), so traffic is never taken for
 * tampering. Pure.
 */
export function withoutDynamicElements(ruleset: string): string {
  const out: string[] = [];
  let inTimeoutSet = false;
  let skipping = false;
  for (const line of ruleset.split('\n')) {
    const t = line.trim();
    if (/^(set|map) \S+ \{$/.test(t)) inTimeoutSet = false;
    if (/^(flags .*\btimeout\b|timeout \S+)/.test(t)) inTimeoutSet = true;
    if (inTimeoutSet && t.startsWith('elements = {')) skipping = true;
    if (skipping) {
      if (t.endsWith('}')) skipping = false;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

export function startTableGuard(lab: string, host: Host, readState: () => LabState | null, log: (line: string) => void, periodMs = 3_000): TableGuard {
  const restores = new Map<string, number>();
  let baseline: { stamp: string; prints: Map<string, string> } | null = null;
  let busy = false;
  const nft = hostNft(host);

  const fingerprints = async (state: LabState): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    await Promise.all(
      state.nodes.map(async (n) => {
        const text = await nft.ruleset(n.netns).catch((e: Error) => `error ${e.message}`);
        out.set(n.name, createHash('sha256').update(withoutDynamicElements(text)).digest('hex'));
      }),
    );
    return out;
  };
  const changed = (a: Map<string, string>, b: Map<string, string>) => [...a].filter(([node, p]) => b.get(node) !== p).map(([node]) => node);

  const restore = async (nodes: string[]): Promise<void> => {
    const lock = tryLock(lab, GUARD_LOCK_COMMAND);
    if (!lock) return; // an apply, down or the controller holds the lab: look again next tick
    try {
      const state = loadState(lab);
      if (!state || !baseline) return;
      if (stamp(state) !== baseline.stamp) return void (baseline = null); // a sync came in: new baseline
      const now = await fingerprints(state);
      const still = changed(baseline.prints, now).filter((n) => nodes.includes(n));
      if (still.length === 0) return;
      log(`nft tables of ${still.join(', ')} differ from what podnet applied: restoring them`);
      const cluster = labCluster(state);
      // A full Services sync (no delta base): delta sync assumes the tables as last written.
      const proxy = await syncServices(host, { ...state, proxyTable: null }, cluster, conditionsLookup(state.endpoints ?? { ready: [], terminal: [] }), { beforeApply: (pending) => saveState(Object.assign(state, pending)) });
      Object.assign(state, proxy.record);
      // Someone changed the tables: what the record says they hold is no longer true.
      forgetPolicyRecord(lab);
      await syncPolicies(nft, state.nodes, cluster, labSemantics(state.config), labPolicyRecord(lab));
      saveState(state);
      for (const n of still) restores.set(n, (restores.get(n) ?? 0) + 1);
      baseline = { stamp: stamp(state), prints: await fingerprints(state) };
    } finally {
      lock.release();
    }
  };

  const tick = async (): Promise<void> => {
    const state = readState();
    if (!state || state.phase !== 'ready') return;
    if (!baseline || baseline.stamp !== stamp(state)) {
      baseline = { stamp: stamp(state), prints: await fingerprints(state) };
      return;
    }
    const diff = changed(baseline.prints, await fingerprints(state));
    if (diff.length > 0) await restore(diff);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch((e: Error) => log(`nft guard: ${e.message}`))
      .finally(() => (busy = false));
  }, periodMs);
  return { restores, stop: () => clearInterval(timer) };
}
