/**
 * A container's log file holds all its runs, one after the other (kubelet keeps a file per
 * container instance; podnet keeps one per container and an index): `<log>.runs` has the byte
 * offset where each run began, one per line, appended by the agent as it starts the run. From it
 * `kubectl logs` serves the current instance and, with `--previous`, the one before it.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';

export const runsPath = (logPath: string): string => `${logPath}.runs`;

/** Notes that a new run begins at the log's current end. Best effort: logs never stop a container. */
export function recordRunStart(logPath: string): void {
  try {
    appendFileSync(runsPath(logPath), `${statSync(logPath, { throwIfNoEntry: false })?.size ?? 0}\n`, { mode: 0o600 });
  } catch {
    /* the log's reader then sees one run */
  }
}

/** The recorded run starts (unreadable or torn lines left out; never decreasing). */
export function runStarts(logPath: string): number[] {
  const file = runsPath(logPath);
  if (!existsSync(file)) return [];
  const out: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!/^\d+$/.test(line)) continue;
    const n = Number(line);
    if (out.length === 0 || n >= out[out.length - 1]) out.push(n);
  }
  return out;
}

export type Instance = 'current' | 'previous';

/**
 * The bytes [start, end) of one instance in a log of `size` bytes whose runs began at `starts`
 * (end null: to the end of the file, still growing); null when there is no such instance. What
 * came before the first recorded start (notes about the container) belongs to the first run; a
 * log without an index is one run. Pure.
 */
export function instanceRange(starts: readonly number[], which: Instance): { start: number; end: number | null } | null {
  const begins = [0, ...starts.slice(1)];
  const n = begins.length;
  if (which === 'current') return { start: begins[n - 1], end: null };
  return n >= 2 ? { start: begins[n - 2], end: begins[n - 1] } : null;
}
