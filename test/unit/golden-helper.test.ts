// The golden helper never creates a golden in a normal run: a deleted golden fails its test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { golden } from '../support/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-golden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('golden()', () => {
  it('fails when the golden file is missing, and does not write it', () => {
    const saved = process.env.UPDATE_GOLDEN;
    delete process.env.UPDATE_GOLDEN;
    try {
      expect(() => golden('absent.txt', 'x', dir)).toThrow(/absent\.txt is missing/);
      expect(() => golden('absent.txt', 'x', dir)).toThrow(/is missing/);
    } finally {
      if (saved !== undefined) process.env.UPDATE_GOLDEN = saved;
    }
  });
  it('passes on equal text and fails on a difference', () => {
    writeFileSync(join(dir, 'g.txt'), 'same\n');
    golden('g.txt', 'same\n', dir);
    expect(() => golden('g.txt', 'other\n', dir)).toThrow();
  });
});
