/**
 * Secondary networks in a lab, as Multus attaches them: each selection of a pod's
 * k8s.v1.cni.cncf.io/networks annotation is a CNI ADD of the NetworkAttachmentDefinition's
 * plugins (a chain for a conflist), run for real; the results are recorded in the lab state, and
 * DEL runs with the same config and the recorded result when the pod goes (also from `down`).
 * Resolution (NADs, config files, plugin executables) happens before anything changes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, type Problem } from '../api/problems.js';
import { capabilityArgs, cniArgsEnv, parseNetworkConfig, pluginConfig, pluginTypes, type Invocation, type NetworkConfig } from '../cni/delegate.js';
import type { CniResult } from '../cni/types.js';
import type { PlacedPod } from '../model/lab.js';
import { interfaceNames, NETWORKS_ANNOTATION, selectionNamespace } from '../model/network-selection.js';
import { podKey, type Cluster, type Pod } from '../model/types.js';
import { cniPath, execPlugin, lookupPlugin, PluginError } from './cni-exec.js';
import type { LabNode } from '../model/lab.js';
import type { Host } from '../host/host.js';

/** One attachment as recorded in the lab state: everything DEL needs, and ADD's result. */
export interface AttachmentRecord {
  /** "namespace/nad", as the network-status annotation names it. */
  network: string;
  ifname: string;
  config: NetworkConfig;
  invocation: Invocation;
  containerId: string;
  netns: string;
  nodeNetns: string;
  args: string;
  path: string;
  /** The selection's "default-route": the pod's default route goes via these gateways here. */
  gateways?: string[];
  /** The ADD result (the last plugin's for a conflist); absent while ADD is under way. */
  result?: CniResult;
}

/** What a pod asks for, resolved: its attachments without results. */
export type DesiredAttachments = Map<string, Omit<AttachmentRecord, 'containerId' | 'netns' | 'nodeNetns' | 'args' | 'result'>[]>;

/** Multus's default confDir: where a NAD without spec.config finds its config by name. */
export function cniConfDir(): string {
  return process.env.PODNET_CNI_CONF_DIR ?? '/etc/cni/multus/net.d';
}

/**
 * Resolves the selections of every pod (or of those in `only`) against the NADs, the conf dir and
 * CNI_PATH; throws one InputError naming pod, annotation and NAD for every problem (exit 2,
 * nothing changed).
 */
export function resolveAttachments(cluster: Cluster, labDirPath: string, only?: ReadonlySet<string>): DesiredAttachments {
  const nads = new Map((cluster.networkAttachmentDefinitions ?? []).map((n) => [`${n.namespace}/${n.name}`, n]));
  const problems: Problem[] = [];
  const out: DesiredAttachments = new Map();
  const path = cniPath();
  for (const pod of cluster.pods) {
    // Multus is a CNI plugin: hostNetwork pods never reach it, so their annotation does nothing.
    if (!pod.networks || pod.hostNetwork || (only && !only.has(podKey(pod)))) continue;
    const where = { file: pod.source.file, object: `pod ${podKey(pod)}`, path: `metadata.annotations[${JSON.stringify(NETWORKS_ANNOTATION)}]` };
    const names = interfaceNames(pod.networks);
    const list: Omit<AttachmentRecord, 'containerId' | 'netns' | 'nodeNetns' | 'args' | 'result'>[] = [];
    pod.networks.forEach((sel, i) => {
      const network = `${selectionNamespace(sel, pod.namespace)}/${sel.name}`;
      const nad = nads.get(network);
      if (!nad) return problems.push({ ...where, message: `NetworkAttachmentDefinition ${network} not found` });
      const text = nad.config ?? configFromDir(sel.name, problems, where, network);
      if (text === undefined) return;
      const config = parseNetworkConfig(text);
      if (typeof config === 'string') return problems.push({ ...where, message: `NetworkAttachmentDefinition ${network}: config ${config}` });
      for (const type of pluginTypes(config)) {
        if (!lookupPlugin(type, path)) problems.push({ ...where, message: `NetworkAttachmentDefinition ${network}: CNI plugin ${JSON.stringify(type)} is not installed (looked in ${path})` });
      }
      const invocation: Invocation = { capabilityArgs: capabilityArgs(sel), ...(sel.cniArgs ? { cniArgs: sel.cniArgs } : {}), hostLocalDataDir: join(labDirPath, 'cni', 'host-local') };
      list.push({ network, ifname: names[i], config, invocation, path, ...(sel.defaultRoute ? { gateways: sel.defaultRoute } : {}) });
    });
    if (list.length > 0) out.set(podKey(pod), list);
  }
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/**
 * Multus (GetCNIConfigFromFile): the first file of the conf dir, in name order, ending in
 * .conf, .conflist or .json whose network "name" is the NAD's name.
 */
function configFromDir(name: string, problems: Problem[], where: Omit<Problem, 'message'>, network: string): string | undefined {
  const dir = cniConfDir();
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(conf|conflist|json)$/.test(f)).sort() : [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    try {
      if ((JSON.parse(text) as { name?: unknown }).name === name) return text;
    } catch {
      // not JSON: not this network (libcni skips such files too)
    }
  }
  problems.push({ ...where, message: `NetworkAttachmentDefinition ${network} has no spec.config and no file in ${dir} names network ${JSON.stringify(name)}` });
  return undefined;
}

