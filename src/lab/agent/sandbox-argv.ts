/**
 * The command line that runs one container process in its sandbox (pure: argv in, argv out):
 *
 *   podnet-sandbox --netns … --layer … [MOUNTS] --uid … --gid … --caps … -- COMMAND ARGS…
 *
 * podnet's launcher (native/podnet-sandbox.c, built by `npm run build`) joins the pod's network
 * namespace (not a new one), makes new mount, PID, IPC, UTS and cgroup namespaces, mounts the
 * container's "image" (an overlay: lower = the host's /, upper = the container's own directory,
 * made and removed by the agent) with /proc, /dev, /sys, private /tmp and /run, hidden host
 * state and volumes in the order given here, pivots into it, and runs the command as the child
 * of the container's PID 1 with its credentials and no_new_privs. Every bind is nosuid and
 * nodev, so neither a setuid binary nor a device node raises privileges. The PID the agent gets
 * is the launcher's (its process group holds every process of the container); it dies with the
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
  /** The launcher (sandbox.ts: dist/native/podnet-sandbox of podnet's installation). */
  launcher: string;
  /**
   * The container's own directory on the host, with empty u/ (its writable layer), w/ (overlayfs'
   * work directory) and m/ (where the overlay is mounted, in the container's mount namespace only).
   */
  layerDir: string;
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

/** The full command line of a container process. */
export function sandboxArgv(spec: SandboxSpec, argv: readonly string[]): string[] {
  const out = [spec.launcher, '--netns', `/run/netns/${spec.netns}`, '--layer', spec.layerDir, '--hostname', spec.hostname];
  out.push('--proc', '/proc');
  for (const p of PROC_READ_ONLY) out.push('--read-only', p);
  // /sys read-only, the pod's own (sysfs shows the network namespace of whoever mounts it).
  out.push('--dev', '/dev', '--sysfs', '/sys');
  // The temporary directories are world-writable and sticky, as an image has them.
  for (const d of spec.hideDirs) out.push(STICKY.includes(d) ? '--tmpfs-sticky' : '--tmpfs', d);
  for (const f of spec.hideFiles) out.push('--hide', f);
  if (spec.resolvConf !== undefined) out.push('--ro-bind', spec.resolvConf, '/etc/resolv.conf');
  for (const m of spec.mounts) out.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
  for (const d of spec.hideAfterMounts ?? []) out.push('--tmpfs', d);
  // After every mount point exists: a read-only root refuses writes, the tmpfs ones still take them.
  if (spec.security.readOnlyRootFilesystem) out.push('--ro-root');
  const sec = spec.security;
  out.push('--uid', String(sec.uid), '--gid', String(sec.gid));
  if (sec.groups.length > 0) out.push('--groups', sec.groups.join(','));
  if (sec.capabilities.length > 0) out.push('--caps', sec.capabilities.join(','));
  return [...out, '--', ...argv];
}

/**
 * Another process inside a running container: its network, mount (root and writable layer
 * included), PID, IPC and UTS namespaces, with its credentials. `pid` is a process inside the
 * sandbox (the container's PID 1, the launcher's child, see sandbox.ts sandboxInitPid).
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
