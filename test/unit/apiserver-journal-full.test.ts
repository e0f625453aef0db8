/**
 * journal.ts when the disk fills up: an append that fails half-way, or comes up short, leaves the
 * file as it was before it (writeSync is made to write part of the line and then fail).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

let failing: 'throw' | 'short' | null = null;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    writeSync: (fd: number, data: Buffer) => {
      if (!failing) return real.writeSync(fd, data);
      // Part of the line reaches the file, as when the disk fills up inside the write.
      real.writeSync(fd, data.subarray(0, Math.floor(data.length / 2)));
      if (failing === 'short') return Math.floor(data.length / 2);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
});
const { Journal, readJournal } = await import('../../src/apiserver/journal.js');

const dir = mkdtempSync(join(tmpdir(), 'podnet-journal-full-'));
afterEach(() => {
  failing = null;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a journal append on a full disk', () => {
  for (const how of ['throw', 'short'] as const) {
    it(`a write that ${how === 'throw' ? 'fails' : 'comes up short'} half-way is cut off again and throws; the next append follows the last good line`, () => {
      const path = join(dir, `${how}.jsonl`);
      const j = new Journal<string[], { n: number; pad: string }>(path);
      j.open(['base']);
      j.append({ n: 1, pad: 'x'.repeat(100) });
      const before = readFileSync(path, 'utf8');
      failing = how;
      expect(() => j.append({ n: 2, pad: 'y'.repeat(100) })).toThrow(how === 'throw' ? 'ENOSPC' : 'short write');
      failing = null;
      expect(readFileSync(path, 'utf8')).toBe(before);
      expect(j.length).toBe(1);
      j.append({ n: 3, pad: '' });
      j.close();
      expect(readJournal(path)!.changes.map((c) => (c as { n: number }).n)).toEqual([1, 3]);
    });
  }
});
