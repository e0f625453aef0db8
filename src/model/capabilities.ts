/** Linux capability names, as container runtimes and the Kubernetes API spell them (pure). */

/**
 * The capabilities containerd and Docker grant a container by default (containerd's
 * oci.DefaultCapabilities / Docker's defaultCapabilities): "capabilities.add/drop" are applied
 * on top of these.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** Every capability Linux defines (capability.h), without the CAP_ prefix. */
export const ALL_CAPABILITIES: readonly string[] = [
  ...DEFAULT_CAPABILITIES, 'DAC_READ_SEARCH', 'LINUX_IMMUTABLE', 'NET_BROADCAST', 'NET_ADMIN',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'LEASE', 'AUDIT_CONTROL',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON',
  'BPF', 'CHECKPOINT_RESTORE',
];

/** "CAP_NET_ADMIN" and "net_admin" are both NET_ADMIN, as the runtimes accept them. */
export function capabilityName(raw: string): string {
  return raw.toUpperCase().replace(/^CAP_/, '');
}
