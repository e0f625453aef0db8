/**
 * A file of JSON lines: a base value on the first line, then one line per change appended after
 * it, each with a single write(2) to a file opened O_APPEND. A write that returned survives a
 * crash of the process (it is in the kernel's page cache), which is what the API process's
 * files are for: its restart. They are not flushed to the disk: a crash of the machine ends the
 * lab itself (its namespaces and processes), and renaming over a file on ext4 flushes it anyway
 * (auto_da_alloc), which cost 1–2 ms per write when each write rewrote its whole file.
 *
 * An append is all or nothing: a write that fails or comes up short (a full disk) is cut off
 * again (ftruncate to the length before it) and throws, so the file never holds a part of a
 * change its writer was told failed, and the next append does not follow a broken line.
 *
 * `compact` replaces the file with a new base atomically (a new file renamed over the old one).
 * A last line cut short (a crash inside the write) is ignored when reading; opening compacts,
 * so nothing is ever appended after such a line.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync, constants as fs } from 'node:fs';
import { writeFileAtomic } from '../lab/state.js';

const APPEND = fs.O_WRONLY | fs.O_APPEND | fs.O_NOFOLLOW;

export class JournalError extends Error {
  override name = 'JournalError';
}

/** The base and the changes of a journal file; null when there is none. */
export function readJournal<B, C>(path: string): { base: B; changes: C[] } | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // A complete file ends with a newline, so the last piece is '' — or a line cut short.
  lines.pop();
  if (lines.length === 0) throw new JournalError(`${path}: empty (no base line)`);
  const parse = (line: string, i: number) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (e) {
      throw new JournalError(`${path}: line ${i + 1}: ${(e as Error).message}`);
    }
  };
  return { base: parse(lines[0], 0) as B, changes: lines.slice(1).map((l, i) => parse(l, i + 1) as C) };
}

export class Journal<B, C> {
  private fd: number | null = null;
  /** The file's length in bytes: where a failed append is cut back to. */
  private bytes = 0;
  /** Changes appended since the base. */
  length = 0;

  constructor(readonly path: string) {}

  /** Starts the file afresh from `base` (also after reading it: drops a line cut short). */
  open(base: B): void {
    this.compact(base);
  }

  append(change: C): void {
    if (this.fd === null) throw new Error(`${this.path}: not open`);
    const line = Buffer.from(`${JSON.stringify(change)}\n`);
    let written = 0;
    try {
      written = writeSync(this.fd, line);
    } finally {
      if (written !== line.length) this.cutBack();
    }
    if (written !== line.length) throw new JournalError(`${this.path}: short write (${written} of ${line.length} bytes)`);
    this.bytes += line.length;
    this.length++;
  }

  /** The file becomes `base` alone, atomically. */
  compact(base: B): void {
    this.close();
    const text = `${JSON.stringify(base)}\n`;
    writeFileAtomic(this.path, text, 0o600, false);
    this.fd = openSync(this.path, APPEND);
    this.bytes = Buffer.byteLength(text);
    this.length = 0;
  }

  private cutBack(): void {
    try {
      ftruncateSync(this.fd!, this.bytes);
    } catch {
      // nothing more to do: the append throws, and reading ignores a last line cut short
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
