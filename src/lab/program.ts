/**
 * podnet's own programs as command lines (DNS server, ingress controller, prober, monitor, DNS
 * forwarder): `dist/<path>.js` when built, else the TypeScript source through tsx (tests and
 * development run from src/).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `path` is relative to the source root without extension, e.g. "dns/main" or "probe/prober". */
export function programCommand(path: string): string[] {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const js = join(root, `${path}.js`);
  if (existsSync(js)) return [process.execPath, js];
  // vitest's module runner has no import.meta.resolve (unit tests build these objects, never run them).
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx') : 'tsx';
  return [process.execPath, '--import', tsx, join(root, `${path}.ts`)];
}
