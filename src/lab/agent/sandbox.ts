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

/**
 * podnet's own installation (the package root: dist/ and node_modules/), shown read-only in every
 * container at its host path, wherever podnet was installed or cloned (/root, /tmp and /home are
 * hidden otherwise): podnet's pods (cluster DNS, the ingress controller) run its programs, and a
 * container's behaviour must not depend on where podnet lives. It holds no state and no secret.
 */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The container launcher (native/podnet-sandbox.c), built by `npm run build`. */
export const LAUNCHER = path.join(PACKAGE_ROOT, 'dist', 'native', 'podnet-sandbox');

/**
 * A command on a pseudo-terminal of its own (`kubectl exec -t`, a container with tty): podnet's
 * launcher (native/pty.c; podnet's installation is visible in every container) runs inside the
 * sandbox, with the container's credentials, and opens the terminal on the container's own
 * /dev/pts, so `tty` names a device the container has. It relays stdin and stdout and reads
 * window sizes from fd 3, which nsenter and setpriv pass on.
 */
export function ttyCommand(command: readonly string[]): string[] {
  return [LAUNCHER, '--pty', '--', ...command];
}

/** Why containers cannot start here (no launcher built), or undefined. */
export function launcherMissing(): string | undefined {
  return fs.existsSync(LAUNCHER) ? undefined : `the container launcher ${LAUNCHER} is missing: run \`npm run build\` (it needs a C compiler: apt-get install gcc)`;
}

/** Where `ip netns exec` finds a namespace's own /etc files (src/lab/resolv.ts writes them). */
const NETNS_ETC = '/etc/netns';

let existing: { dirs: string[]; files: string[] } | undefined;

/** The hidden paths that exist on this host (nothing to cover where there is nothing). */
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

/** The directory of one agent's layers (pid: that agent's process). */
export function agentLayersDir(layers: string, pid: number): string {
  return path.join(layers, `agent-${pid}`);
}

/** A layer in this agent's own directory (removed with the agent should it die, see removeDeadAgentsLayers). */
export function newAgentLayer(stateDir: string, name: string): string {
  fs.mkdirSync(layersDir(stateDir), { recursive: true, mode: 0o700 });
  return newLayer(stateDir, name, agentLayersDir(layersDir(stateDir), process.pid));
}

/**
 * Removes the layer directories that agents of the lab which are gone left. Their containers
 * died with them, and an overlay is only ever mounted inside its container's own mount
 * namespace, so nothing is mounted under them: rm cannot walk into the host's / through one.
 */
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
export function containerSandbox(stateDir: string, netns: string, pod: PodSpec, container: ContainerSpec, security: ContainerSecurity, layer: string): SandboxSpec {
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
    launcher: LAUNCHER,
    netns,
    hostname: pod.hostname ?? pod.name,
    layerDir: layer,
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

/** The argv of a container of `pod` whose writable layer is `layer` (newLayer). */
export function containerArgvSandboxed(stateDir: string, netns: string, pod: PodSpec, container: ContainerSpec, security: ContainerSecurity, argv: readonly string[], layer: string): string[] {
  return sandboxArgv(containerSandbox(stateDir, netns, pod, container, security, layer), argv);
}

/**
 * A process inside the running container whose launcher has host PID `outer`: its child, PID 1
 * of the container's namespaces, once that has finished the sandbox and named itself
 * "podnet-init" (undefined before, or when the container is gone).
 */
export function sandboxInitPid(outer: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${outer}/task/${outer}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    const pid = Number(children[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'podnet-init' ? pid : undefined;
  } catch {
    return undefined;
  }
}
