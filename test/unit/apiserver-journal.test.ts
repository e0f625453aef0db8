/** The API process's files: journal.ts (JSON lines) and store-file.ts (the store across restarts). */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, JournalError, readJournal } from '../../src/apiserver/journal.js';
import { findResource } from '../../src/apiserver/resources.js';
import { persistStore } from '../../src/apiserver/store-file.js';
import { Store, type Obj } from '../../src/apiserver/store.js';

const pods = findResource('', 'v1', 'pods')!;
const pod = (name: string, extra: Record<string, unknown> = {}): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, ...extra });

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'podnet-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('journal', () => {
  it('reads back its base and every change appended, in order; compact leaves the base alone', () => {
    const path = join(dir, 'j.jsonl');
    expect(readJournal(path)).toBeNull();
    const j = new Journal<number[], number>(path);
    j.open([1, 2]);
    j.append(3);
    j.append(4);
    expect(readJournal(path)).toEqual({ base: [1, 2], changes: [3, 4] });
    j.compact([4]);
    j.append(5);
    expect(readJournal(path)).toEqual({ base: [4], changes: [5] });
    expect(j.length).toBe(1);
    j.close();
  });
  it('a last line cut short (a crash inside the write) is ignored, and opening drops it', () => {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, '[1]\n2\n{"cut":');
    const read = readJournal<number[], number>(path)!;
    expect(read).toEqual({ base: [1], changes: [2] });
    const j = new Journal<number[], number>(path);
    j.open([...read.base, ...read.changes]);
    j.append(3);
    j.close();
    expect(readFileSync(path, 'utf8')).toBe('[1,2]\n3\n');
  });
  it('a damaged line before the end, or no base, is an error naming the file and line', () => {
    const path = join(dir, 'j.jsonl');
    writeFileSync(path, '[1]\n{oops\n2\n');
    expect(() => readJournal(path)).toThrow(JournalError);
    expect(() => readJournal(path)).toThrow(`${path}: line 2:`);
    writeFileSync(path, '');
    expect(() => readJournal(path)).toThrow(`${path}: empty`);
  });
});

describe('the store across a restart of the API process', () => {
  const fresh = () => new Store(() => '2026-01-01T00:00:00Z', (() => { let n = 0; return () => `uid-${Math.random()}-${++n}`; })());

  it('random creates, updates and deletes: a store loaded from the file is the store that wrote it', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('create' as const), n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ t: fc.constant('update' as const), n: fc.integer({ min: 0, max: 5 }), v: fc.integer() }),
      fc.record({ t: fc.constant('delete' as const), n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ t: fc.constant('restart' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const path = join(dir, `s-${Math.random().toString(36).slice(2)}.jsonl`);
        let s = fresh();
        let close = persistStore(s, path);
        for (const o of ops) {
          if (o.t === 'restart') {
            close();
            const before = s.snapshot();
            s = fresh();
            close = persistStore(s, path);
            expect(s.snapshot()).toEqual(before);
            continue;
          }
          const name = `p${o.n}`;
          const there = s.get(pods, 'default', name);
          if (o.t === 'create' && !there) s.create(pods, pod(name), 'user');
          if (o.t === 'update' && there) s.update(pods, { ...there.obj, spec: { v: o.v } });
          if (o.t === 'delete' && there) s.delete(pods, 'default', name);
        }
        close();
        const again = fresh();
        const closeAgain = persistStore(again, path);
        expect(again.snapshot()).toEqual(s.snapshot());
        // The next object after a restart gets the next resourceVersion, never one already given.
        expect(again.create(pods, pod('new'), 'user').metadata.resourceVersion).toBe(String(s.rv + 1));
        closeAgain();
      }),
      { numRuns: 100 },
    );
  });

  it('compacts once the changes outnumber the objects (at least 2,000), keeping every object', async () => {
    const path = join(dir, 's.jsonl');
    const s = fresh();
    const close = persistStore(s, path);
    const a = s.create(pods, pod('a'), 'user');
    for (let i = 0; i < 2_100; i++) s.update(pods, { ...a, metadata: { ...a.metadata, resourceVersion: undefined }, spec: { i } });
    expect(readJournal(path)!.changes.length).toBeGreaterThan(2_000);
    await new Promise((r) => setTimeout(r, 5)); // compaction runs outside the write that crossed the line
    const read = readJournal<{ rv: number }, unknown>(path)!;
    expect(read.changes.length).toBeLessThan(10);
    expect(read.base.rv).toBe(s.rv);
    appendFileSync(path, '{"key":'); // and a crash in the middle of the next write
    close();
    const again = fresh();
    persistStore(again, path)();
    expect(again.get(pods, 'default', 'a')!.obj.spec).toEqual({ i: 2_099 });
  });
});
