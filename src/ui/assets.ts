/**
 * The web view's bundle (web/ built by esbuild at `npm run build` into dist/ui/app.js). Found
 * beside this module when running from dist/, or in dist/ui/ when running from src/ (tsx).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = [new URL('./app.js', import.meta.url), new URL('../../dist/ui/app.js', import.meta.url)];

export class BundleMissing extends Error {
  override name = 'LabError'; // printed as a plain message with exit code 2 (cli/common.ts)
}

let cached: string | undefined;

export function uiBundle(): string {
  if (cached !== undefined) return cached;
  const found = CANDIDATES.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new BundleMissing('the web view is not built (dist/ui/app.js is missing): run `npm run build`');
  cached = readFileSync(found, 'utf8');
  return cached;
}
