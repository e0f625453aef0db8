/**
 * A lab's state on disk: one directory per lab under the state root, `lab.json` written
 * atomically (temporary file, fsync, rename), so a crash leaves the old or the new state.
 */
import { closeSync, constants as fsConstants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RawObject } from '../api/load.js';
import { LAB_NAME, type LabConfig, type LabNode, type PlacedPod, type TerminatingPod } from '../model/lab.js';
import type { ServiceAllocation, ServiceTable } from '../model/service-table.js';
import type { Upstream } from '../model/dns-upstream.js';
import type { SyncStats } from '../metrics/render.js';
import type { AppliedEndpoints } from '../model/endpoints.js';
import type { EndpointSlice } from '../model/types.js';
import type { AttachmentRecord } from './attachments.js';


const STATE_FILE = 'lab.json';
export const STATE_VERSION = 1;

export interface LabState {
  version: number;
  config: LabConfig;
  phase: 'creating' | 'ready' | 'failed';
  createdAt: string;
  nodes: LabNode[];
  placements: PlacedPod[];
  /** Pods deleted gracefully, until their containers stopped (lab/terminating.ts). */
  terminating?: TerminatingPod[];
  /** The desired objects, as applied (level-triggered: the whole set is reconciled each time). */
  objects: RawObject[];
  /** "ns/name" → what allocation gave each Service (cluster IP, node ports, LB IP); kept across apply. */
  serviceAllocations?: Record<string, ServiceAllocation>;
  /** Pods of workloads deleted through the API ("ns/name", newest last, at most 10,000): their
   *  replacements are named past them (api/kinds/workloads.ts). */
  replacedPods?: string[];
  /** The EndpointSlices the last Services sync derived (proxy/sync.ts): what cluster DNS answers from. */
  endpointSlices?: EndpointSlice[];
  /** The service table every node's nftables holds; null/absent: the next sync is a full one. */
  proxyTable?: ServiceTable | null;
  /** LoadBalancer IP → node IP: /32 routes on the host link for externalTrafficPolicy Local. */
  lbRoutes?: Record<string, string>;
  /**
   * Cluster DNS's way out: the upstreams `--dns-upstream` stood for at `up` (none: SERVFAIL), and
   * the PID of the forwarder relaying to them (src/dns/forwarder.ts).
   */
  dnsForwarder?: { upstreams: Upstream[]; pid?: number };
  /** The pods' readiness the Services rules reflect, and the sync that applied it. */
  endpoints?: AppliedEndpoints;
  /** The last reconcile's sync durations and sizes (served by /metrics). */
  sync?: SyncStats;
  /** The monitor process (flows collector, /metrics on 127.0.0.1:port): src/lab/monitor.ts. */
  monitor?: { pid: number; port: number };
  /** "ns/pod" → its secondary network attachments (src/lab/attachments.ts), in order. */
  attachments?: Record<string, AttachmentRecord[]>;
  /** "ns/pod" → why its attachments could not be added (the plugin's CNI error); it does not start. */
  attachmentFailures?: Record<string, string>;
}

export function stateRoot(): string {
  return process.env.PODNET_STATE_ROOT ?? '/run/podnet';
}

/**
 * The lab's own directory. Every path of a lab goes through here, so a name that is not a valid
 * lab name (e.g. "..", "a/b") is refused before anything is read, written or removed.
 */
export function labDir(lab: string): string {
  if (!LAB_NAME.test(lab)) throw new LabNameError(lab);
  const root = stateRoot();
  checkStateDir(root, 'state root (PODNET_STATE_ROOT)');
  const dir = join(root, lab);
  checkStateDir(dir, 'lab directory');
  return dir;
}

/**
 * podnet runs as root and trusts what it finds in its state (PIDs it signals, sockets it talks
 * to, commands it starts): a directory someone else could change is refused — a symlink, one
 * owned by another user than root (or the user running podnet), or one group/others may write.
 * An absent one is fine: podnet makes it, mode 0700.
 */
export function checkStateDir(path: string, what: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  const refuse = (why: string): never => {
    throw new StateDirError(`${what} ${path} ${why}: refused`);
  };
  if (st.isSymbolicLink()) refuse('is a symbolic link');
  if (!st.isDirectory()) refuse('is not a directory');
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) refuse(`is owned by uid ${st.uid}, not root`);
  if ((st.mode & 0o022) !== 0) refuse(`is writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; chmod go-w)`);
}

export class StateDirError extends Error {
  override name = 'LabError';
}

export class LabNameError extends Error {
  override name = 'LabError';
  constructor(lab: string) {
    super(`--name: ${JSON.stringify(lab)} is not a lab name (1-11 characters: lowercase letters, digits, '-', starting with a letter)`);
  }
}

/** Flags for every file podnet creates in its state: a new file only, never through a symlink. */
export const CREATE_EXCLUSIVE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

/**
 * Writes the file whole or not at all (a new file renamed over the old one). `durable`: flushed to
 * disk before the rename; false only for files a crash may lose or truncate harmlessly (a cache
 * that is checked before use).
 */
export function writeFileAtomic(path: string, text: string | Uint8Array, mode = 0o600, durable = true): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const fd = openSync(tmp, CREATE_EXCLUSIVE, mode);
  try {
    if (typeof text === 'string') writeSync(fd, text);
    else writeSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** The lab's state file. */
export function stateFilePath(lab: string): string {
  return join(labDir(lab), STATE_FILE);
}

export function saveState(state: LabState): void {
  mkdirSync(labDir(state.config.name), { recursive: true, mode: 0o700 });
  writeFileAtomic(stateFilePath(state.config.name), `${JSON.stringify(state)}\n`);
}

/**
 * The one reader of a state file, for the CLI and for every process of the lab (DNS, ingress,
 * monitor, API server, endpoints controller): its text (for cheap change detection) and the
 * state. Throws an Error naming the file when it cannot be read, is not JSON, or was written by
 * another version of podnet (its layout is not this one's).
 */
export function readStateFile(path: string): { text: string; state: LabState } {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not a podnet state file (${(e as Error).message})`);
  }
  const version = typeof parsed === 'object' && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  if (version !== STATE_VERSION) throw new Error(`${path}: state version ${JSON.stringify(version ?? null)}, this podnet reads version ${STATE_VERSION}`);
  return { text, state: parsed as LabState };
}

/** The lab's state, or null when there is none (or it cannot be read: `down` still cleans up). */
export function loadState(lab: string): LabState | null {
  const path = stateFilePath(lab);
  if (!existsSync(path)) return null;
  try {
    return readStateFile(path).state;
  } catch {
    return null;
  }
}

export function listLabs(): string[] {
  const root = stateRoot();
  checkStateDir(root, 'state root (PODNET_STATE_ROOT)');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && LAB_NAME.test(d.name))
    .map((d) => d.name)
    .sort();
}

export function removeLabDir(lab: string): void {
  rmSync(labDir(lab), { recursive: true, force: true });
}

/**
 * For the lab's own processes (DNS server, ingress controller, monitor): the lab directory they
 * were started for (PODNET_STATE_DIR) and its state file; exits 2 when it is not set.
 */
export function processLabFiles(program: string): { stateDir: string; stateFile: string } {
  const stateDir = process.env.PODNET_STATE_DIR;
  if (!stateDir) {
    process.stderr.write(`podnet ${program}: PODNET_STATE_DIR is not set\n`);
    process.exit(2);
  }
  return { stateDir, stateFile: join(stateDir, STATE_FILE) };
}

