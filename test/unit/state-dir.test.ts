/** A state root or lab directory someone else could change is refused (podnet trusts what it finds there). */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStateDir } from '../../src/lab/state.js';
import { hasStackTrace, runCli } from '../helpers/cli.js';

const base = mkdtempSync(join(tmpdir(), 'podnet-statedir-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('state directory checks', () => {
  it.each([
    ['mode 0700', 0o700, undefined],
    ['mode 0755', 0o755, undefined],
    ['group-writable', 0o770, /writable by group or others \(mode 0770; chmod go-w\): refused/],
    ['world-writable', 0o777, /writable by group or others/],
    ['sticky world-writable (like /tmp)', 0o1777, /writable by group or others/],
  ])('%s', (name, mode, want) => {
    const dir = join(base, name.replace(/\W+/g, '-'));
    mkdirSync(dir);
    chmodSync(dir, mode);
    if (want) expect(() => checkStateDir(dir, 'state root')).toThrow(want);
    else expect(() => checkStateDir(dir, 'state root')).not.toThrow();
  });

  it('a symlink and a file are refused; a missing one is fine', () => {
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    expect(() => checkStateDir(join(base, 'link'), 'lab directory')).toThrow(/is a symbolic link: refused/);
    expect(() => checkStateDir(join(base, 'missing'), 'lab directory')).not.toThrow();
  });

  it.skipIf(process.getuid?.() !== 0)('owned by another user: refused', () => {
    const dir = join(base, 'nobody');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    expect(() => checkStateDir(dir, 'lab directory')).toThrow(/owned by uid 65534, not root/);
  });

  it('the CLI: exit 2 naming PODNET_STATE_ROOT, no stack trace', async () => {
    const root = join(base, 'open-root');
    mkdirSync(root);
    chmodSync(root, 0o777);
    const r = await runCli(['get', 'pods', '--name', 'x'], { env: { PODNET_STATE_ROOT: root } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`state root (PODNET_STATE_ROOT) ${root} is writable by group or others`);
    expect(hasStackTrace(r.stderr)).toBe(false);
  }, 30_000);
});
