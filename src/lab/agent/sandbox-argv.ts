/**
 * The command line that runs one container process in its sandbox (pure: argv in, argv out).
 *
 *   ip netns exec POD                       the pod's network namespace, joined (not a new one), in
 *                                           a mount namespace of its own (slave of the host's)
 *   sh -c 'mount overlay'                   lower = the host's /, upper = the container's own
 *                                           directory (made and removed by the agent): the "image";
 *                                           left out when the agent mounted it ahead (premounted)
 *   bwrap …                                 PID/IPC/UTS/cgroup namespaces, /proc, /dev, /sys,
 *                                           private /tmp and /run, hidden host state, volumes
 *   setpriv …                               uid, gid, groups, capability bounding set
 *   COMMAND ARGS…
 *
 * Every step execs the next, so the PID the agent gets is bubblewrap's (its process group holds
 * every process of the container). bubblewrap always sets no_new_privs and mounts binds nosuid,
 * so a setuid binary never raises privileges. `--die-with-parent`: a container dies with the
 * agent that started it, so a restarted agent never finds unsupervised containers.
 * `execArgv` runs a further process (podnet exec, exec probes) inside a running container's
 * namespaces with the container's credentials, as `kubectl exec` does.
 */
import type { ContainerSecurity } from './security.js';

export interface SandboxMount {
  source: string;
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Network namespace to join (its name under /run/netns), e.g. pn-lab_p1a2b. */
  netns: string;
  /** The pod's hostname (kubelet sets the UTS hostname to it). */
  hostname: string;
  /**
   * The container's own directory on the host, with empty u/ (its writable layer), w/ (overlayfs'
   * work directory) and m/ (where the overlay is mounted, in the container's mount namespace only).
   */
  layerDir: string;
  /** The overlay is already mounted on m/ (the agent mounts layers ahead, layer-mounts.ts). */
  premounted?: boolean;
  security: ContainerSecurity;
  /** Host directories to cover with an empty tmpfs (must exist on the host). */
  hideDirs: readonly string[];
  /** Host files to cover with an empty file (must exist on the host). */
  hideFiles: readonly string[];
  /** Shown as /etc/resolv.conf (the pod's DNS configuration). */
  resolvConf?: string;
  /** emptyDir volumes and, for podnet's own pods, the state they read. */
  mounts: readonly SandboxMount[];
  /** Mounted as an empty tmpfs after `mounts` (e.g. the agents' sockets inside a mounted state). */
  hideAfterMounts?: readonly string[];
}

/**
 * Host paths a container never sees (an image has none of these): credentials, home
 * directories, runtime state (podnet's own under /run, network namespaces, other labs, other
 * services' sockets), and the host's temporary files.
 */
export const HIDDEN_DIRS: readonly string[] = ['/run', '/tmp', '/var/tmp', '/root', '/home', '/etc/ssh', '/var/lib', '/var/log', '/var/spool', '/var/mail', '/var/backups', '/mnt', '/media', '/srv', '/boot', '/lost+found', '/etc/netns'];
/** Files covered with an empty one; /proc entries a runtime masks (Docker's and containerd's defaults) too. */
export const HIDDEN_FILES: readonly string[] = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/sudoers', '/etc/security/opasswd', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/sched_debug'];

const STICKY = ['/tmp', '/var/tmp'];

/** /proc entries a runtime makes read-only (Docker's and containerd's defaults). */
const PROC_READ_ONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The overlay mount run before bubblewrap: $1 = the layer directory; then execs "$@". */
const LAYER_SCRIPT = 'L=$1; shift; mount -t overlay overlay -o "lowerdir=/,upperdir=$L/u,workdir=$L/w,nosuid,nodev" "$L/m" && exec "$@"';

/** The full command line of a container process. */
export function sandboxArgv(spec: SandboxSpec, argv: readonly string[]): string[] {
  const root = `${spec.layerDir}/m`;
  const bwrap = ['bwrap', '--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', spec.hostname, '--bind', root, '/'];
  bwrap.push('--proc', '/proc');
  for (const p of PROC_READ_ONLY) bwrap.push('--ro-bind-try', p, p);
  bwrap.push('--dev', '/dev', '--ro-bind', '/sys', '/sys');
  // The temporary directories are world-writable and sticky, as an image has them.
  for (const d of spec.hideDirs) bwrap.push(...(STICKY.includes(d) ? ['--perms', '1777'] : []), '--tmpfs', d);
  for (const f of spec.hideFiles) bwrap.push('--ro-bind', '/dev/null', f);
  if (spec.resolvConf !== undefined) bwrap.push('--ro-bind', spec.resolvConf, '/etc/resolv.conf');
  for (const m of spec.mounts) bwrap.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
  for (const d of spec.hideAfterMounts ?? []) bwrap.push('--tmpfs', d);
  // After every mount point exists: a read-only root refuses writes, the tmpfs ones still take them.
  if (spec.security.readOnlyRootFilesystem) bwrap.push('--remount-ro', '/');
  bwrap.push('--chdir', '/', '--cap-add', 'ALL', '--');
  return [
    'ip', 'netns', 'exec', spec.netns,
    ...(spec.premounted === true ? [] : ['sh', '-c', LAYER_SCRIPT, 'sh', spec.layerDir]),
    ...bwrap,
    ...credentialsArgv(spec.security),
    ...argv,
  ];
}

/**
 * Another process inside a running container: its network, mount (root and writable layer
 * included), PID, IPC and UTS namespaces, with its credentials. `pid` is a process inside the
 * sandbox (the first child of bubblewrap's outer process, see sandbox.ts sandboxInitPid).
 */
export function execArgv(pid: number, security: ContainerSecurity, argv: readonly string[]): string[] {
  return ['nsenter', `--target=${pid}`, '--net', '--mount', '--pid', '--ipc', '--uts', '--root', '--wd', '--', ...credentialsArgv(security), ...argv];
}

/** setpriv: groups, then gid and uid; the capability bounding set; nothing inheritable. */
export function credentialsArgv(sec: ContainerSecurity): string[] {
  const caps = ['-all', ...sec.capabilities.map((c) => `+${c.toLowerCase()}`)].join(',');
  return [
    'setpriv',
    `--reuid=${sec.uid}`,
    `--regid=${sec.gid}`,
    ...(sec.groups.length > 0 ? [`--groups=${sec.groups.join(',')}`] : ['--clear-groups']),
    `--bounding-set=${caps}`,
    '--inh-caps=-all',
    '--',
  ];
}
