#!/usr/bin/env node
/** podnet's command line: composes the commands, each defined in its own file. */
import { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerDiff } from './diff.js';
import { registerExplain } from './explain.js';
import { registerApply } from './apply.js';
import { EXIT_INPUT } from './common.js';
import { registerDown } from './down.js';
import { registerExec } from './exec.js';
import { registerGet } from './get.js';
import { registerProbe } from './probe.js';
import { registerUp } from './up.js';

const program = new Command();
program
  .name('podnet')
  .description('The Kubernetes network model, for real: analyze NetworkPolicies; run pod networks in Linux namespaces')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_INPUT);
  });

registerAnalyze(program);
registerExplain(program);
registerDiff(program);
registerUp(program);
registerDown(program);
registerApply(program);
registerGet(program);
registerExec(program);
registerProbe(program);

await program.parseAsync(process.argv);
