/** A reader that closes the pipe early (`podnet … | head -1`) gets no stack trace from podnet. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hasStackTrace, REPO } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-epipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('closing stdout after the first bytes: podnet stops quietly', async () => {
  const file = join(dir, 'pods.yaml');
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => `---\napiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, labels: {app: a${i}}}\nspec: {containers: [{name: c, image: x}]}\n`).join(''));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'analyze', '-f', file, '-o', 'json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy()); // as `head -c` does once it has enough
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  expect(hasStackTrace(stderr)).toBe(false);
  expect(stderr).not.toContain('EPIPE');
  expect(code).toBe(0);
}, 60_000);
