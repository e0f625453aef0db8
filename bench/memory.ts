/**
 * `npm run bench -- memory [PODS]`: RSS of the node agent serving PODS pods (default 100) with
 * built-in servers, each pod in its own namespace (target: ≤ 1 GiB in total for 100 pods).
 * Runs bench/agent-memory.ts as its own process so its figures are not mixed with this one's.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function main(args: string[]): Promise<number> {
  const builtin = await runScript('agent-memory.ts', args);
  // The same pods as sandboxed command containers (and their start time against unsandboxed).
  const commands = await runScript('container-start.ts', args.slice(0, 1));
  return builtin || commands;
}

export function runScript(name: string, args: readonly string[]): Promise<number> {
  const script = join(dirname(fileURLToPath(import.meta.url)), name);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
