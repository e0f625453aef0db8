import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath, readHolder, takeLock, tryLock, withLabLock } from '../../src/lab/lock.js';

// Locks live in lab directories: a temporary state root, never the machine's /run/podnet.
let stateRoot = '';
const savedRoot = process.env.PODNET_STATE_ROOT;
beforeAll(() => {
  stateRoot = mkdtempSync(join(tmpdir(), 'podnet-lock-test-'));
  process.env.PODNET_STATE_ROOT = stateRoot;
});
afterAll(() => {
  if (savedRoot === undefined) delete process.env.PODNET_STATE_ROOT;
  else process.env.PODNET_STATE_ROOT = savedRoot;
  rmSync(stateRoot, { recursive: true, force: true });
});

/** The pid of a process that has exited (and was reaped). */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

function writeLock(lab: string, pid: number, command: string): void {
  mkdirSync(join(stateRoot, lab), { recursive: true });
  writeFileSync(lockPath(lab), `${JSON.stringify({ pid, command })}\n`);
}

describe('lab lock', () => {
  it('is exclusive while held, names its holder, and is free after release', () => {
    const lock = tryLock('la', 'podnet apply')!;
    expect(lock).not.toBeNull();
    expect(readHolder(lockPath('la'))).toEqual({ pid: process.pid, command: 'podnet apply' });
    expect(tryLock('la', 'podnet down')).toBeNull();
    lock.release();
    expect(existsSync(lockPath('la'))).toBe(false);
    const again = tryLock('la', 'podnet down');
    expect(again).not.toBeNull();
    again!.release();
  });

  it('breaks a stale lock (its pid is gone) and leaves no file behind', () => {
    writeLock('lb', deadPid(), 'podnet apply');
    mkdirSync(join(stateRoot, 'lb', 'keep')); // the lab's directory stays while it holds something
    const lock = tryLock('lb', 'podnet down');
    expect(lock).not.toBeNull();
    expect(readHolder(lockPath('lb'))?.command).toBe('podnet down');
    lock!.release();
    expect(readdirSync(join(stateRoot, 'lb'))).toEqual(['keep']);
  });

  it('gives up after the wait with the lab and the holder in the message', async () => {
    writeLock('lc', process.pid, 'podnet apply');
    const start = Date.now();
    await expect(takeLock('lc', 'podnet delete', 300)).rejects.toThrow(`lab lc is busy: podnet apply (pid ${process.pid}) holds it`);
    expect(Date.now() - start).toBeGreaterThanOrEqual(300);
    rmSync(lockPath('lc'));
  });

  it('waits for a holder that releases, and releases even when the body throws', async () => {
    const first = tryLock('ld', 'podnet apply')!;
    setTimeout(() => first.release(), 200);
    await expect(withLabLock('ld', 'podnet apply', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockPath('ld'))).toBe(false);
    expect(existsSync(join(stateRoot, 'ld'))).toBe(false); // empty lab directory removed
  });

  it('refuses a lab name that is not one', () => {
    expect(() => tryLock('../x', 'podnet up')).toThrow(/not a lab name/);
  });
});
