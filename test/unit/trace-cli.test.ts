// `podnet trace -f` end to end through the CLI (offline, no root): text and JSON, and user errors
// that name the argument and exit 2 without a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli } from '../helpers/cli.js';
import { OBJECTS } from './trace-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, 'trace.yaml');
writeFileSync(FILE, OBJECTS.map((o) => JSON.stringify(o)).join('\n---\n'));

describe.concurrent('podnet trace -f (offline)', () => {
  it('explains a Service connection as text, without a probe', async () => {
    const r = await runCli(['trace', '-f', FILE, 'client', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trace default\/client -> web \(TCP\/80\) \[offline/);
    expect(r.stdout).toMatch(/^service {3}10\.96\.\S+:80 \(default\/web\) on node-1: DNAT \S+:8080 \| \S+:8080 \(one of 2\)$/m);
    expect(r.stdout).toMatch(/^verdict {3}ALLOWED$/m);
    expect(r.stdout).not.toMatch(/^probe/m);
  });

  it('-o json with --mode vxlan', async () => {
    const r = await runCli(['trace', '-f', FILE, '--mode', 'vxlan', 'default/client', 'default/web-b', '-o', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.paths[0].route[0].kind).toBe('vxlan');
    expect(t.probe).toBeNull();
  });

  it('user errors name the argument and exit 2 without a stack trace', async () => {
    for (const [args, message] of [
      [['client', 'web:0'], /TO: .*not a port number/],
      [['client', 'default/ghost'], /TO: no placed pod "default\/ghost"/],
      [['ghost', 'web'], /FROM: no placed pod "default\/ghost"/],
      [['client', 'web', '--mode', 'mesh'], /--mode: "mesh" is not one of routed, vxlan/],
      [['client', '192.0.2.1'], /--port: .*give --port/],
      [['client', 'web', '-o', 'yaml'], /-o: "yaml"/],
    ] as const) {
      const r = await runCli(['trace', '-f', FILE, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
  });
});
