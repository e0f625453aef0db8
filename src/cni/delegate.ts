/**
 * Delegation to the reference CNI plugins, as Multus does it for a NetworkAttachmentDefinition:
 * the network config (a single config or a conflist), the stdin each plugin of it gets for ADD
 * and DEL, and the network-status entries from the results. Pure: no plugin is run here.
 */
import type { CniResult } from './types.js';

/** A network configuration list; a single config is a list of one plugin (`list: false`). */
export interface NetworkConfig {
  cniVersion: string;
  name: string;
  list: boolean;
  plugins: Record<string, unknown>[];
}

const PLUGIN_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Reads a CNI config or conflist (Multus: a config without "type" is read as a conflist, which
 * must have "plugins" whose first entry has a "type"). Returns the config or a message.
 */
export function parseNetworkConfig(text: string): NetworkConfig | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return `is not JSON: ${(e as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JSON object (a CNI config or conflist)';
  const o = value as Record<string, unknown>;
  const version = typeof o.cniVersion === 'string' ? o.cniVersion : undefined;
  if (!version) return 'has no "cniVersion"';
  const name = typeof o.name === 'string' ? o.name : '';
  if (typeof o.type === 'string') {
    const bad = checkPlugin(o, 'type');
    return bad ?? { cniVersion: version, name, list: false, plugins: [o] };
  }
  if (!Array.isArray(o.plugins) || o.plugins.length === 0) return 'has neither "type" (a config) nor "plugins" (a conflist)';
  const plugins: Record<string, unknown>[] = [];
  for (const [i, p] of o.plugins.entries()) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return `plugins[${i}] must be an object`;
    const bad = checkPlugin(p as Record<string, unknown>, `plugins[${i}].type`);
    if (bad) return bad;
    plugins.push(p as Record<string, unknown>);
  }
  return { cniVersion: version, name, list: true, plugins };
}

function checkPlugin(p: Record<string, unknown>, path: string): string | undefined {
  if (typeof p.type !== 'string' || !PLUGIN_NAME.test(p.type)) return `${path}: ${JSON.stringify(p.type)} is not a plugin name`;
  const ipam = p.ipam as { type?: unknown } | undefined;
  if (ipam !== undefined && (typeof ipam !== 'object' || ipam === null || (ipam.type !== undefined && (typeof ipam.type !== 'string' || !PLUGIN_NAME.test(ipam.type))))) {
    return `${path.replace(/type$/, 'ipam.type')}: ${JSON.stringify(ipam?.type)} is not a plugin name`;
  }
  return undefined;
}

/** Every executable the network needs: each plugin's type and its IPAM plugin's. */
export function pluginTypes(net: NetworkConfig): string[] {
  const types = net.plugins.flatMap((p) => [p.type as string, ...(typeof (p.ipam as { type?: unknown })?.type === 'string' ? [(p.ipam as { type: string }).type] : [])]);
  return [...new Set(types)];
}

/** What the runtime adds to each plugin's config for one attachment. */
export interface Invocation {
  /** Capability arguments ("ips", "mac"): given only to plugins that declare the capability. */
  capabilityArgs: Record<string, unknown>;
  /** The selection's "cni-args", merged into `args.cni` (Multus). */
  cniArgs?: Record<string, unknown>;
  /** host-local's lease directory, so that leases live in the lab's state directory. */
  hostLocalDataDir?: string;
}

/**
 * The stdin of plugin `index` of the network. CNI spec: for a list, "the runtime must insert
 * name and cniVersion" from the list into each plugin's config; "runtimeConfig" carries a
 * capability only when "the plugin ... advertises [it] in its capabilities"; ADD passes the
 * previous plugin's result as "prevResult" (none for the first), DEL the cached ADD result to
 * every plugin.
 */
export function pluginConfig(net: NetworkConfig, index: number, inv: Invocation, prevResult?: CniResult): Record<string, unknown> {
  const conf: Record<string, unknown> = structuredClone(net.plugins[index]);
  conf.cniVersion = net.cniVersion;
  conf.name = net.name;
  delete conf.prevResult;
  const declared = (conf.capabilities ?? {}) as Record<string, unknown>;
  const runtimeConfig = { ...((conf.runtimeConfig as Record<string, unknown> | undefined) ?? {}) };
  for (const [cap, value] of Object.entries(inv.capabilityArgs)) if (declared[cap] === true) runtimeConfig[cap] = value;
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (inv.cniArgs) {
    const args = { ...((conf.args as Record<string, unknown> | undefined) ?? {}) };
    args.cni = { ...((args.cni as Record<string, unknown> | undefined) ?? {}), ...inv.cniArgs };
    conf.args = args;
  }
  const ipam = conf.ipam as Record<string, unknown> | undefined;
  if (inv.hostLocalDataDir && ipam?.type === 'host-local') conf.ipam = { ...ipam, dataDir: inv.hostLocalDataDir };
  if (prevResult) conf.prevResult = prevResult;
  return conf;
}

/** The capability arguments Multus passes for a selection: "ips" and "mac" when requested. */
export function capabilityArgs(sel: { ips?: readonly string[]; mac?: string }): Record<string, unknown> {
  return { ...(sel.ips && sel.ips.length > 0 ? { ips: [...sel.ips] } : {}), ...(sel.mac ? { mac: sel.mac } : {}) };
}

/** CNI_ARGS as Multus passes them to a delegate. */
export function cniArgsEnv(pod: { namespace: string; name: string }, sandboxId: string): string {
  return `IgnoreUnknown=true;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${sandboxId};K8S_POD_UID=`;
}

/** One entry of the network-status annotation (NPWG multi-net spec §4.1.2.1.8). */
export interface NetworkStatus {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  default?: boolean;
  dns: Record<string, unknown>;
  gateway?: string[];
}

/**
 * The status of one attachment from its result: the container-side interface (the one with a
 * "sandbox"), named as requested, its addresses without the prefix length, the result's DNS.
 */
export function attachmentStatus(network: string, ifname: string, result: CniResult, isDefault = false): NetworkStatus {
  const interfaces = result.interfaces ?? [];
  const index = interfaces.findIndex((i) => i.sandbox !== undefined && i.sandbox !== '' && i.name === ifname);
  const iface = index >= 0 ? interfaces[index] : undefined;
  const ips = (result.ips ?? []).filter((ip) => ip.interface === undefined || ip.interface === index).map((ip) => ip.address.split('/')[0]);
  return {
    name: network,
    interface: ifname,
    ...(ips.length > 0 ? { ips } : {}),
    ...(iface?.mac ? { mac: iface.mac } : {}),
    ...(isDefault ? { default: true } : {}),
    dns: result.dns ?? {},
  };
}
