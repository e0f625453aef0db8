/**
 * IPAM delegation for podnet-cni on a real node. The CNI spec: "the IPAM plugin [is] invoked by
 * the main plugin ... with the same environment and network configuration", and it "must return
 * a result" of allocated addresses. podnet's lab hands addresses over through the "ips"
 * capability instead; a real runtime usually does not, so a configuration with `ipam` (e.g.
 * `{"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]]}`) is delegated: ADD asks
 * the plugin for an address, DEL gives it back, CHECK asks the plugin to check its own state.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { parseCidr } from '../model/ip.js';
import { CNI_ERRORS, CniFailure, type CniResult, type PodnetNetConf } from './types.js';

/** Whether ADD/DEL/CHECK go to the configuration's IPAM plugin (no addresses from the runtime). */
export function usesIpam(conf: PodnetNetConf): boolean {
  return typeof conf.ipam?.type === 'string' && (conf.runtimeConfig?.ips ?? []).length === 0;
}

/**
 * The configuration ADD continues with: the IPAM result's first IPv4 address in "ips", and its
 * gateway unless the configuration names one. Pure.
 */
export function withIpamAddress(conf: PodnetNetConf, result: CniResult): PodnetNetConf {
  const ip = result.ips.find((i) => parseCidr(i.address)?.family === 4);
  if (!ip) throw new CniFailure(CNI_ERRORS.ioFailure, `IPAM plugin ${conf.ipam?.type} returned no IPv4 address`, JSON.stringify(result.ips));
  const gateway = conf.gateway ?? ip.gateway;
  if (!gateway) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, `network config: no "gateway", and IPAM plugin ${conf.ipam?.type} returned none`);
  return { ...conf, gateway, runtimeConfig: { ...conf.runtimeConfig, ips: [ip.address] } };
}

/** The plugin's executable: the first CNI_PATH directory holding one named like its type. */
export function findPlugin(type: string, cniPath: string | undefined): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(type)) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, `network config: ipam.type ${JSON.stringify(type)} is not a plugin name`);
  const dirs = (cniPath ?? '').split(':').filter((d) => d !== '');
  for (const dir of dirs) {
    const path = join(dir, type);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  throw new CniFailure(CNI_ERRORS.invalidEnv, `IPAM plugin ${type} not found in CNI_PATH`, dirs.join(':') || 'CNI_PATH is empty');
}

/**
 * Runs the IPAM plugin for `command` with the runtime's environment and the configuration on
 * stdin; its result for ADD, nothing for DEL and CHECK. Its error is passed on as it reported it.
 */
export function delegateIpam(command: 'ADD' | 'DEL' | 'CHECK', conf: PodnetNetConf, env: NodeJS.ProcessEnv): CniResult | undefined {
  const type = conf.ipam?.type as string;
  const run = spawnSync(findPlugin(type, env.CNI_PATH), [], { input: JSON.stringify(conf), env: { ...env, CNI_COMMAND: command }, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw new CniFailure(CNI_ERRORS.ioFailure, `IPAM plugin ${type} ${command}: ${run.error.message}`);
  if (run.status !== 0) {
    const err = parseJson(run.stdout) as { code?: number; msg?: string; details?: string } | undefined;
    const detail = err?.details ?? (run.stderr.trim() || undefined);
    throw new CniFailure(err?.code ?? CNI_ERRORS.ioFailure, `IPAM plugin ${type} ${command}: ${err?.msg ?? `exit ${run.status}`}`, detail);
  }
  if (command !== 'ADD') return undefined;
  const result = parseJson(run.stdout) as CniResult | undefined;
  if (!result || !Array.isArray(result.ips)) throw new CniFailure(CNI_ERRORS.decodeFailure, `IPAM plugin ${type} ADD: no result on stdout`, run.stdout.slice(0, 200));
  return result;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
