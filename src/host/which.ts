/** Whether a program exists on this host, as execvp would find it (the entrypoint rule, model/entrypoint.ts). */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

export function programOnHost(program: string, path = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): boolean {
  if (program === '') return false;
  const candidates = program.includes('/') ? [program] : path.split(':').filter(Boolean).map((d) => join(d, program));
  return candidates.some((f) => {
    try {
      accessSync(f, constants.X_OK);
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}
