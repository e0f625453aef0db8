/** Shared CLI plumbing: reading -f inputs, printing notes, turning errors into exit codes. */
import { readCluster, type ReadOptions } from '../api/cluster.js';
import { withDefaultNamespace } from '../api/default-namespace.js';
import { readManifests } from '../api/load.js';
import { formatProblem, InputError } from '../api/problems.js';
import type { Cluster, Protocol } from '../model/types.js';
import { PROTOCOLS } from '../model/types.js';

/** Exit code for invalid input (manifests or arguments). */
export const EXIT_INPUT = 2;

/** A usage error: bad flags or arguments. Printed without a stack, exit code 2. */
export class UsageError extends Error {}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Loads and translates every -f path; notes (skipped kinds, warnings) go to stderr. */
export function loadCluster(paths: readonly string[] | undefined, options: ReadOptions = {}, flag = '-f', namespace?: string): Cluster {
  if (!paths || paths.length === 0) throw new UsageError(`at least one ${flag} PATH is required`);
  // Every problem at once: unreadable files and invalid objects in the readable ones.
  const { objects, problems } = readManifests(paths);
  let cluster: Cluster;
  try {
    cluster = readCluster(withDefaultNamespace(objects, namespace), options);
  } catch (e) {
    if (e instanceof InputError && problems.length > 0) throw new InputError([...problems, ...e.problems]);
    throw e;
  }
  if (problems.length > 0) throw new InputError(problems);
  for (const note of cluster.notes) process.stderr.write(`podnet: ${note}\n`);
  return cluster;
}

export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new UsageError(`--port: ${JSON.stringify(text)} is not a port number (1-65535)`);
  return Number(text);
}

export function parseProtocol(text: string | undefined): Protocol {
  if (text === undefined) return 'TCP';
  const upper = text.toUpperCase();
  if (!PROTOCOLS.includes(upper as Protocol)) throw new UsageError(`--protocol: ${JSON.stringify(text)} is not one of TCP, UDP, SCTP`);
  return upper as Protocol;
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** Runs a command body; user errors print cleanly and set the exit code, never a stack trace. */
export async function run(body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof InputError) {
      for (const p of e.problems) process.stderr.write(`error: ${formatProblem(p)}\n`);
      process.stderr.write(`podnet: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'} found; nothing was done\n`);
      process.exitCode = EXIT_INPUT;
    } else if (e instanceof UsageError || (e instanceof Error && e.name === 'LabError')) {
      process.stderr.write(`podnet: ${e.message}\n`);
      process.exitCode = EXIT_INPUT;
    } else {
      process.stderr.write(`podnet: internal error: ${(e as Error).message}\n`);
      if (process.env.PODNET_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = 1;
    }
  }
}

export function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration (`30s`, `1m30s`, `1.5s`, `500ms`) in milliseconds; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration (30s, 2m, 1m30s, 500ms)`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2]], 0);
}
