import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostNetworkResolvConf, withResolvConf } from '../../src/lab/agent/resolv-mount.js';

const ROOT = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;

describe('a hostNetwork pod\'s own resolv.conf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-resolv-'));
  const file = join(dir, 'pod.conf');
  writeFileSync(file, 'nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in the state directory, one file per pod', () => {
    expect(hostNetworkResolvConf('/run/podnet/lab', 'kube-system', 'agent')).toBe('/run/podnet/lab/resolv/kube-system_agent.conf');
  });

  it('wraps the command: private mount namespace, bind mount, exec', () => {
    expect(withResolvConf('/f', ['getent', 'hosts', 'web'])).toEqual(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', '/f', 'getent', 'hosts', 'web']);
  });

  it.skipIf(!ROOT)('the command sees the file as /etc/resolv.conf; the host does not; arguments pass through unchanged', () => {
    const host = readFileSync('/etc/resolv.conf', 'utf8');
    const r = spawnSync(withResolvConf(file, ['cat', '/etc/resolv.conf'])[0], withResolvConf(file, ['cat', '/etc/resolv.conf']).slice(1), { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(file, 'utf8'));
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(host);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(' /etc/resolv.conf ');
    const args = ['a b', '$HOME', "it's", '"q"', '-c'];
    const argv = withResolvConf(file, ['printf', '%s|', ...args]);
    expect(spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }).stdout).toBe(`${args.join('|')}|`);
  });

  it.skipIf(!ROOT)('the command\'s PID is the one spawned (every step execs)', () => {
    const argv = withResolvConf(file, ['sh', '-c', 'echo $$']);
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(String(r.pid));
  });
});
