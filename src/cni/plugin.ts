#!/usr/bin/env node
/**
 * podnet as a CNI plugin executable (`podnet-cni`): CNI_COMMAND and friends in the environment,
 * the network configuration on stdin, the result or error as JSON on stdout (CNI spec 1.0).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyPlan } from '../host/executor.js';
import { LinuxHost } from '../host/host.js';
import { cniAdd, cniCheck, cniDel } from './ptp.js';
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
    switch (command) {
      case 'ADD': {
        const { plan, result } = cniAdd(conf, args);
        await applyPlan(host, plan);
        return ok(result);
      }
      case 'DEL':
        await applyPlan(host, cniDel(conf, args));
        return { code: 0, output: '' };
      case 'CHECK':
        if (!conf.prevResult) throw new CniFailure(CNI_ERRORS.invalidNetworkConfig, 'CHECK needs prevResult in the network configuration');
        await cniCheck(host, conf, args, conf.prevResult);
        return { code: 0, output: '' };
      default:
        throw new CniFailure(CNI_ERRORS.invalidEnv, `CNI_COMMAND ${JSON.stringify(command ?? '')} is not one of ADD, DEL, CHECK, VERSION`);
    }
  } catch (e) {
    const failure = e instanceof CniFailure ? e : new CniFailure(CNI_ERRORS.ioFailure, (e as Error).message);
    return { code: 1, output: `${JSON.stringify(failure.toJSON())}\n` };
  }
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
