/**
 * Peer suite: np-guard netpol-analyzer's connlist goldens (../shared/peer-suites/netpol-analyzer).
 * Every case runs through the library (the code the CLI runs); a few also through the real CLI.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { loadManifests } from '../../src/api/load.js';
import { connlist, formatConnLine } from '../../src/policy/connlist.js';
import { runCli, SHARED } from '../helpers/cli.js';

const SUITE = join(SHARED, 'peer-suites', 'netpol-analyzer');
const TESTS = join(SUITE, 'tests');
const EXPECTED = join(SUITE, 'expected');

function expectedText(c: string): string {
  return readFileSync(join(EXPECTED, `${c}_connlist_output.txt`), 'utf8');
}

function expectedLines(c: string): string[] {
  return expectedText(c).split('\n').filter((l) => l !== '');
}

function expectedJsonPath(c: string): string {
  return join(EXPECTED, `${c}_connlist_output.json`);
}

if (!existsSync(TESTS)) {
  describe.skip(`np-guard peer suite (not found at ${SUITE}; skipped)`, () => {
    it('needs ../shared/peer-suites/netpol-analyzer next to the repository', () => {});
  });
} else {
  const cases = readdirSync(TESTS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  describe('np-guard peer suite: the suite itself', () => {
    it('has 50 cases, each with a text golden; 9 also with a JSON golden', () => {
      expect(cases).toHaveLength(50);
      for (const c of cases) expect(existsSync(join(EXPECTED, `${c}_connlist_output.txt`)), c).toBe(true);
      expect(cases.filter((c) => existsSync(expectedJsonPath(c)))).toHaveLength(9);
    });

    it('golden lines are sorted and unique (so comparing in order is fair)', () => {
      for (const c of cases) {
        const lines = expectedLines(c);
        const sorted = [...new Set(lines)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(lines, c).toEqual(sorted);
      }
    });
  });

  describe('np-guard peer suite: library connlist', () => {
    for (const c of cases) {
      it(c, () => {
        const lines = connlist(readCluster(loadManifests([join(TESTS, c)])));
        expect(lines.map(formatConnLine)).toEqual(expectedLines(c));
        if (existsSync(expectedJsonPath(c))) {
          expect(lines).toStrictEqual(JSON.parse(readFileSync(expectedJsonPath(c), 'utf8')));
        }
      });
    }
  });

  describe.concurrent('np-guard peer suite: through the CLI, byte for byte', () => {
    /** The CLI ends its output with one newline; the goldens may or may not. */
    const sameModuloTrailingNewline = (got: string, want: string) => expect(got.replace(/\n$/, '')).toBe(want.replace(/\n$/, ''));

    // onlineboutique: policies only; demo_app_with_routes_and_ingress: Routes and an Ingress
    // ({ingress-controller} lines); acs_security_frontend_demos: no connections at all (empty golden, "[]").
    for (const c of ['onlineboutique', 'demo_app_with_routes_and_ingress']) {
      it(`${c}: -o connlist`, async () => {
        const r = await runCli(['analyze', '-f', join(TESTS, c), '-o', 'connlist']);
        expect(r.code).toBe(0);
        expect(r.stderr).not.toMatch(/error/);
        sameModuloTrailingNewline(r.stdout, expectedText(c));
      });
    }
    for (const c of ['demo_app_with_routes_and_ingress', 'acs_security_frontend_demos']) {
      it(`${c}: -o connlist-json`, async () => {
        const r = await runCli(['analyze', '-f', join(TESTS, c), '-o', 'connlist-json']);
        expect(r.code).toBe(0);
        sameModuloTrailingNewline(r.stdout, readFileSync(expectedJsonPath(c), 'utf8'));
      });
    }
  });
}
