/**
 * A container's credentials, resolved from the pod's and the container's securityContext the way
 * a container runtime does (pure). The "image" is the host's filesystem, whose user is root: a
 * container without runAsUser runs as uid 0 (with the runtime's default capabilities only).
 */
import type { SecurityFields } from '../../model/types.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, capabilityName } from '../../model/capabilities.js';

export { ALL_CAPABILITIES, DEFAULT_CAPABILITIES };

/**
 * Capabilities a pod may add. Every container shares the host's kernel and user namespace, so
 * the others (SYS_ADMIN, SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, BPF, …) are power over the
 * host itself, not over a container: podnet refuses them. NET_ADMIN is the pod's own network
 * namespace — except in a hostNetwork pod, where it would be the node's data plane.
 */
const ADDABLE = new Set([...DEFAULT_CAPABILITIES, 'NET_ADMIN', 'NET_BROADCAST', 'IPC_LOCK', 'IPC_OWNER', 'SYS_NICE', 'SYS_RESOURCE', 'LEASE', 'WAKE_ALARM', 'BLOCK_SUSPEND']);

/** What the sandbox applies to one container. */
export interface ContainerSecurity {
  uid: number;
  gid: number;
  /** Supplementary groups (supplementalGroups, then fsGroup). */
  groups: number[];
  /** The bounding set (and, for uid 0, the effective set), upper-case without CAP_. */
  capabilities: string[];
  readOnlyRootFilesystem: boolean;
  runAsNonRoot: boolean;
  /** runAsUser was given (kubelet words its refusal differently then). */
  userSet: boolean;
  privileged: boolean;
}

/**
 * Container fields override the pod's ("settings in the container's securityContext take
 * precedence over the pod's"); groups are pod-level only.
 */
export function resolveSecurity(pod: SecurityFields | undefined, container: SecurityFields | undefined): ContainerSecurity {
  const pick = <K extends keyof SecurityFields>(k: K): SecurityFields[K] => container?.[k] ?? pod?.[k];
  const uid = pick('runAsUser') ?? 0;
  const groups = [...(pod?.supplementalGroups ?? [])];
  if (pod?.fsGroup !== undefined && !groups.includes(pod.fsGroup)) groups.push(pod.fsGroup);
  return {
    uid,
    // The image's group for its user: root's is 0, and an unknown user's is 0 too (runc's default).
    gid: pick('runAsGroup') ?? 0,
    groups,
    capabilities: capabilitySet(container?.capabilities, container?.privileged === true),
    readOnlyRootFilesystem: container?.readOnlyRootFilesystem === true,
    runAsNonRoot: pick('runAsNonRoot') === true,
    userSet: pick('runAsUser') !== undefined,
    privileged: container?.privileged === true,
  };
}

/** The runtime default set, minus drop, plus add ("ALL" in drop empties it first); privileged: all. */
export function capabilitySet(caps: SecurityFields['capabilities'], privileged: boolean): string[] {
  if (privileged) return [...ALL_CAPABILITIES];
  const add = (caps?.add ?? []).map(capabilityName);
  const drop = (caps?.drop ?? []).map(capabilityName);
  const base = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
  const set = new Set(base);
  for (const c of add.includes('ALL') ? ALL_CAPABILITIES : add) set.add(c);
  return ALL_CAPABILITIES.filter((c) => set.has(c));
}

/**
 * Why a container must not start, in kubelet's words where kubelet refuses it too
 * (kuberuntime verifyRunAsNonRoot), or undefined. `pod` is kubelet's "name_namespace".
 */
export function refusal(sec: ContainerSecurity, pod: string, container: string, hostNetwork: boolean): string | undefined {
  if (sec.runAsNonRoot && sec.uid === 0 && sec.userSet) {
    return `container's runAsUser breaks non-root policy (pod: "${pod}", container: ${container})`;
  }
  if (sec.runAsNonRoot && sec.uid === 0) {
    return `container has runAsNonRoot and image will run as root (pod: "${pod}", container: ${container})`;
  }
  if (sec.privileged) {
    return `container ${container} of pod "${pod}" is privileged: on podnet that is the whole host (containers share its kernel and user namespace), so podnet does not run privileged containers`;
  }
  const extra = sec.capabilities.filter((c) => !ADDABLE.has(c) || (hostNetwork && c === 'NET_ADMIN'));
  if (extra.length > 0) {
    return `container ${container} of pod "${pod}" asks for ${extra.map((c) => `CAP_${c}`).join(', ')}: on podnet that is power over the host (containers share its kernel and user namespace), so podnet does not grant it`;
  }
  return undefined;
}
