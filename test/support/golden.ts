/**
 * Golden files (test/golden). A golden is compared, never created by a normal run: a missing file
 * fails, so deleting one cannot turn its test green. Write goldens deliberately with
 * `UPDATE_GOLDEN=1 npx vitest run --project unit FILE`, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const GOLDEN_DIR = join(__dirname, '..', 'golden');

/** Throws when the golden `name` is missing (unless updating); compares `text` with it. */
export function golden(name: string, text: string, dir = GOLDEN_DIR): void {
  const path = join(dir, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  if (!existsSync(path)) {
    throw new Error(`golden file ${path} is missing: write it deliberately with UPDATE_GOLDEN=1 and review it`);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}
