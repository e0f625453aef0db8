#!/usr/bin/env node
/** podnet's command line: composes the commands, each defined in its own file. */
import { Command } from 'commander';
import { registrationsFor } from './commands.js';
import { EXIT_INPUT } from './common.js';

const program = new Command();
program
  .name('podnet')
  .description('The Kubernetes network model, for real: analyze NetworkPolicies; run pod networks in Linux namespaces')
  .version('0.1.0')
  .showHelpAfterError()
  .option('--max-input <size>', 'limit on all manifest input of one command: bytes, or with K/M/G (default 64M)')
  .hook('preAction', (cmd) => {
    const size = cmd.opts<{ maxInput?: string }>().maxInput;
    if (size === undefined) return;
    const m = /^([0-9]+)([KMG]?)$/i.exec(size);
    if (!m) {
      process.stderr.write(`error: --max-input: ${JSON.stringify(size)} is not a size (e.g. 200M)\n`);
      process.exit(EXIT_INPUT);
    }
    // Handed to src/api/load.ts through the environment: main.ts loads no command's modules.
    process.env.PODNET_MAX_INPUT = String(Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()));
  })
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_INPUT);
  });

// A reader that went away (`podnet apply … | head -1`): stop quietly, as a Unix filter does —
// what it asked for was written; no stack trace for a closed pipe.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

for (const register of await registrationsFor(process.argv)) register(program);

await program.parseAsync(process.argv);
