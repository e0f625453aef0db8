/**
 * A hostNetwork pod's own /etc/resolv.conf (dnsPolicy ClusterFirstWithHostNet, or None): such a
 * pod shares its node's network namespace, and `ip netns exec` can only give a namespace one
 * resolv.conf (/etc/netns/<netns>/resolv.conf) — the node's. So its processes start in a private
 * mount namespace with the pod's file bind-mounted over /etc/resolv.conf: only they see it, and it
 * goes when they do. Pure: paths and argv.
 */
import path from 'node:path';

/** The pod's file in the lab's state directory (written by src/lab/resolv.ts; gone with `down`). */
export function hostNetworkResolvConf(stateDir: string, namespace: string, name: string): string {
  return path.join(stateDir, 'resolv', `${namespace}_${name}.conf`);
}

/**
 * `argv` run with `file` as its /etc/resolv.conf: unshare a mount namespace whose mounts stay
 * private (nothing reaches the node's or the host's), bind-mount, exec. Every step execs, so the
 * PID stays the command's own.
 */
export function withResolvConf(file: string, argv: readonly string[]): string[] {
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', file, ...argv];
}
