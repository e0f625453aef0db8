/**
 * The agent's control protocol: JSON lines over a Unix socket, one request per line, one reply
 * per line. Pure: types, request parsing and validation (no node: imports).
 */
import type { LifecycleHandler, Probe, Protocol } from '../../model/types.js';
import { checkHealthCheck, checkLifecycleHandler } from './health/check.js';
import { ALL_CAPABILITIES } from '../../model/capabilities.js';
import type { ContainerSecurity } from './security.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
const RESTART_POLICIES: readonly string[] = ['Always', 'OnFailure', 'Never'];
const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];

export interface PortSpec {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  /** Built-in server: answer with TLS on this TCP port (an HTTPS probe names it). */
  tls?: boolean;
}

export interface ContainerSpec {
  name: string;
  command?: string[];
  args?: string[];
  /** Set when the built-in server stands in for `command` (its program is not on the host): why. */
  builtin?: string;
  /** Init containers: restartPolicy Always (a sidecar, kept running). */
  sidecar?: boolean;
  env?: Record<string, string>;
  ports: PortSpec[];
  /** Ports already numbers (named ones resolved by the manifest reader). */
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  /** Run before SIGTERM when the pod is deleted gracefully (within its grace period). */
  preStop?: LifecycleHandler;
  /** Resolved credentials (security.ts); absent: root with the runtime's default capabilities. */
  security?: ContainerSecurity;
  /** emptyDir volumes of the pod, by name, at mountPath. */
  volumeMounts?: { name: string; mountPath: string; readOnly: boolean }[];
  /** A stdin for `kubectl attach -i` (command containers): kept open, or closed after the first session. */
  stdin?: 'open' | 'once';
  /** With stdin: run on a pseudo-terminal of its own (native/pty.c), its size from the buffer's resize FIFO. */
  tty?: true;
}

export interface PodSpec {
  /** "namespace/name" */
  key: string;
  /** Opaque: a pod whose key and hash are unchanged across syncs is left untouched. */
  hash: string;
  namespace: string;
  name: string;
  node: string;
  ip: string;
  /** null: hostNetwork, the pod runs in its node's namespace. */
  netns: string | null;
  containers: ContainerSpec[];
  /** Run in order, each to completion (sidecars: started), before `containers`. */
  initContainers?: ContainerSpec[];
  restartPolicy?: RestartPolicy;
  /** spec.hostname when given (the UTS hostname); else the pod's name. */
  hostname?: string;
  /** The pod's emptyDir volumes (names). */
  volumes?: string[];
  fsGroup?: number;
  /** One of podnet's own pods (cluster DNS, ingress controller): its sandbox shows the lab's state, read-only. */
  system?: boolean;
}

export type ContainerKind = 'builtin' | 'command';
export type ContainerState = 'running' | 'exited' | 'waiting';

export interface ContainerStatus {
  name: string;
  kind: ContainerKind;
  state: ContainerState;
  restarts: number;
  /** Running, started (startupProbe passed) and passing its readinessProbe, if any. */
  ready: boolean;
  /** Running and past its startupProbe (kubelet's `started`). */
  started: boolean;
  pid?: number;
  exitCode?: number;
  /** When it last started running (RFC 3339): a pod's containerStatuses[].state.running.startedAt. */
  startedAt?: string;
  /** Why a container that may not start is waiting (e.g. runAsNonRoot and uid 0). */
  message?: string;
  /** How its previous run ended (a pod's containerStatuses[].lastState.terminated). */
  lastTermination?: { exitCode: number; startedAt?: string; finishedAt: string };
  /** The kubelet's kills for a failed liveness or startup probe (its Killing events): how many, first and last (RFC 3339). */
  probeKills?: Partial<Record<'liveness' | 'startup', { count: number; first: string; last: string }>>;
}

export interface PodStatus {
  key: string;
  /** Every container ready. */
  ready: boolean;
  containers: ContainerStatus[];
  /** In spec order; absent entries: not created yet. */
  initContainers?: (ContainerStatus | null)[];
  /** Being deleted gracefully (a sync's `terminate`): its containers were sent SIGTERM. */
  terminating?: true;
  /** Terminating, and every container has stopped: the pod can go. */
  stopped?: true;
}

/** A pod to delete gracefully: each container gets `graceMs` between SIGTERM and SIGKILL. */
export interface PodTermination { key: string; graceMs: number }

/**
 * sync: the node's pods. Those in `pods` run (as specified); those in `terminate` are stopped in
 * the background and reported until a later sync names them no more; any other is stopped at once.
 */
export type AgentRequest = { op: 'sync'; pods: PodSpec[]; terminate?: PodTermination[] } | { op: 'status' } | { op: 'shutdown' };

export type AgentReply =
  | { ok: true; pods: PodStatus[] }
  | { ok: false; error: string; pods?: PodStatus[] };

