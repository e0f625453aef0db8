/**
 * A TCP connection to a port of a pod, made inside the pod's network namespace (as kubelet's
 * port-forward does: to localhost in the pod's namespace, so a port bound to 127.0.0.1 works
 * too) by a short-lived child (dial-child.ts) that passes the connected socket back.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { agentPodSpec, LabError } from './lab.js';
import type { LabState } from './state.js';

const DIAL_TIMEOUT_MS = 10_000;

/** Connects to localhost:`port` of pod `key` of the lab (its node's namespace for a hostNetwork pod). */
export function dialPod(state: LabState, key: string, port: number): Promise<net.Socket> {
  const spec = agentPodSpec(state, key);
  if (!spec) return Promise.reject(new LabError(`pod ${key} is not placed`));
  const netns = spec.netns ?? state.nodes.find((n) => n.name === spec.node)?.netns;
  if (netns === undefined) return Promise.reject(new LabError(`pod ${key} has no network namespace`));
  return dialInNetns(netns, port);
}

function childScript(): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `dial-child${path.extname(self)}`);
}

/** Connects to localhost:`port` in network namespace `netns` (its name under /run/netns); rejects with the reason. */
export function dialInNetns(netns: string, port: number): Promise<net.Socket> {
  if (!/^[A-Za-z0-9_.-]+$/.test(netns)) return Promise.reject(new Error(`bad network namespace name ${JSON.stringify(netns)}`));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return Promise.reject(new Error(`bad port ${port}`));
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, ...process.execArgv, childScript(), String(port)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-1000)));
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, socket?: net.Socket) => {
      if (done) return void socket?.destroy();
      done = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      if (socket) resolve(socket);
      else reject(err);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`no connection to localhost:${port} within ${DIAL_TIMEOUT_MS} ms`));
    }, DIAL_TIMEOUT_MS);
    child.on('message', (msg: { ok?: boolean; error?: string }, handle: unknown) => {
      if (msg.ok && handle instanceof net.Socket) finish(null, handle);
      else finish(new Error(msg.error ?? 'no socket'));
    });
    child.on('error', (err) => finish(new Error(`cannot start the dial helper: ${err.message}`)));
    child.on('exit', (code) => setTimeout(() => finish(new Error(`the dial helper exited (${code})${stderr.trim() ? `: ${stderr.trim()}` : ''}`)), 200));
  });
}
