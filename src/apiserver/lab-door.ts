/**
 * The API's door into the lab: a write (create, update, patch, delete) becomes a change of the
 * lab's objects and goes through the same path as `podnet apply` — translated and checked, then
 * reconciled under the lab's lock — after which the store follows the lab (`afterWrite`).
 *
 * Writes that arrive while a reconcile runs wait and go together in the next one (client
 * libraries write in parallel); two writes of the same object never share one, so each sees the
 * other's result (a resourceVersion precondition, a patch, is checked against the stored object).
 */
import { rawObjectKey } from '../api/default-namespace.js';
import type { RawObject } from '../api/load.js';
import { InputError } from '../api/problems.js';
import type { Host } from '../host/host.js';
import { checkObjects, LabError, reconcile, type ReconcileReport } from '../lab/lab.js';
import { LabBusyError, withLabLock } from '../lab/lock.js';
import { loadState } from '../lab/state.js';
import { ApiError } from './errors.js';

/** One object put (as the lab keeps it) or removed, by its raw key (rawObjectKey). */
export interface Change { key: string; obj?: Record<string, unknown> }
/** Works out a write's changes from the lab's objects as they will be; may throw an ApiError. */
export type Compute = (objects: readonly RawObject[]) => Change[];
export interface WriteOutcome { warnings: string[] }
export interface WriteDoor { write(compute: Compute, dryRun: boolean): Promise<WriteOutcome> }

/** Where API writes come from in messages (the file of a RawObject). */
export const API_SOURCE = '<kubernetes API request>';

export function applyChanges(objects: readonly RawObject[], changes: readonly Change[]): RawObject[] {
  const gone = new Set(changes.map((c) => c.key));
  const kept = objects.filter((o) => !gone.has(rawObjectKey(o)));
  const added = changes.flatMap((c) => (c.obj ? [{ obj: c.obj, source: { file: API_SOURCE, doc: 0 }, prefix: '' }] : []));
  return [...kept, ...added];
}

/**
 * What the lab's apply path throws, as the API answers it: a translation problem is a 422
 * Invalid with one cause per field; a pod no node takes is refused as admission refuses (403);
 * a lab busy for longer than the lock wait is a 504 Timeout. ApiErrors pass as they are.
 */
export function asApiError(e: unknown): unknown {
  if (e instanceof InputError) {
    const [kind, name] = (e.problems[0]?.object ?? '').split(' ');
    return new ApiError(422, 'Invalid', e.message.replaceAll(`${API_SOURCE}: `, ''), {
      name: name?.split('/').pop() ?? '', kind: kind ?? '', causes: e.problems.map((p) => ({ reason: 'FieldValueInvalid', message: p.message, field: p.path ?? '' })),
    });
  }
  if (e instanceof LabBusyError) return new ApiError(504, 'Timeout', e.message);
  if (e instanceof LabError) return new ApiError(403, 'Forbidden', e.message);
  return e;
}

function warningsOf(report: ReconcileReport): string[] {
  return [
    ...report.podProblems.map((p) => `pod not started: ${p}`),
    ...report.serviceProblems,
    ...report.notListening.map((p) => `${p} is declared but nothing listens on it yet`),
  ];
}

interface Pending { compute: Compute; resolve: (o: WriteOutcome) => void; reject: (e: unknown) => void }

export class LabDoor implements WriteDoor {
  private queue: Pending[] = [];
  private draining = false;

  constructor(private readonly lab: string, private readonly host: Host, private readonly afterWrite: () => Promise<void>) {}

  write(compute: Compute, dryRun: boolean): Promise<WriteOutcome> {
    if (dryRun) return Promise.resolve().then(() => this.dryRun(compute)).catch((e: unknown) => Promise.reject(asApiError(e)));
    return new Promise((resolve, reject) => {
      this.queue.push({ compute, resolve, reject: (e) => reject(asApiError(e)) });
      void this.drain();
    });
  }

  /** "the request is processed as usual, but nothing is persisted": translated and checked only. */
  private dryRun(compute: Compute): WriteOutcome {
    const state = this.state();
    checkObjects(state, applyChanges(state.objects, compute(state.objects)));
    return { warnings: [] };
  }

  private state() {
    const state = loadState(this.lab);
    if (!state) throw new LabError(`the lab ${JSON.stringify(this.lab)} has no state: it is going down`);
    return state;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) await this.batch(this.queue.splice(0));
    } finally {
      this.draining = false;
    }
  }

  private async batch(batch: Pending[]): Promise<void> {
    const accepted: Pending[] = [];
    try {
      const report = await withLabLock(this.lab, 'kubectl (the lab\'s API server)', async () => {
        const state = this.state(); // under the lock: `podnet apply` may have changed it
        let objects = state.objects;
        const touched = new Set<string>();
        for (const [i, w] of batch.entries()) {
          let changes: Change[];
          try {
            changes = w.compute(objects);
            if (changes.some((c) => touched.has(c.key))) {
              this.queue.unshift(...batch.slice(i));
              break; // the same object twice: the rest waits for the next reconcile
            }
            const next = applyChanges(objects, changes);
            checkObjects(state, next);
            objects = next;
          } catch (e) {
            w.reject(e);
            continue;
          }
          for (const c of changes) touched.add(c.key);
          accepted.push(w);
        }
        return accepted.length > 0 ? await reconcile(this.host, state, objects) : null;
      });
      await this.afterWrite();
      const warnings = report ? warningsOf(report) : [];
      for (const w of accepted) w.resolve({ warnings });
    } catch (e) {
      for (const w of accepted) w.reject(e);
      // Writes not yet looked at when the lock could not be taken fail with the same error.
      for (const w of batch) if (!accepted.includes(w) && !this.queue.includes(w)) w.reject(e);
    }
  }
}