/**
 * A container runs a command when it has a non-empty `command`. Without one it runs podnet's
 * built-in server whatever its image — `args` alone are arguments for an image entrypoint
 * podnet does not have (e.g. agnhost's `args: [netexec]`), so they do not make it a command.
 */
export function isCommandContainer(c: ContainerSpec): boolean {
  return c.builtin === undefined && c.command !== undefined && c.command.length > 0;
}

/** The argv a command container runs: command then args. */
export function containerArgv(c: ContainerSpec): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])];
}

export function parseRequest(line: string): { request: AgentRequest } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { error: 'request is not valid JSON' };
  }
  if (!isObject(raw)) return { error: 'request must be a JSON object' };
  switch (raw.op) {
    case 'status':
    case 'shutdown':
      return { request: { op: raw.op } };
    case 'sync': {
      if (!Array.isArray(raw.pods)) return { error: 'sync: pods must be an array' };
      const errors: string[] = [];
      const pods = raw.pods.map((p, i) => checkPod(p, `pods[${i}]`, errors));
      const seen = new Set<string>();
      for (const p of pods) {
        if (seen.has(p.key)) errors.push(`duplicate pod key ${p.key}`);
        seen.add(p.key);
      }
      const terminate: PodTermination[] = [];
      if (raw.terminate !== undefined) {
        if (!Array.isArray(raw.terminate)) errors.push('terminate must be an array');
        else raw.terminate.forEach((t, i) => {
          const key = isObject(t) ? t.key : undefined;
          const graceMs = isObject(t) ? t.graceMs : undefined;
          if (typeof key !== 'string' || key === '') errors.push(`terminate[${i}].key must be a non-empty string`);
          else if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) errors.push(`terminate[${i}].graceMs must be a number ≥ 0`);
          else if (seen.has(key)) errors.push(`terminate[${i}]: pod ${key} is also to run`);
          else terminate.push({ key, graceMs });
        });
      }
      if (errors.length > 0) return { error: `sync: ${errors.join('; ')}` };
      return { request: { op: 'sync', pods, ...(terminate.length > 0 ? { terminate } : {}) } };
    }
    default:
      return { error: `unknown op ${JSON.stringify(raw.op)}` };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, field: string, at: string, errors: string[]): string {
  const v = o[field];
  if (typeof v === 'string' && v !== '') return v;
  errors.push(`${at}.${field}: must be a non-empty string`);
  return '';
}

function strArray(v: unknown, at: string, errors: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  errors.push(`${at}: must be an array of strings`);
  return undefined;
}

/** Validates one PodSpec, pushing every problem (with its path) to `errors`. */
function checkPod(raw: unknown, at: string, errors: string[]): PodSpec {
  if (!isObject(raw)) {
    errors.push(`${at}: must be an object`);
    return { key: '', hash: '', namespace: '', name: '', node: '', ip: '', netns: null, containers: [] };
  }
  const pod: PodSpec = {
    key: str(raw, 'key', at, errors),
    hash: typeof raw.hash === 'string' ? raw.hash : (errors.push(`${at}.hash: must be a string`), ''),
    namespace: str(raw, 'namespace', at, errors),
    name: str(raw, 'name', at, errors),
    node: str(raw, 'node', at, errors),
    ip: typeof raw.ip === 'string' ? raw.ip : (errors.push(`${at}.ip: must be a string`), ''),
    netns: raw.netns === null ? null : str(raw, 'netns', at, errors),
    containers: [],
  };
  if (pod.key !== '' && pod.key !== `${pod.namespace}/${pod.name}`) {
    errors.push(`${at}.key: must be "${pod.namespace}/${pod.name}"`);
  }
  if (raw.restartPolicy !== undefined) {
    if (typeof raw.restartPolicy === 'string' && RESTART_POLICIES.includes(raw.restartPolicy)) {
      pod.restartPolicy = raw.restartPolicy as RestartPolicy;
    } else errors.push(`${at}.restartPolicy: must be Always, OnFailure or Never`);
  }
  if (raw.hostname !== undefined) pod.hostname = str(raw, 'hostname', at, errors);
  if (raw.system !== undefined) pod.system = raw.system === true;
  if (raw.fsGroup !== undefined) pod.fsGroup = id(raw.fsGroup, `${at}.fsGroup`, errors);
  if (raw.volumes !== undefined) {
    const volumes = strArray(raw.volumes, `${at}.volumes`, errors) ?? [];
    for (const v of volumes) if (!VOLUME_NAME.test(v)) errors.push(`${at}.volumes: ${JSON.stringify(v)} is not a volume name`);
    pod.volumes = volumes;
  }
  if (!Array.isArray(raw.containers) || raw.containers.length === 0) {
    errors.push(`${at}.containers: must be a non-empty array`);
    return pod;
  }
  pod.containers = raw.containers.map((c, i) => checkContainer(c, `${at}.containers[${i}]`, errors));
  if (raw.initContainers !== undefined) {
    if (!Array.isArray(raw.initContainers)) errors.push(`${at}.initContainers: must be an array`);
    else pod.initContainers = raw.initContainers.map((c, i) => checkContainer(c, `${at}.initContainers[${i}]`, errors));
  }
  const names = [...pod.containers, ...(pod.initContainers ?? [])].map((c) => c.name);
  if (new Set(names).size !== names.length) errors.push(`${at}.containers: names must be unique`);
  return pod;
}

