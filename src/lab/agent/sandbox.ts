/**
 * The host side of the container sandbox (sandbox-argv.ts builds the command line): which of the
 * hidden paths exist here, where writable layers and emptyDir volumes live, and which process
 * of a running container a further process joins.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentsDir } from './paths.js';
import { HIDDEN_DIRS, HIDDEN_FILES, sandboxArgv, type SandboxMount, type SandboxSpec } from './sandbox-argv.js';
import type { ContainerSecurity } from './security.js';
import type { ContainerSpec, PodSpec } from './protocol.js';
import { hostNetworkResolvConf } from './resolv-mount.js';
import { agentLayersDir } from './layer-mounts.js';

/**
 * podnet's own installation (the package root: dist/ and node_modules/), shown read-only in every
 * container at its host path, wherever podnet was installed or cloned (/root, /tmp and /home are
 * hidden otherwise): podnet's pods (cluster DNS, the ingress controller) run its programs, and a
 * container's behaviour must not depend on where podnet lives. It holds no state and no secret.
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where `ip netns exec` finds a namespace's own /etc files (src/lab/resolv.ts writes them). */
const NETNS_ETC = '/etc/netns';

let existing: { dirs: string[]; files: string[] } | undefined;

/** The hidden paths that exist on this host (bubblewrap cannot mount over a missing one on a read-only root). */
function hiddenHere(stateRoot: string): { dirs: string[]; files: string[] } {
  if (existing === undefined) {
    const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
    const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;
    existing = { dirs: HIDDEN_DIRS.filter(isDir), files: HIDDEN_FILES.filter(isFile) };
  }
  // The state root (PODNET_STATE_ROOT may move it out of /run): every lab's sockets and state.
  const covered = existing.dirs.some((d) => stateRoot === d || stateRoot.startsWith(`${d}/`));
  return { dirs: covered ? existing.dirs : [...existing.dirs, stateRoot], files: existing.files };
}

/** Where a pod's emptyDir volumes live on the host (removed with the pod). */
export function volumesDir(stateDir: string, pod: PodSpec): string {
  return path.join(stateDir, 'volumes', `${pod.namespace}_${pod.name}`);
}

/** Where the containers' writable layers live (one directory per container run, see newLayer). */
export function layersDir(stateDir: string): string {
  return path.join(stateDir, 'layers');
}

let layerSeq = 0;

/**
 * A fresh layer directory for one run of a container: u/ w/ m/ (sandbox-argv.ts). Made with
 * plain mkdir (no process), mode 0700: no one but root reaches what the container wrote.
 */
export function newLayer(stateDir: string, name: string, parent = layersDir(stateDir)): string {
  const dir = path.join(parent, `${name}-${process.pid}-${++layerSeq}`);
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  fs.mkdirSync(dir, { mode: 0o700 });
  for (const d of ['u', 'w', 'm']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  // The overlay's root takes the upper directory's mode: the host root's 0755, so every user
  // of the container can walk its /. Host users still stop at `dir` (0700).
  fs.chmodSync(path.join(dir, 'u'), 0o755);
  return dir;
}

/** A layer in this agent's own directory, to be mounted ahead (layer-mounts.ts mountLayer). */
export function newAgentLayer(stateDir: string, name: string): string {
  fs.mkdirSync(layersDir(stateDir), { recursive: true, mode: 0o700 });
  return newLayer(stateDir, name, agentLayersDir(layersDir(stateDir), process.pid));
}

/** The writable layer disappears with the container, as an image's does (in the background). */
export function removeLayer(dir: string): void {
  fs.rm(dir, { recursive: true, force: true }, () => {});
}

/** Creates the pod's emptyDir directories ("initially empty"; fsGroup owns them, setgid). */
export function createVolumes(stateDir: string, pod: PodSpec): void {
  const dir = volumesDir(stateDir, pod);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const v of pod.volumes ?? []) {
    const d = path.join(dir, v);
    fs.mkdirSync(d, { mode: 0o777 });
    fs.chmodSync(d, pod.fsGroup !== undefined ? 0o2777 : 0o777); // the mode emptyDir has on kubelet
    if (pod.fsGroup !== undefined) fs.chownSync(d, 0, pod.fsGroup);
  }
}

export function removeVolumes(stateDir: string, pod: PodSpec): void {
  fs.rmSync(volumesDir(stateDir, pod), { recursive: true, force: true });
}

/** The sandbox of one container of `pod`, whose network namespace is `netns`. */
export function containerSandbox(stateDir: string, netns: string, pod: PodSpec, container: ContainerSpec, security: ContainerSecurity, layer: string, premounted = false): SandboxSpec {
  const hidden = hiddenHere(path.dirname(stateDir));
  const mounts: SandboxMount[] = (container.volumeMounts ?? []).map((m) => ({
    source: path.join(volumesDir(stateDir, pod), m.name),
    target: m.mountPath,
    readOnly: m.readOnly,
  }));
  mounts.unshift({ source: PACKAGE_ROOT, target: PACKAGE_ROOT, readOnly: true });
  // podnet's own pods (cluster DNS, ingress controller) read their lab's state; never the agents' sockets.
  if (pod.system === true) mounts.push({ source: stateDir, target: stateDir, readOnly: true });
  const stateRoot = path.dirname(stateDir);
  // A state root inside the installation (PODNET_STATE_ROOT may put it there) stays hidden.
  const inPackage = stateRoot === PACKAGE_ROOT || stateRoot.startsWith(`${PACKAGE_ROOT}/`);
  const spec: SandboxSpec = {
    netns,
    hostname: pod.hostname ?? pod.name,
    layerDir: layer,
    premounted,
    security,
    hideDirs: hidden.dirs,
    hideFiles: hidden.files,
    mounts,
    hideAfterMounts: [...(inPackage && pod.system !== true ? [stateRoot] : []), ...(pod.system === true ? [agentsDir(stateDir)] : [])],
  };
  const resolv = pod.netns !== null ? path.join(NETNS_ETC, pod.netns, 'resolv.conf') : hostNetworkResolvConf(stateDir, pod.namespace, pod.name);
  // A hostNetwork pod without a file of its own sees its node's, as `ip netns exec` showed it.
  const candidates = pod.netns !== null ? [resolv] : [resolv, path.join(NETNS_ETC, netns, 'resolv.conf')];
  for (const f of candidates) {
    if (fs.existsSync(f)) {
      spec.resolvConf = f;
      break;
    }
  }
  return spec;
}

/** The argv of a container of `pod` whose writable layer is `layer` (newLayer; mounted ahead: premounted). */
export function containerArgvSandboxed(stateDir: string, netns: string, pod: PodSpec, container: ContainerSpec, security: ContainerSecurity, argv: readonly string[], layer: string, premounted = false): string[] {
  return sandboxArgv(containerSandbox(stateDir, netns, pod, container, security, layer, premounted), argv);
}

/**
 * A process inside the running container whose bubblewrap has host PID `outer`: bubblewrap's
 * first child, PID 1 of the container's namespace (undefined when it is not there yet or gone).
 */
export function sandboxInitPid(outer: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const pid = Number(children[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    // The outer process is bwrap only once the exec chain (ip, sh) has reached it.
    const comm = fs.readFileSync(`/proc/${outer}/comm`, 'utf8').trim();
    return comm === 'bwrap' ? pid : undefined;
  } catch {
    return undefined;
  }
}
