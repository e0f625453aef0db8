/**
 * Shared helpers for the data-plane benchmarks (pods, datapath): running commands (also inside
 * namespaces), installing missing Debian packages, unique run names, and exact-name cleanup of
 * everything a run created. Nothing here touches a namespace or process the run did not create.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
    let stdout = '';
    let stderr = '';
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** `run`, timed: its wall time, and stdout then stderr in one text for messages. */
export async function timedRun(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult & { ms: number; out: string }> {
  const t0 = performance.now();
  const r = await run(argv, { env });
  return { ...r, ms: performance.now() - t0, out: r.stdout + r.stderr };
}

/** Runs argv and rejects on a non-zero exit, with the command and its stderr. */
export async function must(argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ')}`);
  return r.stdout;
}

/** argv run inside a network namespace. */
export function inNs(netns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', netns, ...argv];
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** A fresh 4-character tag: every name a run creates starts with `pnb<tag>`. */
export function runTag(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(4)].map((b) => alphabet[b % alphabet.length]).join('');
}

function onPath(bin: string): boolean {
  if (bin.startsWith('/')) return existsSync(bin);
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d !== '' && existsSync(`${d}/${bin}`));
}

/**
 * Installs the Debian packages whose binaries are missing (`apt-get install -y`; one
 * `apt-get update` and a retry if that fails). Throws when something is still missing.
 */
export async function ensureBinaries(needs: readonly { bin: string; pkg: string }[], log: (s: string) => void): Promise<void> {
  const missing = needs.filter((n) => !onPath(n.bin));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  if (!isRoot()) throw new Error(`missing ${missing.map((m) => m.bin).join(', ')}: install ${pkgs.join(' ')} (or run as root)`);
  log(`installing ${pkgs.join(' ')} …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run(['apt-get', 'install', '-y', ...pkgs], { env });
  if (r.code !== 0) {
    await run(['apt-get', 'update'], { env });
    r = await run(['apt-get', 'install', '-y', ...pkgs], { env });
  }
  const still = needs.filter((n) => !onPath(n.bin));
  if (still.length > 0) throw new Error(`could not install ${pkgs.join(' ')}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
}

/**
 * What a run created, for cleanup by exact name: namespaces (deleted with `ip netns del NAME`),
 * child processes (killed by their pid) and temporary directories.
 */
export class Resources {
  private readonly netns = new Set<string>();
  private readonly prefixes = new Set<string>();
  private readonly children = new Set<ChildProcess>();
  readonly dirs = new Set<string>();

  addNetns(...names: string[]): void {
    for (const n of names) this.netns.add(n);
  }

  /** A prefix only this run uses (a podnet lab's `pn-<lab>_`): its namespaces are listed at cleanup. */
  addNetnsPrefix(prefix: string): void {
    this.prefixes.add(prefix);
  }

  addChild(child: ChildProcess): void {
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
  }

  /** Deletes this run's namespaces (exact names) matching `filter`; returns how many went. */
  async releaseNetns(filter: (name: string) => boolean = () => true): Promise<number> {
    const listed = (await run(['ip', 'netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n): n is string => n !== undefined && n !== '');
    const mine = listed.filter((n) => (this.netns.has(n) || [...this.prefixes].some((p) => n.startsWith(p))) && filter(n));
    if (mine.length > 0) await run(['ip', '-force', '-batch', '-'], { input: `${mine.map((n) => `netns del ${n}`).join('\n')}\n` });
    for (const n of [...this.netns]) if (filter(n)) this.netns.delete(n);
    return mine.length;
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) c.kill('SIGKILL');
    }
    await this.releaseNetns();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A plain text table (first row is the header), columns left-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** A Markdown table, for pasting into docs/benchmarks.md. */
export function markdown(rows: readonly (readonly string[])[]): string {
  const [head, ...body] = rows;
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Runs `body` with a SIGINT/SIGTERM handler that cleans up first, so an interrupted run leaves nothing. */
export async function withCleanup<T>(res: Resources, body: () => Promise<T>): Promise<T> {
  const onSignal = (sig: NodeJS.Signals) => {
    void res.cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await res.cleanup();
  }
}

function cpuTimes(): { idle: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: f[3] + f[4], total: f.reduce((a, b) => a + b, 0) };
}

/** The fraction of CPU time (all CPUs) that was idle during the next `ms` milliseconds. */
export async function idleFraction(ms: number): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total === a.total ? 1 : (b.idle - a.idle) / (b.total - a.total);
}

/**
 * Waits (at most maxWaitMs) until the machine is at least `minIdle` idle over half a second, so
 * that a measurement does not start while something else is busy. Returns whether it was quiet.
 */
export async function waitQuiet(maxWaitMs: number, minIdle = 0.9): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    if ((await idleFraction(500)) >= minIdle) return true;
    if (Date.now() >= deadline) return false;
  }
}
