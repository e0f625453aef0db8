/**
 * The lab lock: one writer of a lab's state at a time (up, apply, delete, down and each sync of
 * the endpoints controller). A file `lock` in the lab's directory, created exclusively, holds
 * the holder's pid and command. A lock whose pid is gone is stale (its holder was SIGKILLed or
 * crashed) and is broken, so `podnet down` works after a crash.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAlive } from './agent/cleanup.js';
import { CREATE_EXCLUSIVE, labDir } from './state.js';

export const LOCK_WAIT_MS = 30_000;
const RETRY_MS = 100;

export interface LockHolder {
  pid: number;
  command: string;
}

/** The lab is locked by a live process past the wait: exit 2 with who holds it. */
export class LabBusyError extends Error {
  override name = 'LabError';
  constructor(lab: string, holder: LockHolder | null) {
    const who = holder ? `${holder.command} (pid ${holder.pid})` : 'another podnet command';
    super(`lab ${lab} is busy: ${who} holds it; try again when it is done`);
  }
}

export const lockPath = (lab: string): string => join(labDir(lab), 'lock');

/** A taken lock; `release` removes the file when it is still ours. */
export interface LabLock {
  release(): void;
}

/** Takes the lock, or null at once when a live process holds it. */
export function tryLock(lab: string, command: string): LabLock | null {
  const path = lockPath(lab);
  mkdirSync(labDir(lab), { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify({ pid: process.pid, command })}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(path, text)) return { release: () => releaseIfOurs(path, text) };
    const holder = readHolder(path);
    if (holder && isAlive(holder.pid)) return null;
    breakStale(path, holder);
  }
  return null;
}

/** Waits up to `waitMs` for the lock; LabBusyError naming the holder when it does not come. */
export async function takeLock(lab: string, command: string, waitMs = LOCK_WAIT_MS): Promise<LabLock> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = tryLock(lab, command);
    if (lock) return lock;
    if (Date.now() >= deadline) throw new LabBusyError(lab, readHolder(lockPath(lab)));
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

/** Runs `body` holding the lab's lock. */
export async function withLabLock<T>(lab: string, command: string, body: () => Promise<T>): Promise<T> {
  const lock = await takeLock(lab, command);
  try {
    return await body();
  } finally {
    lock.release();
  }
}

/**
 * Creates the lock file whole or not at all: written to a file of our own (O_EXCL), then
 * hard-linked to `lock` — link(2) fails with EEXIST like O_EXCL, and no reader ever sees a
 * half-written lock (which would look stale).
 */
function createExclusive(path: string, text: string): boolean {
  const own = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`;
  const fd = openSync(own, CREATE_EXCLUSIVE, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(own, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(own, { force: true });
  }
}

/** The holder the lock file names; null when it cannot be read (half written, or gone). */
export function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.command === 'string' ? { pid: h.pid, command: h.command } : null;
  } catch {
    return null;
  }
}

/**
 * Removes a stale lock without removing a fresh one another waiter made meanwhile: the file is
 * moved aside first (atomic), then checked; had it become a live holder's, it is put back
 * (link fails rather than overwrite when yet another lock appeared).
 */
function breakStale(path: string, seen: LockHolder | null): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else broke or released it
  }
  const moved = readHolder(aside);
  if (moved && isAlive(moved.pid) && moved.pid !== seen?.pid) {
    try {
      linkSync(aside, path);
    } catch {
      /* a newer lock is in place */
    }
  }
  rmSync(aside, { force: true });
}

/** Removes our lock, and the lab directory when nothing else is in it (an `up` that failed early, a command on a lab that was removed meanwhile). */
function releaseIfOurs(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
    rmdirSync(dirname(path));
  } catch {
    /* gone with the lab directory (down), or the lab is there */
  }
}