function checkContainer(raw: unknown, at: string, errors: string[]): ContainerSpec {
  if (!isObject(raw)) {
    errors.push(`${at}: must be an object`);
    return { name: '', ports: [] };
  }
  const c: ContainerSpec = { name: str(raw, 'name', at, errors), ports: [] };
  const command = strArray(raw.command, `${at}.command`, errors);
  const args = strArray(raw.args, `${at}.args`, errors);
  if (command) c.command = command;
  if (args) c.args = args;
  if (typeof raw.builtin === 'string') c.builtin = raw.builtin;
  if (raw.sidecar === true) c.sidecar = true;
  if (raw.stdin !== undefined) {
    if (raw.stdin === 'open' || raw.stdin === 'once') c.stdin = raw.stdin;
    else errors.push(`${at}.stdin: must be "open" or "once"`);
  }
  if (raw.tty !== undefined) {
    if (raw.tty === true && c.stdin) c.tty = true;
    else errors.push(`${at}.tty: must be true, with stdin`);
  }
  if (raw.env !== undefined) {
    if (isObject(raw.env) && Object.values(raw.env).every((v) => typeof v === 'string')) {
      c.env = raw.env as Record<string, string>;
    } else errors.push(`${at}.env: must be an object of strings`);
  }
  for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    if (raw[kind] === undefined) continue;
    const probe = checkHealthCheck(raw[kind], `${at}.${kind}`, errors, kind !== 'readinessProbe');
    if (probe) c[kind] = probe;
  }
  if (raw.preStop !== undefined) {
    const hook = checkLifecycleHandler(raw.preStop, `${at}.preStop`, errors);
    if (hook) c.preStop = hook;
  }
  if (raw.security !== undefined) {
    const sec = checkSecurity(raw.security, `${at}.security`, errors);
    if (sec) c.security = sec;
  }
  if (raw.volumeMounts !== undefined) {
    if (!Array.isArray(raw.volumeMounts)) errors.push(`${at}.volumeMounts: must be an array`);
    else {
      c.volumeMounts = raw.volumeMounts.flatMap((m, i) => {
        const mat = `${at}.volumeMounts[${i}]`;
        if (!isObject(m) || typeof m.name !== 'string' || !VOLUME_NAME.test(m.name) || typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/') || m.mountPath.split('/').includes('..')) {
          errors.push(`${mat}: must be {name, mountPath (absolute, no ".."), readOnly}`);
          return [];
        }
        return [{ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly === true }];
      });
    }
  }
  const ports = raw.ports ?? [];
  if (!Array.isArray(ports)) {
    errors.push(`${at}.ports: must be an array`);
    return c;
  }
  ports.forEach((p, i) => {
    const pat = `${at}.ports[${i}]`;
    if (!isObject(p)) return void errors.push(`${pat}: must be an object`);
    const n = p.containerPort;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
      return void errors.push(`${pat}.containerPort: must be an integer 1-65535`);
    }
    const protocol = p.protocol ?? 'TCP';
    if (typeof protocol !== 'string' || !PROTOCOLS.includes(protocol)) {
      return void errors.push(`${pat}.protocol: must be TCP, UDP or SCTP`);
    }
    const port: PortSpec = { containerPort: n, protocol: protocol as Protocol };
    if (typeof p.name === 'string') port.name = p.name;
    if (p.tls === true) port.tls = true;
    c.ports.push(port);
  });
  return c;
}

const VOLUME_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function id(v: unknown, at: string, errors: string[]): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2147483647) return v;
  errors.push(`${at}: must be an integer 0-2147483647`);
  return 0;
}

function checkSecurity(raw: unknown, at: string, errors: string[]): ContainerSecurity | undefined {
  if (!isObject(raw)) return void errors.push(`${at}: must be an object`);
  const groups = Array.isArray(raw.groups) ? raw.groups.map((g, i) => id(g, `${at}.groups[${i}]`, errors)) : (errors.push(`${at}.groups: must be an array`), []);
  const caps = Array.isArray(raw.capabilities) ? raw.capabilities : [];
  if (!caps.every((c) => typeof c === 'string' && ALL_CAPABILITIES.includes(c))) errors.push(`${at}.capabilities: must be capability names`);
  return {
    uid: id(raw.uid, `${at}.uid`, errors),
    gid: id(raw.gid, `${at}.gid`, errors),
    groups,
    capabilities: caps as string[],
    readOnlyRootFilesystem: raw.readOnlyRootFilesystem === true,
    runAsNonRoot: raw.runAsNonRoot === true,
    userSet: raw.userSet === true,
    privileged: raw.privileged === true,
  };
}
