/**
 * The agent's port bootstrap (src/lab/agent/sockets.ts) for real: sockets opened inside a
 * network namespace by a child and received as live handles. A bootstrap that times out — its
 * child killed while a socket may be on its way — must leave no listener behind: the same port
 * opens again at once (a half-received handle once made every retry fail with EADDRINUSE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The built module: its bootstrap child is dist's bootstrap.js (tests run after `npm run build`).
import { openPorts, type OpenedPort } from '../../dist/lab/agent/sockets.js';
import { pidsDir } from '../../src/lab/agent/paths.js';

const canRun = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0 && spawnSync('nsenter', ['--version']).status === 0;
const netns = `pnt-${Math.random().toString(36).slice(2, 8)}-boot`;
let stateDir = '';

function closeAll(opened: OpenedPort[]): Promise<unknown> {
  return Promise.all(
    opened.map((o) => new Promise<void>((r) => ('server' in o ? o.server.close(() => r()) : 'socket' in o ? o.socket.close(() => r()) : r()))),
  );
}

describe.skipIf(!canRun)('port bootstrap (root)', () => {
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', netns]);
    execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pnt-boot-'));
    fs.mkdirSync(pidsDir(stateDir), { recursive: true });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', netns]);
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('opens TCP and UDP ports inside the namespace', async () => {
    const opened = await openPorts(stateDir, netns, [{ port: 8080, protocol: 'TCP' }, { port: 5353, protocol: 'UDP' }]);
    expect(opened.map((o) => ('error' in o ? o.error : o.protocol))).toEqual(['TCP', 'UDP']);
    const listening = execFileSync('ip', ['netns', 'exec', netns, 'ss', '-Hltnu'], { encoding: 'utf8' });
    expect(listening).toMatch(/0\.0\.0\.0:8080/);
    expect(listening).toMatch(/0\.0\.0\.0:5353/);
    await closeAll(opened);
  });

  it('a bootstrap that timed out leaves nothing listening: the port opens again at once', async () => {
    // Timeouts around a child's start-up time, so some are killed before they bind, some while
    // their socket is on its way, some not at all.
    for (const timeoutMs of [1, 30, 40, 50, 60, 70, 80, 90, 100, 120, 150, 200, 300]) {
      const lines: string[] = [];
      const first = await openPorts(stateDir, netns, [{ port: 9090, protocol: 'TCP' }], (l) => lines.push(l), timeoutMs);
      const o = first[0];
      if ('error' in o) {
        expect(o.error).toMatch(/^bootstrap timed out after \d+ ms/);
        expect(lines).toHaveLength(2); // attempts 1 and 2 were tried again
      }
      await closeAll(first);
      const again = await openPorts(stateDir, netns, [{ port: 9090, protocol: 'TCP' }]);
      expect('error' in again[0] ? again[0].error : 'opened', `after a timeout of ${timeoutMs} ms`).toBe('opened');
      await closeAll(again);
    }
    // Every child exits (the last ones once disconnected, after openPorts answered) and is forgotten.
    const deadline = Date.now() + 5_000;
    while (fs.readdirSync(pidsDir(stateDir)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fs.readdirSync(pidsDir(stateDir))).toEqual([]);
  }, 120_000);
});
