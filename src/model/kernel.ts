/**
 * Which Linux kernels can keep TX checksum offload on a VXLAN device. Pure: the release string
 * comes from the caller (os.release(), i.e. `uname -r`).
 *
 * The evidence, in order:
 * - Kubernetes #88986 and Calico #3145 (2020): connections to a Service through a VXLAN overlay
 *   stalled for 63 s (seven SYN retransmits). Packets source-NATed with `--random-fully` reached
 *   the VXLAN device with checksum offload on; NAT then rewrote the outer UDP header's zero
 *   checksum into a wrong one and the receiver dropped the packet. The kernel fix (netfilter:
 *   "nat: never update the UDP checksum when it's 0", torvalds/linux@ea64d8d6c675) is in Linux
 *   5.7; some stable trees got it later (5.6.13, 5.4.41, 4.19.123, 4.14.181, as reported in
 *   #88986).
 * - felix #2811 (Calico, 2021): offload off on kernels below 5.7, on from 5.7.
 * - calico #6842 (2022): off on every kernel after regression reports on some hosts (calico #4727,
 *   vSphere VMXNET3 NICs: a driver/firmware issue, not the kernel bug).
 * - calico #8746 (2024): back on above 5.7 — "we've been unable to find an environment where this
 *   needs to be disabled" — with the override `featureDetectOverride: ChecksumOffloadBroken=true`
 *   for a host that still needs it off. (calico #9036 reverted that again a few months later, for
 *   Calico's own fleet; podnet's underlay is a macvlan in a namespace, no NIC driver is involved.)
 * podnet follows felix #2811 / calico #8746: on from 5.7, off below; `--vxlan-checksum-offload`
 * forces either (podnet's ChecksumOffloadBroken). Backports are not detected: a patched 4.19 is
 * treated as old, which only costs throughput, never correctness.
 */

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The first release with the fix: offload is safe from here on. */
export const VXLAN_CSUM_FIXED: KernelVersion = { major: 5, minor: 7, patch: 0 };

/**
 * `uname -r` → version: "6.18.44-fc-v1045" → 6.18.44, "5.7" → 5.7.0, "4.19.0-21-amd64" → 4.19.0,
 * "5.15.0-1034.38~20.04.1-azure" → 5.15.0. Undefined when it does not start with MAJOR.MINOR.
 */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?(?![\d])/.exec(release);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
  return [major, minor, patch].every(Number.isSafeInteger) ? { major, minor, patch } : undefined;
}

export function compareKernel(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export type OffloadSetting = 'on' | 'off' | 'auto';

export interface OffloadDecision {
  offload: boolean;
  /** Why, in a few words, for `up`'s summary. */
  reason: string;
}

/**
 * on/off: as forced. auto: on when the running kernel has the fix (≥ 5.7), off below it and when
 * the release cannot be read (the safe side).
 */
export function decideVxlanChecksumOffload(setting: OffloadSetting, release: string): OffloadDecision {
  if (setting === 'on') return { offload: true, reason: '--vxlan-checksum-offload=on' };
  if (setting === 'off') return { offload: false, reason: '--vxlan-checksum-offload=off' };
  const v = parseKernelRelease(release);
  if (v === undefined) return { offload: false, reason: `kernel release ${JSON.stringify(release)} is not MAJOR.MINOR: assuming it predates the Linux 5.7 fix` };
  return compareKernel(v, VXLAN_CSUM_FIXED) >= 0
    ? { offload: true, reason: `kernel ${release} has the Linux 5.7 fix` }
    : { offload: false, reason: `kernel ${release} predates the Linux 5.7 fix for checksums of source-NATed VXLAN packets` };
}
