/**
 * The API's door into the lab. A write (create, update, patch, delete) becomes a change of the
 * lab's objects, checked as `podnet apply` checks them (translation, scheduler) against the
 * lab's objects with every earlier accepted write on top. An accepted change is appended to
 * <state>/api/pending.jsonl (journal.ts) before the write is answered: as on a cluster, a write
 * is stored first and acted on afterwards. A background loop then reconciles the lab — as
 * `podnet apply` does, under the lab's lock — with every pending change at once, and drops
 * them from the file when the lab has them. Writes that arrive meanwhile wait for the next
 * round, so a stream of writes (kubectl apply of many objects) costs a few reconciles, not one
 * each. The file's base is what the last round left pending; each write after it is one line
 * (its changes), appended all or nothing. A round that fails is retried (level-triggered)
 * until a later write or `podnet apply` makes the objects acceptable again; the API process
 * restarted reconciles what was pending.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { rawObjectKey } from '../api/default-namespace.js';
import type { RawObject } from '../api/load.js';
import { InputError } from '../api/problems.js';
import type { Host } from '../host/host.js';
import { checkObjects, LabError, reconcile } from '../lab/lab.js';
import { LabBusyError, withLabLock } from '../lab/lock.js';
import { loadState, stateFilePath, type LabState } from '../lab/state.js';
import { ApiError } from './errors.js';
import { Journal, readJournal } from './journal.js';
import { Rounds } from './rounds.js';

/**
 * One object put (as the lab keeps it) or removed, by its raw key (rawObjectKey); or, with
 * `replace`, a workload's pod deleted ("ns/name"): its controller makes a new one.
 */
export interface Change {
  key: string;
  obj?: Record<string, unknown>;
  replace?: true;
  /** A pod's deletion: its grace period in seconds (0: at once; lab/terminating.ts). */
  grace?: number;
}

/** How many deleted pod names a lab remembers (their replacements are named past them). */
const REPLACED_KEPT = 10_000;
/** Works out a write's changes from the lab's objects as they will be; may throw an ApiError. */
export type Compute = (objects: readonly RawObject[]) => Change[];
export interface WriteOutcome { warnings: string[] }
export interface WriteDoor { write(compute: Compute, dryRun: boolean): Promise<WriteOutcome> }

/** The journal of accepted writes the lab has not applied yet. */
export function pendingFile(stateDir: string): string {
  return join(stateDir, 'api', 'pending.jsonl');
}

/** How many accepted writes the lab has not applied yet (0 without a file): for tests and benches. */
export function pendingWrites(stateDir: string): number {
  const read = readJournal<Change[], Change[]>(pendingFile(stateDir));
  return read ? read.base.length + read.changes.flat().length : 0;
}

/** Where API writes come from in messages (the file of a RawObject). */
export const API_SOURCE = '<kubernetes API request>';

