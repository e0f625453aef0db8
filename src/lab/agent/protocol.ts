/**
 * The agent's control protocol: JSON lines over a Unix socket, one request per line, one reply
 * per line. Pure: types, request parsing and validation (no node: imports).
 */
import type { Probe, Protocol } from '../../model/types.js';
import { checkProbe } from './probe-check.js';

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
}

export interface PodStatus {
  key: string;
  /** Every container ready. */
  ready: boolean;
  containers: ContainerStatus[];
  /** In spec order; absent entries: not created yet. */
  initContainers?: (ContainerStatus | null)[];
}

export type AgentRequest = { op: 'sync'; pods: PodSpec[] } | { op: 'status' } | { op: 'shutdown' };

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
      if (errors.length > 0) return { error: `sync: ${errors.join('; ')}` };
      return { request: { op: 'sync', pods } };
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
  if (raw.env !== undefined) {
    if (isObject(raw.env) && Object.values(raw.env).every((v) => typeof v === 'string')) {
      c.env = raw.env as Record<string, string>;
    } else errors.push(`${at}.env: must be an object of strings`);
  }
  for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    if (raw[kind] === undefined) continue;
    const probe = checkProbe(raw[kind], `${at}.${kind}`, errors, kind !== 'readinessProbe');
    if (probe) c[kind] = probe;
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
