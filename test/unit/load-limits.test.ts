/** Manifest input has bounds: no device or pipe as -f, and a size limit that --max-input raises. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modeledObjects } from '../../src/api/cluster.js';
import { readManifests } from '../../src/api/load.js';
import { hasStackTrace, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n---\n`;
const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ns(`${prefix}${i}`)).join('');

describe('manifest input limits', () => {
  it('refuses a device without reading it', () => {
    expect(readManifests(['/dev/zero']).problems).toEqual([{ file: '/dev/zero', message: 'not a regular file (a device, pipe or socket): refused' }]);
  });

  it('refuses files over the limit, all files counted together; PODNET_MAX_INPUT sets it', () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, many('a', 20)); // 20 × ~57 bytes
    writeFileSync(b, many('b', 20));
    process.env.PODNET_MAX_INPUT = '1500';
    try {
      const r = readManifests([a, b]);
      expect(r.problems.map((p) => p.file)).toEqual([b]);
      expect(r.problems[0]!.message).toMatch(/over the input limit of 1500 bytes \(raise it with --max-input SIZE\)/);
    } finally {
      delete process.env.PODNET_MAX_INPUT;
    }
    expect(readManifests([a, b]).problems).toEqual([]);
  });

  it('the CLI: exit 2, no stack trace; --max-input raises the limit; stdin is bounded too', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, many('x', 100));
    const refused = await runCli(['analyze', '-f', big, '--max-input', '1K']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('over the input limit of 1024 bytes');
    expect(hasStackTrace(refused.stderr)).toBe(false);
    expect((await runCli(['analyze', '-f', big, '--max-input', '1M'])).code).toBe(0);
    const stdin = await runCli(['analyze', '-f', '-', '--max-input', '1K'], { input: many('y', 100) });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('standard input is over the input limit');
    expect((await runCli(['analyze', '-f', '/dev/zero'])).stderr).toContain('not a regular file');
  }, 60_000);

  it('a lab keeps only the kinds it models', () => {
    const r = readManifests([join(dir, 'a.yaml')]).objects;
    const cm = { obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, source: { file: 'x', doc: 0 }, prefix: '' };
    expect(modeledObjects([...r, cm])).toEqual(r);
  });
});