/** The objects with the changes made in order (a put replaces by key, and goes last); O(objects + changes). */
export function applyChanges(objects: readonly RawObject[], changes: readonly Change[]): RawObject[] {
  const byKey = new Map<string, RawObject>();
  for (const o of objects) byKey.set(rawObjectKey(o), o);
  for (const c of changes) {
    if (c.replace) continue;
    byKey.delete(c.key);
    if (c.obj) byKey.set(c.key, { obj: c.obj, source: { file: API_SOURCE, doc: 0 }, prefix: '' });
  }
  return [...byKey.values()];
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

/** The grace periods the batch's pod deletions asked for, by "ns/name" (the last one counts). */
function gracePeriods(batch: readonly Change[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of batch) {
    if (c.grace === undefined || c.obj) continue;
    if (c.replace) out.set(c.key, c.grace);
    else if (c.key.startsWith('Pod/')) out.set(c.key.slice('Pod/'.length), c.grace);
  }
  return out;
}

const RETRY_MS = 2_000;
/** A round starts once writes pause for QUIET_MS, or MAX_WAIT_MS after the first write waiting (rounds.ts). */
const QUIET_MS = 100;
const MAX_WAIT_MS = 1_000;

export class LabDoor implements WriteDoor {
  private pending: Change[];
  /** The base: what the last round left pending; then one line per write (its changes). */
  private readonly journal: Journal<Change[], Change[]>;
  private readonly rounds = new Rounds(() => this.round(), QUIET_MS, MAX_WAIT_MS);
  private writing: Promise<unknown> = Promise.resolve();
  private retry: NodeJS.Timeout | null = null;
  /** Why the last round failed (warned about on later writes until one succeeds). */
  private failure: string | null = null;

  constructor(
    private readonly lab: string,
    stateDir: string,
    private readonly host: Host,
    /** After a write: the changes it made (the store shows them at once); after a round: none (follow
     *  the lab), and the pods it deleted for their controllers to make again ("ns/name"). */
    private readonly afterWrite: (changes: readonly Change[] | null, replaced?: readonly string[]) => Promise<void>,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.journal = new Journal<Change[], Change[]>(pendingFile(stateDir));
    const read = readJournal<Change[], Change[]>(this.journal.path);
    this.pending = read ? [...read.base, ...read.changes.flat()] : [];
    this.journal.open(this.pending);
    if (this.pending.length > 0) setImmediate(() => void this.rounds.now());
  }

  /** The lab's objects with the accepted writes not reconciled yet on top (what the store shows). */
  objectsOver(objects: readonly RawObject[]): RawObject[] {
    return applyChanges(objects, this.pending);
  }

  /** Keys of objects with a write the lab has not acted on yet. */
  pendingKeys(): ReadonlySet<string> {
    return new Set(this.pending.map((c) => c.key));
  }

  /**
   * One write at a time, from its check until the store shows it: the next write's check (a
   * create's AlreadyExists, a patch's base, a precondition) then sees this one in the store.
   */
  write(compute: Compute, dryRun: boolean): Promise<WriteOutcome> {
    const run = this.writing.then(() => this.writeOne(compute, dryRun));
    this.writing = run.catch(() => {});
    return run;
  }

  private async writeOne(compute: Compute, dryRun: boolean): Promise<WriteOutcome> {
    let changes: Change[];
    try {
      const state = this.stateToCheck();
      const current = this.objectsOver(state.objects);
      changes = compute(current);
      checkObjects(state, applyChanges(current, changes));
      if (dryRun) return { warnings: [] };
      // One line for the write's changes: after a crash, all of them are pending or none.
      this.journal.append(changes);
      this.pending.push(...changes);
    } catch (e) {
      throw asApiError(e);
    }
    await this.afterWrite(changes);
    this.rounds.poke();
    return { warnings: this.failure ? [`the lab has not applied earlier writes yet: ${this.failure}`] : [] };
  }

  private state(): LabState {
    const state = loadState(this.lab);
    if (!state) throw new LabError(`the lab ${JSON.stringify(this.lab)} has no state: it is going down`);
    return state;
  }

  private seen: { stamp: string; state: LabState } | null = null;
  /** The state for a write's checks (read only): parsed again only when the file changed. */
  private stateToCheck(): LabState {
    let stamp = '';
    try {
      const st = statSync(stateFilePath(this.lab));
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      // gone: state() says so
    }
    if (this.seen?.stamp !== stamp || stamp === '') this.seen = { stamp, state: this.state() };
    return this.seen.state;
  }

  /** Every change pending when it starts, applied to the lab; later writes wait for the next round. */
  private async round(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    if (this.pending.length === 0) return;
    try {
      const batch = [...this.pending];
      const replaced = batch.filter((c) => c.replace).map((c) => c.key);
      await withLabLock(this.lab, 'kubectl (the lab\'s API server)', async () => {
        const state = this.state(); // under the lock: `podnet apply` may have changed it
        if (replaced.length > 0) state.replacedPods = [...(state.replacedPods ?? []).filter((k) => !replaced.includes(k)), ...replaced].slice(-REPLACED_KEPT);
        // A pod that keeps its name (a StatefulSet's) is made again: a new incarnation.
        await reconcile(this.host, state, applyChanges(state.objects, batch), { restart: new Set(replaced), grace: gracePeriods(batch) });
      });
      this.pending = this.pending.slice(batch.length);
      this.journal.compact(this.pending);
      this.failure = null;
      await this.afterWrite(null, replaced);
    } catch (e) {
      this.failure = e instanceof Error ? e.message : String(e);
      this.log(`applying ${this.pending.length} API writes to the lab failed (retrying in ${RETRY_MS} ms): ${this.failure}`);
      this.retry = setTimeout(() => void this.rounds.now(), RETRY_MS);
    }
  }
}
