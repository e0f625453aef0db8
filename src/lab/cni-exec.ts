/**
 * Runs a reference CNI plugin (Debian's containernetworking-plugins) as a runtime does: the
 * executable found in CNI_PATH, the CNI_* environment, the network config on stdin, the result
 * or the error JSON on stdout. The plugin runs in the node's network namespace (nsenter), which
 * is the host namespace from its point of view: `master: eth0` and bridges are the node's.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { CniResult } from '../cni/types.js';

/** Where plugins are looked up: PODNET_CNI_PATH, else the usual directory and Debian's. */
export function cniPath(): string {
  return process.env.PODNET_CNI_PATH ?? '/opt/cni/bin:/usr/lib/cni';
}

/** The plugin's executable in the first CNI_PATH directory that has it, or null. */
export function lookupPlugin(type: string, path: string): string | null {
  for (const dir of path.split(':').filter((d) => d !== '')) {
    try {
      accessSync(join(dir, type), constants.X_OK);
      return join(dir, type);
    } catch {
      // not here
    }
  }
  return null;
}

export interface PluginCall {
  command: 'ADD' | 'DEL';
  type: string;
  config: Record<string, unknown>;
  containerId: string;
  /** Path of the pod's network namespace (/run/netns/…). */
  netns: string;
  ifname: string;
  args: string;
  path: string;
  /** The node's namespace name, where the plugin runs. */
  nodeNetns: string;
}

/** A plugin's failure, with its CNI error as it reported it. */
export class PluginError extends Error {
  override name = 'PluginError';
  constructor(
    readonly type: string,
    readonly command: string,
    readonly code: number | undefined,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(`plugin type=${JSON.stringify(type)} failed (${command.toLowerCase()}): ${msg}${details ? `: ${details}` : ''}${code !== undefined ? ` [CNI error ${code}]` : ''}`);
  }
}

/** Runs one plugin; resolves with its result (ADD) and wall time, rejects with a PluginError. */
export async function execPlugin(call: PluginCall): Promise<{ result?: CniResult; ms: number }> {
  const exe = lookupPlugin(call.type, call.path);
  if (!exe) throw new PluginError(call.type, call.command, 4, `plugin ${call.type} not found in CNI_PATH`, call.path);
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: call.command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.netns,
    CNI_IFNAME: call.ifname,
    CNI_ARGS: call.args,
    CNI_PATH: call.path,
  };
  const start = performance.now();
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('nsenter', [`--net=/run/netns/${call.nodeNetns}`, '--', exe], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(JSON.stringify(call.config));
  });
  const ms = performance.now() - start;
  if (out.code !== 0) {
    const err = parse(out.stdout) as { code?: number; msg?: string; details?: string } | undefined;
    throw new PluginError(call.type, call.command, err?.code, err?.msg ?? (out.stderr.trim() || `exit ${out.code}`), err?.details);
  }
  if (call.command === 'DEL') return { ms };
  const result = parse(out.stdout) as CniResult | undefined;
  if (!result || typeof result !== 'object') throw new PluginError(call.type, call.command, 6, 'no result on stdout', out.stdout.slice(0, 200));
  return { result, ms };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
