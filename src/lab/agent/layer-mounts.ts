/**
 * Writable layers mounted ahead of the container start, many at a time (the agent's fast path;
 * sandbox-argv.ts mounts a layer itself when it is not mounted ahead, as `podnet exec` does).
 *
 * Mounting the overlay inside each container's start chain costs a shell and a mount(8) per
 * start, most of the sandbox's CPU. Here every layer requested within one turn of the event
 * loop is mounted by ONE `mount -a` over a generated fstab, in the agent's own mount namespace:
 * the agent runs under `unshare --mount --propagation slave` (AGENT_ARGV_PREFIX), so the host
 * never sees these mounts (nothing can be left mounted on it: they go with the agent and its
 * containers, which die with it) while namespaces the host adds later (/run/netns) still reach
 * the agent. Each container's `ip netns exec` copies the agent's namespace, its layer included.
 * A container's layer is detached when it exits (one umount for all that exit together). An
 * agent started in the host's mount namespace mounts nothing ahead (mountLayer says false).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** How an agent is started: in a mount namespace of its own, a slave of the host's. */
export const AGENT_ARGV_PREFIX: readonly string[] = ['unshare', '--mount', '--propagation', 'slave', '--'];

/** The directory of one agent's layers (pid: that agent's process). */
export function agentLayersDir(layers: string, pid: number): string {
  return path.join(layers, `agent-${pid}`);
}

let own: boolean | undefined;

/** Whether this process has a mount namespace other than init's (layers mounted here stay here). */
export function ownMountNamespace(): boolean {
  if (own === undefined) {
    try {
      own = fs.readlinkSync('/proc/self/ns/mnt') !== fs.readlinkSync('/proc/1/ns/mnt');
    } catch {
      own = false;
    }
  }
  return own;
}

interface Request {
  dir: string;
  done: (mounted: boolean) => void;
}

let mountQueue: Request[] = [];
let umountQueue: { dir: string; done: () => void }[] = [];
let tabSeq = 0;

/** Mount points under `root` (itself included), deepest first, from /proc/self/mountinfo. */
export function mountsUnder(root: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = text.split('\n').map((l) => decode(l.split(' ')[4] ?? '')).filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Mounts `dir`/m (overlay: lower the host's /, upper dir/u); resolves whether it is mounted. */
export function mountLayer(dir: string): Promise<boolean> {
  if (!ownMountNamespace()) return Promise.resolve(false);
  return new Promise((done) => {
    mountQueue.push({ dir, done });
    if (mountQueue.length === 1) setImmediate(flushMounts);
  });
}

function flushMounts(): void {
  const batch = mountQueue;
  mountQueue = [];
  if (batch.length === 0) return;
  const parent = path.dirname(batch[0]!.dir);
  const tab = path.join(parent, `.fstab-${++tabSeq}`);
  // fstab fields are blank-separated: octal-escape blanks (layer names are DNS labels anyway).
  const esc = (s: string) => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  const lines = batch.map(({ dir }) => `overlay ${esc(`${dir}/m`)} overlay ${esc(`lowerdir=/,upperdir=${dir}/u,workdir=${dir}/w,nosuid,nodev`)} 0 0\n`);
  fs.writeFileSync(tab, lines.join(''), { mode: 0o600, flag: 'wx' });
  // -n: no /etc/mtab; -i: no mount.overlay helper.
  execFile('mount', ['-a', '-n', '-i', '-T', tab], () => {
    fs.rmSync(tab, { force: true });
    const mounted = new Set(mountsUnder(parent));
    for (const r of batch) r.done(mounted.has(`${r.dir}/m`));
  });
}

/** Detaches `dir`/m (lazily: nothing can hold it up) and removes the layer, in the background. */
export function releaseLayer(dir: string): void {
  umountQueue.push({ dir, done: () => fs.rm(dir, { recursive: true, force: true }, () => {}) });
  if (umountQueue.length === 1) setImmediate(flushUmounts);
}

function flushUmounts(): void {
  const batch = umountQueue;
  umountQueue = [];
  if (batch.length === 0) return;
  execFile('umount', ['-l', '-n', ...batch.map((b) => `${b.dir}/m`)], () => {
    // Never remove a layer whose overlay is still mounted: rm would walk the host's / through it.
    const still = new Set(mountsUnder(path.dirname(batch[0]!.dir)));
    for (const b of batch) if (!still.has(`${b.dir}/m`)) b.done();
  });
}

/** Removes the layer directories agents of the lab that are gone left (their mounts went with them). */
export function removeDeadAgentsLayers(layers: string): void {
  let names: string[] = [];
  try {
    names = fs.readdirSync(layers);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^agent-([1-9][0-9]*)$/.exec(n);
    if (m !== null && !alive(Number(m[1]))) fs.rmSync(path.join(layers, n), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
