/**
 * `npm run bench -- pods --multus`: the cost of one secondary network attachment (macvlan on
 * the node's eth0 + static IPAM through the "ips" capability) per pod, for 100 pods on 2 nodes,
 * next to the delegated plugin's own exec time measured in the same run:
 *  - podnet: attachAdded (the lab's reconcile hook: records in the state file before and after,
 *    4 pods at a time, one nsenter + macvlan (+ static) exec per attachment), wall time;
 *  - inside that: the plugin processes' own wall time (summed, per exec);
 *  - the plugin alone: the same ADD, 4 at a time as podnet, `nsenter --net=NODE
 *    /usr/lib/cni/macvlan` with the same config on a second interface of the same pods (no
 *    podnet code at all).
 * Median of 3 runs. Needs root.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilityArgs, parseNetworkConfig, pluginConfig, type NetworkConfig } from '../src/cni/delegate.js';
import { attachAdded } from '../src/lab/attach-sync.js';
import type { DesiredAttachments } from '../src/lab/attachments.js';
import type { LabState } from '../src/lab/state.js';
import { formatIPv4, parseIPv4 } from '../src/model/ip.js';
import { labNetnsPrefix } from '../src/model/lab.js';
import { benchPod, host, labConfig, upLab } from './lib/lab.js';
import { pingOnce } from './lib/net.js';
import { markdown, median, nowMs, Resources, run, sleep, table, waitQuiet, withCleanup } from './lib/sys.js';

const PODS = 100;
const NODES = 2;
const RUNS = 3;
const CNI_DIR = '/usr/lib/cni';
const SETTLE_MS = 1_500;

const macvlan = (name: string): NetworkConfig =>
  parseNetworkConfig(JSON.stringify({ cniVersion: '1.0.0', name, type: 'macvlan', master: 'eth0', mode: 'bridge', capabilities: { ips: true }, ipam: { type: 'static' } })) as NetworkConfig;

interface Sample {
  podnetMs: number;
  pluginMsPerExec: number;
  aloneMs: number;
  aloneMsPerExec: number;
}

export async function multusVariant(log: (s: string) => void, tag: string): Promise<void> {
  const res = new Resources();
  const samples: Sample[] = [];
  const stateRoot = mkdtempSync(join(tmpdir(), `pnb${tag}-state-`));
  res.dirs.add(stateRoot);
  process.env.PODNET_STATE_ROOT = stateRoot;
  process.env.PODNET_CNI_PATH = CNI_DIR;
  await withCleanup(res, async () => {
    for (let i = 0; i < RUNS; i++) {
      const s = await oneRun(res, tag, i, i === 0, log);
      samples.push(s);
      log(`run ${i + 1} podnet ${s.podnetMs.toFixed(0).padStart(5)} ms (${(s.podnetMs / PODS).toFixed(2)} ms/attachment)  plugin inside ${s.pluginMsPerExec.toFixed(2)} ms/exec  plugin alone ${s.aloneMs.toFixed(0).padStart(5)} ms (${(s.aloneMs / PODS).toFixed(2)} ms/attachment, ${s.aloneMsPerExec.toFixed(2)} ms/exec)`);
    }
  });
  const podnet = median(samples.map((s) => s.podnetMs));
  const alone = median(samples.map((s) => s.aloneMs));
  const rows = [
    ['method (100 attachments: macvlan + static)', 'total ms', 'ms/attachment', 'runs (total ms)'],
    ['podnet attachAdded (state recorded, 4 pods at a time)', podnet.toFixed(0), (podnet / PODS).toFixed(2), samples.map((s) => s.podnetMs.toFixed(0)).join(' / ')],
    ['  of which: the plugin processes (per exec, summed)', '', median(samples.map((s) => s.pluginMsPerExec)).toFixed(2), samples.map((s) => s.pluginMsPerExec.toFixed(2)).join(' / ')],
    ['the plugin alone: nsenter + macvlan, 4 at a time', alone.toFixed(0), (alone / PODS).toFixed(2), samples.map((s) => s.aloneMs.toFixed(0)).join(' / ')],
    ['  of which: the plugin processes (per exec, summed)', '', median(samples.map((s) => s.aloneMsPerExec)).toFixed(2), samples.map((s) => s.aloneMsPerExec.toFixed(2)).join(' / ')],
  ];
  log('');
  log(table(rows));
  log(`\nratio podnet/plugin alone (wall, per attachment): ${(podnet / alone).toFixed(2)}`);
  log(`\nmarkdown:\n${markdown(rows)}`);
}

async function oneRun(res: Resources, tag: string, i: number, verify: boolean, log: (s: string) => void): Promise<Sample> {
  const config = labConfig(`pnb${tag}m${i}`, 'routed', NODES);
  try {
    const lab = await upLab(res, config, Array.from({ length: PODS }, (_, k) => ({ name: `p${String(k).padStart(3, '0')}`, node: `node-${(k % NODES) + 1}` })));
    const placed = [...lab.pods.values()];
    const pods = placed.map((p) => ({ ...benchPod(p.key.slice('bench/'.length), p.node), ip: p.ip }));
    const address = (net: number, k: number) => `${formatIPv4(parseIPv4(`10.${net}.0.0`)! + 10 + k)}/16`;
    const net1 = macvlan('bench-net1');
    const desired: DesiredAttachments = new Map(placed.map((p, k) => [p.key, [{ network: 'bench/macvlan', ifname: 'net1', config: net1, invocation: { capabilityArgs: capabilityArgs({ ips: [address(31, k)] }) }, path: CNI_DIR }]]));
    const state: LabState = { version: 1, config, phase: 'ready', createdAt: new Date().toISOString(), nodes: lab.nodes, placements: placed, objects: [] };
    const cluster = { namespaces: [], nodes: [], pods, services: [], endpointSlices: [], ingresses: [], ingressClasses: [], routes: [], policies: [], secrets: [], notes: [] };
    await waitQuiet(3_000);
    const t0 = nowMs();
    const { failed, stats } = await attachAdded(host, state, cluster, placed, placed, desired);
    const podnetMs = nowMs() - t0;
    if (failed.size > 0) throw new Error(`attachments failed: ${[...failed.values()][0]}`);
    // The plugin alone, on a second interface of the same pods (another address range).
    const net2 = macvlan('bench-net2');
    await waitQuiet(3_000);
    const t1 = nowMs();
    // The same concurrency as podnet's (4 pods at a time), so the difference is podnet's own cost.
    let next = 0;
    let aloneExecMs = 0;
    const worker = async () => {
      for (let k = next++; k < placed.length; k = next++) {
        const p = placed[k];
        const node = lab.nodes.find((n) => n.name === p.node)!;
        const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: 'ADD', CNI_CONTAINERID: p.netns!, CNI_NETNS: `/run/netns/${p.netns}`, CNI_IFNAME: 'net2', CNI_PATH: CNI_DIR };
        const conf = pluginConfig(net2, 0, { capabilityArgs: capabilityArgs({ ips: [address(32, k)] }) });
        const e0 = nowMs();
        const r = await run(['nsenter', `--net=/run/netns/${node.netns}`, '--', `${CNI_DIR}/macvlan`], { input: JSON.stringify(conf), env });
        aloneExecMs += nowMs() - e0;
        if (r.code !== 0) throw new Error(`macvlan ADD ${p.key}: ${r.stdout} ${r.stderr}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const aloneMs = nowMs() - t1;
    if (verify) {
      const [a, b] = [placed.find((p) => p.node === 'node-1')!, placed.find((p) => p.node === 'node-2')!];
      const bNet1 = address(31, placed.indexOf(b)).split('/')[0];
      await pingOnce(a.netns!, bNet1);
      log(`verified: ${a.key} on ${a.node} → ${b.key} net1 ${bNet1} on ${b.node} (macvlan across nodes); ${stats.attachments} attachments, ${stats.pluginRuns} plugin runs`);
    }
    return { podnetMs, pluginMsPerExec: stats.pluginMs / stats.pluginRuns, aloneMs, aloneMsPerExec: aloneExecMs / PODS };
  } finally {
    await res.releaseNetns((n) => n.startsWith(labNetnsPrefix(config.name)));
    await sleep(SETTLE_MS);
  }
}
