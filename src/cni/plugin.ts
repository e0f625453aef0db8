#!/usr/bin/env node
/**
 * podnet as a CNI plugin executable (`podnet-cni`): CNI_COMMAND and friends in the environment,
 * the network configuration on stdin, the result or error as JSON on stdout (CNI spec 1.0).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyPlan } from '../host/executor.js';
import { LinuxHost } from '../host/host.js';
import type { Plan } from '../render/plan.js';
import { delegateIpam, usesIpam, withIpamAddress } from './ipam.js';
import { cniAdd, cniCheck, cniDel, validateConf } from './ptp.js';
import { CNI_ERRORS, CNI_VERSION, CniFailure, SUPPORTED_VERSIONS, type CniResult, type PodnetNetConf, type RuntimeArgs } from './types.js';

export async function runPlugin(env: NodeJS.ProcessEnv, stdin: string): Promise<{ code: number; output: string }> {
  try {
    const command = env.CNI_COMMAND;
    if (command === 'VERSION') return ok({ cniVersion: CNI_VERSION, supportedVersions: SUPPORTED_VERSIONS });
    let conf: PodnetNetConf & { prevResult?: CniResult };
    try {
      conf = JSON.parse(stdin) as typeof conf;
    } catch (e) {
      throw new CniFailure(CNI_ERRORS.decodeFailure, 'network configuration on stdin is not valid JSON', (e as Error).message);
    }
    // CNI_IFNAME is required: an empty one fails ADD's interface-name check (after the version check).
    const args: RuntimeArgs = { containerId: env.CNI_CONTAINERID ?? '', netns: env.CNI_NETNS ?? '', ifName: env.CNI_IFNAME ?? '' };
    const host = new LinuxHost();
    const ipam = usesIpam(conf);
    switch (command) {
      case 'ADD':
        return ok(await add(host, conf, args, ipam ? env : undefined));
      case 'DEL':
        validateConf(conf, false);
        await applyPlan(host, cniDel(conf, args));
        // "Plugins should generally complete a DEL action without error even if some resources
        // are missing": the address goes back to the IPAM plugin after the interface is gone.
        if (ipam) delegateIpam('DEL', conf, env);
        return { code: 0, output: '' };
      case 'CHECK': {
        if (!conf.prevResult) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, 'CHECK needs prevResult in the network configuration');
        if (ipam) delegateIpam('CHECK', conf, env);
        const checked = ipam ? withIpamAddress(conf, conf.prevResult) : conf;
        await cniCheck(host, checked, args, conf.prevResult);
        return { code: 0, output: '' };
      }
      default:
        throw new CniFailure(CNI_ERRORS.invalidEnv, `CNI_COMMAND ${JSON.stringify(command ?? '')} is not one of ADD, DEL, CHECK, VERSION`);
    }
  } catch (e) {
    const failure = e instanceof CniFailure ? e : new CniFailure(CNI_ERRORS.ioFailure, (e as Error).message);
    return { code: 1, output: `${JSON.stringify(failure.toJSON())}\n` };
  }
}

/**
 * ADD, with the address from the IPAM plugin when `ipamEnv` is given. Should the ADD fail after
 * the plugin allocated, the address is given back (IPAM DEL) before the error is reported.
 */
async function add(host: LinuxHost, conf: PodnetNetConf, args: RuntimeArgs, ipamEnv: NodeJS.ProcessEnv | undefined): Promise<CniResult> {
  if (!ipamEnv) {
    const { plan, result } = cniAdd(conf, args);
    await applyAdd(host, conf, plan);
    return result;
  }
  validateConf(conf, false); // before anything is allocated
  const allocated = delegateIpam('ADD', conf, ipamEnv)!;
  try {
    const { plan, result } = cniAdd(withIpamAddress(conf, allocated), args);
    await applyAdd(host, conf, plan);
    return { ...result, dns: allocated.dns ?? {} };
  } catch (e) {
    try {
      delegateIpam('DEL', conf, ipamEnv);
    } catch {
      // the ADD's own error is the one to report
    }
    throw e;
  }
}

/**
 * Applies an ADD's plan, and makes sure the node forwards: every pod packet is routed by it (a
 * lab's nodes have forwarding on from the start, a real host may not, as with the reference
 * `ptp` plugin, which turns it on too).
 */
async function applyAdd(host: LinuxHost, conf: PodnetNetConf, plan: Plan): Promise<void> {
  await applyPlan(host, plan);
  const r = await host.exec(conf.nodeNetns ?? null, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  if (r.code !== 0) throw new CniFailure(CNI_ERRORS.ioFailure, 'cannot turn on IPv4 forwarding on the node', r.stderr.trim());
}

function ok(value: unknown): { code: number; output: string } {
  return { code: 0, output: `${JSON.stringify(value)}\n` };
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stdin = process.env.CNI_COMMAND === 'VERSION' ? '' : readFileSync(0, 'utf8');
  const { code, output } = await runPlugin(process.env, stdin);
  process.stdout.write(output);
  process.exitCode = code;
}
