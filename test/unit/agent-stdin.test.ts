/**
 * A container's stdin buffer (src/lab/agent/stdin.ts) on a real FIFO: what an attached writer
 * sends reaches the container's reader; the reader sees no EOF while the buffer is open, even
 * with no writer; a stdinOnce buffer marked closed gives EOF once the writer is gone too; a run
 * after that gets no stdin.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedMark, ContainerStdin, stdinPath } from '../../src/lab/agent/stdin.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-stdin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `cat` reading the run's stdin: its output, and whether it ended within `ms`. */
function cat(stdin: ContainerStdin) {
  const fd = stdin.forRun();
  const child = spawn('cat', [], { stdio: [fd, 'pipe', 'ignore'] });
  if (typeof fd === 'number') closeSync(fd);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    out: () => out,
    endsWithin: (ms: number) => Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]),
    kill: () => child.kill('SIGKILL'),
  };
}

function write(path: string, text: string): void {
  const fd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK);
  writeSync(fd, text);
  closeSync(fd);
}

describe('a container\'s stdin buffer', () => {
  it('kept open: bytes reach the container, and no EOF when the writer goes', async () => {
    const s = new ContainerStdin(stdinPath(dir, 'ns', 'p', 'open'), 'open');
    const c = cat(s);
    write(s.path, 'hello\n');
    expect(await c.endsWithin(500)).toBe(false);
    expect(c.out()).toBe('hello\n');
    writeFileSync(closedMark(s.path), ''); // a mark means nothing to a buffer kept open
    expect(await c.endsWithin(400)).toBe(false);
    c.kill();
    s.close();
    expect(existsSync(s.path)).toBe(false);
  });

  it('stdinOnce: EOF after the first session is marked ended; a later run reads EOF at once', async () => {
    const s = new ContainerStdin(stdinPath(dir, 'ns', 'p', 'once'), 'once');
    const c = cat(s);
    write(s.path, 'one\n');
    expect(await c.endsWithin(400)).toBe(false); // no writer, but the buffer is still open
    writeFileSync(closedMark(s.path), '');
    expect(await c.endsWithin(3_000)).toBe(true);
    expect(c.out()).toBe('one\n');
    expect(s.forRun()).toBe('ignore');
    s.close();
    expect(existsSync(closedMark(s.path))).toBe(false);
  });

  it('a new buffer under the same name starts open (an old mark is removed)', async () => {
    const path = stdinPath(dir, 'ns', 'p', 'again');
    new ContainerStdin(path, 'once').close();
    writeFileSync(join(dir, 'stdin', 'ns_p_again.closed'), '');
    const s = new ContainerStdin(path, 'once');
    const c = cat(s);
    expect(await c.endsWithin(400)).toBe(false);
    c.kill();
    s.close();
  });
});
