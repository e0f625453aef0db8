/**
 * The only place podnet touches the machine: running `ip -batch` and commands inside network
 * namespaces. Everything else produces plans (data) that an executor hands to a Host.
 */
import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Host {
  /** One `ip [-n NETNS] [-force] -batch -` run; rejects with the failing line's error. */
  ipBatch(netns: string | null, lines: readonly string[], force?: boolean, tool?: 'ip' | 'bridge'): Promise<void>;
  /** Runs argv inside netns (null: the root namespace). Never rejects for a non-zero exit. */
  exec(netns: string | null, argv: readonly string[], input?: string): Promise<ExecResult>;
  /** Names of all network namespaces under /run/netns. */
  listNetns(): Promise<string[]>;
}

export class HostError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

export function run(argv: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** The real machine. Requires root (CAP_NET_ADMIN, CAP_SYS_ADMIN). */
export class LinuxHost implements Host {
  async ipBatch(netns: string | null, lines: readonly string[], force = false, tool: 'ip' | 'bridge' = 'ip'): Promise<void> {
    if (lines.length === 0) return;
    const argv = [tool, ...(netns ? ['-n', netns] : []), ...(force ? ['-force'] : []), '-batch', '-'];
    const r = await run(argv, `${lines.join('\n')}\n`);
    if (r.code !== 0 && !force) {
      const m = /Command failed -:(\d+)/.exec(r.stderr);
      const line = m ? lines[Number(m[1]) - 1] : undefined;
      throw new HostError(`${tool}${netns ? ` -n ${netns}` : ''}: ${line ? `"${line}": ` : ''}${r.stderr.split('\n')[0].trim()}`, r.stderr);
    }
  }

  exec(netns: string | null, argv: readonly string[], input?: string): Promise<ExecResult> {
    return run(netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv, input);
  }

  async listNetns(): Promise<string[]> {
    const r = await run(['ip', 'netns', 'list']);
    return r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n !== undefined && n !== '');
  }
}

/** An in-memory Host for unit tests: records every call; netns add/del tracked from batches. */
export class FakeHost implements Host {
  readonly calls: string[] = [];
  readonly namespaces = new Set<string>();
  failOn?: RegExp;

  async ipBatch(netns: string | null, lines: readonly string[], force = false, tool: 'ip' | 'bridge' = 'ip'): Promise<void> {
    for (const line of lines) {
      this.calls.push(`${tool}${netns ? ` -n ${netns}` : ''} ${line}`);
      if (this.failOn?.test(line) && !force) throw new HostError(`ip: "${line}": failed`, 'failed');
      const m = /^netns (add|del) (\S+)$/.exec(line);
      if (m && netns === null) (m[1] === 'add' ? this.namespaces.add(m[2]) : this.namespaces.delete(m[2]));
    }
  }

  async exec(netns: string | null, argv: readonly string[], _input?: string): Promise<ExecResult> {
    this.calls.push(`[${netns ?? 'root'}] ${argv.join(' ')}`);
    return { code: 0, stdout: '', stderr: '' };
  }

  async listNetns(): Promise<string[]> {
    return [...this.namespaces];
  }
}
