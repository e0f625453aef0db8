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
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_INPUT);
  });

for (const register of await registrationsFor(process.argv)) register(program);

await program.parseAsync(process.argv);
