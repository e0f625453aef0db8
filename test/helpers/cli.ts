/**
 * Runs the real CLI from source: `node --import tsx src/cli/main.ts ...` in the repository root, so
 * paths in its messages are the relative paths the test passed. No build needed. Each spawn costs
 * about 0.3 s: group assertions, and use describe.concurrent where several spawns are independent.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the directory holding package.json). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared directory next to the repository (peer suites, sample manifests); may be absent. */
export const SHARED = resolve(REPO, '..', 'shared');
export const HAVE_SHARED = existsSync(SHARED);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the CLI's stdin (then closed); without it stdin is empty. */
  input?: string;
  /** Extra environment variables for the CLI. */
  env?: Record<string, string>;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env = { ...process.env, ...options.env };
  delete env.PODNET_DEBUG; // stack traces must never show in normal use
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** True when some line of the text looks like a stack frame ("    at f (file:1:2)"). */
export function hasStackTrace(text: string): boolean {
  return /^\s{4}at /m.test(text);
}
