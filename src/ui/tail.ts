/**
 * Follows a JSON-lines file the way `podnet flows --follow` does: reads what was appended since
 * the last call, whole lines only; starts over when the file shrank (the collector rotated it).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export class LineTail {
  private offset = 0;

  constructor(readonly path: string) {}

  /** Skips what the file holds now: only lines appended later are read. */
  skipToEnd(): void {
    this.offset = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  readNew(): string[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size < this.offset) this.offset = 0;
    if (size === this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const end = buf.lastIndexOf(0x0a) + 1;
    this.offset += end;
    return buf.subarray(0, end).toString('utf8').split('\n').filter((l) => l.trim() !== '');
  }
}
