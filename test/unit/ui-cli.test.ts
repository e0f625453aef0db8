/** `podnet ui` and the `-o html` reports through the CLI: bad input exits 2, reports are self-contained. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe.concurrent('podnet ui / -o html from the command line', () => {
  it.each([
    [['ui', '--name', 'uinosuch'], 'no lab "uinosuch"'],
    [['ui', '-f', 'examples/shop', '--port', '0'], '--port: "0" is not a port number'],
    [['ui', '-f', 'no-such-file.yaml'], 'no-such-file.yaml: no such file or directory'],
    [['ui', '-f', 'examples/shop', '--mode', 'x'], '--mode: "x" is not one of routed, vxlan'],
    [['analyze', '-f', 'no-such-file.yaml', '-o', 'html'], 'no-such-file.yaml: no such file or directory'],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('analyze -o html is one file loading nothing from elsewhere', async () => {
    const r = await runCli(['analyze', '-f', 'examples/shop', '--port', '8080', '-o', 'html']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(r.stdout).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    const boot = /<script type="application\/json" id="podnet-boot">(.*?)<\/script>/s.exec(r.stdout)![1];
    const data = JSON.parse(boot) as { kind: string; report: { matrix: { pods: string[]; port: number }; policies: unknown[]; connlist: unknown[] } };
    expect(data.kind).toBe('report');
    expect(data.report.matrix.port).toBe(8080);
    expect(data.report.matrix.pods).toContain('data/db-0');
    expect(data.report.policies.length).toBe(5);
  });
});
