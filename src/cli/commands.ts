/**
 * Which module registers which command. main.ts loads only the module of the command being run:
 * Node loads a module's whole import graph before running it, and loading every command's
 * (the analyzer, the lab, nftables renderers, the tracer, …) cost ~90 ms on each invocation.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

/** One loader per module, in the order `podnet --help` lists the commands. */
const MODULES = {
  analyze: async (): Promise<Register> => (await import('./analyze.js')).registerAnalyze,
  explain: async (): Promise<Register> => (await import('./explain.js')).registerExplain,
  diff: async (): Promise<Register> => (await import('./diff.js')).registerDiff,
  up: async (): Promise<Register> => (await import('./up.js')).registerUp,
  down: async (): Promise<Register> => (await import('./down.js')).registerDown,
  apply: async (): Promise<Register> => (await import('./apply.js')).registerApply,
  get: async (): Promise<Register> => (await import('./get.js')).registerGet,
  exec: async (): Promise<Register> => (await import('./exec.js')).registerExec,
  probe: async (): Promise<Register> => (await import('./probe.js')).registerProbe,
  trace: async (): Promise<Register> => (await import('./trace.js')).registerTrace,
  flows: async (): Promise<Register> => (await import('./flows.js')).registerFlows,
  wait: async (): Promise<Register> => (await import('./wait.js')).registerWait,
  ui: async (): Promise<Register> => (await import('./ui.js')).registerUi,
};

/** Command name → the module that registers it (a module may register several). */
export const COMMAND_MODULES: Readonly<Record<string, keyof typeof MODULES>> = {
  analyze: 'analyze',
  explain: 'explain',
  diff: 'diff',
  up: 'up',
  down: 'down',
  ls: 'down',
  apply: 'apply',
  delete: 'apply',
  get: 'get',
  exec: 'exec',
  logs: 'exec',
  probe: 'probe',
  matrix: 'probe',
  trace: 'trace',
  flows: 'flows',
  metrics: 'flows',
  wait: 'wait',
  ui: 'ui',
};

/** The registrations `argv` needs: its command's module, or every module (help, version, typos). */
export async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const name = argv[2];
  const modules = name !== undefined && Object.hasOwn(COMMAND_MODULES, name) ? [COMMAND_MODULES[name]] : (Object.keys(MODULES) as (keyof typeof MODULES)[]);
  return Promise.all(modules.map((m) => MODULES[m]()));
}
