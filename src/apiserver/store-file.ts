/**
 * The store's file (<state>/api/store.jsonl, a journal.ts file): a snapshot, then one line per
 * change, appended before the write that made it is answered. So a restart of the API process
 * keeps every object it answered for with its uid and resourceVersion, at the cost of one
 * append per change. The file is compacted into a new snapshot once the changes outnumber the
 * objects (and at least COMPACT_AT), outside the write that crossed the line.
 */
import { Journal, readJournal } from './journal.js';
import type { Entry, Snapshot, Store } from './store.js';

/** One line after the snapshot: the object's entry as stored, or null when deleted. */
interface Line { key: string; rv: number; entry: Entry | null }

const COMPACT_AT = 2_000;

/** Loads the store from `path` (when the file exists) and keeps the file following it. Returns close(). */
export function persistStore(store: Store, path: string): () => void {
  const read = readJournal<Snapshot, Line>(path);
  if (read) {
    store.load(read.base);
    for (const l of read.changes) store.replay(l.key, l.entry, l.rv);
  }
  const journal = new Journal<Snapshot, Line>(path);
  journal.open(store.snapshot());
  let compacting: NodeJS.Timeout | null = null;
  store.onWrite = (key, entry) => {
    journal.append({ key, rv: store.rv, entry });
    if (compacting === null && journal.length > Math.max(COMPACT_AT, store.size())) {
      compacting = setTimeout(() => {
        compacting = null;
        journal.compact(store.snapshot());
      }, 0);
    }
  };
  return () => {
    if (compacting) clearTimeout(compacting);
    journal.close();
  };
}