/** Runs ADD for each plugin in order, each given the previous result (CNI spec, "prevResult"). */
async function addChain(a: AttachmentRecord, stats: AttachStats): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (let i = 0; i < a.config.plugins.length; i++) {
    const type = a.config.plugins[i].type as string;
    const r = await execPlugin({ command: 'ADD', type, config: pluginConfig(a.config, i, a.invocation, prev), ...call(a) });
    stats.pluginMs += r.ms;
    stats.pluginRuns++;
    prev = r.result;
  }
  return prev!;
}

/** DEL in reverse order, every plugin given the recorded ADD result; all run, the first error is thrown. */
export async function delChain(a: AttachmentRecord): Promise<void> {
  let first: unknown;
  for (let i = a.config.plugins.length - 1; i >= 0; i--) {
    try {
      await execPlugin({ command: 'DEL', type: a.config.plugins[i].type as string, config: pluginConfig(a.config, i, a.invocation, a.result), ...call(a) });
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

function call(a: AttachmentRecord) {
  return { containerId: a.containerId, netns: a.netns, ifname: a.ifname, args: a.args, path: a.path, nodeNetns: a.nodeNetns };
}

export interface AttachStats {
  attachments: number;
  pluginRuns: number;
  /** Wall time of the plugin processes themselves (summed). */
  pluginMs: number;
  totalMs: number;
}

/** The records a pod's attachments will have, before ADD. */
export function pendingRecords(pod: Pod, at: PlacedPod, node: LabNode, desired: DesiredAttachments): AttachmentRecord[] {
  const containerId = at.netns!;
  return (desired.get(at.key) ?? []).map((d) => {
    // Each node keeps its own host-local leases, as each real node has its own /var/lib/cni.
    const dataDir = d.invocation.hostLocalDataDir;
    const invocation = dataDir ? { ...d.invocation, hostLocalDataDir: join(dataDir, node.name) } : d.invocation;
    return { ...d, invocation, containerId, netns: `/run/netns/${at.netns}`, nodeNetns: node.netns, args: cniArgsEnv(pod, containerId) };
  });
}

/**
 * ADDs one pod's attachments in order. On a failure, what was added is taken back (DEL of the
 * failed one and those before it, as Multus does) and the error is returned: nothing is left.
 */
export async function attachPod(host: Host, records: AttachmentRecord[], stats: AttachStats): Promise<{ records: AttachmentRecord[] } | { error: string }> {
  const done: AttachmentRecord[] = [];
  for (const a of records) {
    try {
      done.push({ ...a, result: await addChain(a, stats) });
      stats.attachments++;
    } catch (e) {
      for (const undo of [{ ...a }, ...done.reverse()]) await delChain(undo).catch(() => undefined);
      const why = e instanceof PluginError ? e.message : (e as Error).message;
      return { error: `error adding pod to CNI network ${JSON.stringify(a.network)} (interface ${a.ifname}): ${why}` };
    }
  }
  const routed = done.filter((a) => a.gateways);
  if (routed.length > 0) {
    const error = await setDefaultRoutes(host, routed).then(() => undefined, (e: Error) => e.message);
    if (error) {
      for (const undo of done.reverse()) await delChain(undo).catch(() => undefined);
      return { error: `error setting the default route (default-route): ${error}` };
    }
  }
  return { records: done };
}

/**
 * "default-route", after every ADD of the pod, as Multus does: its default routes elsewhere go
 * (DeleteDefaultGW on the other interfaces, eth0 included) and one default route per requested
 * gateway is added on the attachment's interface (SetDefaultGW).
 */
async function setDefaultRoutes(host: Host, routed: readonly AttachmentRecord[]): Promise<void> {
  const netns = routed[0].netns.slice('/run/netns/'.length);
  await host.exec(netns, ['ip', '-4', 'route', 'flush', 'exact', '0.0.0.0/0']);
  for (const a of routed) {
    for (const gw of a.gateways!) {
      const r = await host.exec(netns, ['ip', 'route', 'append', 'default', 'via', gw, 'dev', a.ifname]);
      if (r.code !== 0) throw new Error(`default via ${gw} dev ${a.ifname}: ${r.stderr.trim()}`);
    }
  }
}

/** DELs a pod's recorded attachments, last first; returns the errors (DEL goes on regardless). */
export async function detachPod(records: readonly AttachmentRecord[]): Promise<string[]> {
  const errors: string[] = [];
  for (const a of [...records].reverse()) {
    await delChain(a).catch((e: Error) => errors.push(`${a.network} (${a.ifname}): ${e.message}`));
  }
  return errors;
}
