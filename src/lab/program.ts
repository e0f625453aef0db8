/**
 * podnet's own programs as command lines (DNS server, ingress controller, prober, monitor, DNS
 * forwarder): `dist/<path>.js` when built, else the TypeScript source through tsx (tests and
 * development run from src/).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSystemSource, systemProgramOf } from '../api/system-objects.js';
import type { Container, Pod } from '../model/types.js';

/** `path` is relative to the source root without extension, e.g. "dns/main" or "probe/prober". */
export function programCommand(path: string): string[] {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const js = join(root, `${path}.js`);
  if (existsSync(js)) return [process.execPath, js];
  // vitest's module runner has no import.meta.resolve (unit tests build these objects, never run them).
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx') : 'tsx';
  return [process.execPath, '--import', tsx, join(root, `${path}.ts`)];
}

/**
 * A system pod with its symbolic commands (`podnet:dns/main`, src/api/system-objects.ts) made
 * real command lines on this host. Other pods are returned as they are: only the lab's own
 * objects may start podnet's programs.
 */
export function withProgramCommands(pod: Pod): Pod {
  if (!isSystemSource(pod.source.file)) return pod;
  const real = (c: Container): Container => {
    const path = systemProgramOf(c.command);
    return path === undefined ? c : { ...c, command: [...programCommand(path), ...c.command!.slice(1)] };
  };
  return { ...pod, containers: pod.containers.map(real), ...(pod.initContainers ? { initContainers: pod.initContainers.map(real) } : {}) };
}
