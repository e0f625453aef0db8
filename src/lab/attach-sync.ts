/**
 * The reconcile hooks for secondary networks (src/lab/attachments.ts does the CNI work): DEL the
 * attachments of pods that go, before their namespace does; ADD those of new pods (and retry pods
 * whose ADD failed) after their namespace and eth0 exist, before their containers start. The
 * lab state records each attachment before its ADD runs and its result after, written
 * atomically, so `down` can DEL whatever a crash left.
 */
import { attachmentStatus, type NetworkStatus } from '../cni/delegate.js';
import type { Host } from '../host/host.js';
import type { PlacedPod } from '../model/lab.js';
import { podKey, type Cluster } from '../model/types.js';
import { attachPod, detachPod, pendingRecords, type AttachStats, type DesiredAttachments } from './attachments.js';
import { netConf } from './network.js';
import { loadState, saveState, type LabState } from './state.js';

const PARALLEL_PODS = 4;

/** DEL of the attachments of `removed` pods; their records (and failures) leave the state. */
export async function detachRemoved(state: LabState, removed: readonly PlacedPod[]): Promise<string[]> {
  const errors: string[] = [];
  const records = state.attachments ?? {};
  const keys = removed.map((p) => p.key).filter((k) => records[k] || state.attachmentFailures?.[k]);
  if (keys.length === 0) return errors;
  await eachLimited(keys, async (key) => {
    for (const e of await detachPod(records[key] ?? [])) errors.push(`${key}: ${e}`);
  });
  for (const key of keys) {
    delete records[key];
    delete state.attachmentFailures?.[key];
  }
  state.attachments = records;
  saveState(state);
  return errors;
}

/**
 * Placed pods whose attachments must be made again: the last ADD failed, or was under way when
 * podnet was killed (records without a result).
 */
export function toRetry(state: LabState, placed: readonly PlacedPod[]): PlacedPod[] {
  return placed.filter((p) => state.attachmentFailures?.[p.key] !== undefined || (state.attachments?.[p.key] ?? []).some((a) => !a.result));
}

/**
 * ADD for new pods and for placed pods whose last ADD failed or was interrupted; returns the pods that failed (their
 * containers must not start) with the plugin's error.
 */
export async function attachAdded(host: Host, state: LabState, cluster: Cluster, placed: readonly PlacedPod[], added: readonly PlacedPod[], desired: DesiredAttachments): Promise<{ failed: Map<string, string>; stats: AttachStats }> {
  const stats: AttachStats = { attachments: 0, pluginRuns: 0, pluginMs: 0, totalMs: 0 };
  const start = performance.now();
  const failures = state.attachmentFailures ?? {};
  const retry = toRetry(state, placed).filter((p) => !added.includes(p));
  // An interrupted ADD is taken back first (DEL is safe for what was never added).
  await eachLimited(retry, async (p) => {
    await detachPod(state.attachments?.[p.key] ?? []);
    delete state.attachments?.[p.key];
  });
  const pods = new Map(cluster.pods.map((p) => [podKey(p), p]));
  const nodes = new Map(state.nodes.map((n) => [n.name, n]));
  const targets = [...added, ...retry].filter((p) => p.netns !== null && desired.has(p.key));
  for (const p of [...added, ...retry]) delete failures[p.key];
  state.attachments ??= {};
  for (const p of targets) state.attachments[p.key] = pendingRecords(pods.get(p.key)!, p, nodes.get(p.node)!, desired);
  state.attachmentFailures = failures;
  if (targets.length > 0) saveState(state); // recorded before any ADD runs: a crash leaves them for `down`
  await eachLimited(targets, async (p) => {
    const outcome = await attachPod(host, state.attachments![p.key], stats);
    if ('records' in outcome) state.attachments![p.key] = outcome.records;
    else {
      delete state.attachments![p.key];
      failures[p.key] = outcome.error;
    }
  });
  if (targets.length > 0) saveState(state);
  stats.totalMs = performance.now() - start;
  return { failed: new Map(Object.entries(failures)), stats };
}

/**
 * `down`: DEL of every recorded attachment (also after a crash: records without a result were
 * being added, and get DEL without prevResult), so IPAM leases are released. Returns how many
 * DELs succeeded.
 */
export async function detachAll(lab: string): Promise<number> {
  const state = loadState(lab);
  const all = Object.values(state?.attachments ?? {});
  let failed = 0;
  await eachLimited(all, async (records) => {
    failed += (await detachPod(records)).length;
  });
  return all.reduce((n, r) => n + r.length, 0) - failed;
}

/**
 * The k8s.v1.cni.cncf.io/network-status annotation as Multus writes it: the cluster network
 * first ("default": true), then each attachment named namespace/nad.
 */
export function networkStatus(state: LabState, at: PlacedPod | undefined): NetworkStatus[] | undefined {
  if (!at || at.netns === null) return undefined;
  const node = state.nodes.find((n) => n.name === at.node)!;
  const primary: NetworkStatus = { name: netConf(state.config, node).name, interface: 'eth0', ips: [at.ip], mac: at.mac, default: true, dns: {} };
  const secondary = (state.attachments?.[at.key] ?? []).filter((a) => a.result).map((a) => attachmentStatus(a.network, a.ifname, a.result!));
  return [primary, ...secondary];
}

async function eachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PODS, items.length) }, worker));
}
