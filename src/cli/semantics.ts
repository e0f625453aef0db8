/** `--semantics`: the shared flag of the analyzer commands, `probe`/`matrix`/`trace` and `up`. */
import type { Command } from 'commander';
import { SEMANTICS_NAMES, semanticsByName, type Semantics } from '../policy/semantics.js';
import { UsageError } from './common.js';

/** Adds `--semantics <profile>`; `defaultText` says what applies without it. */
export function semanticsOption(cmd: Command, defaultText = 'upstream'): Command {
  return cmd.option('--semantics <profile>', `NetworkPolicy semantics profile: ${SEMANTICS_NAMES.join(', ')} (default ${defaultText}; README "Semantics")`);
}

/** The profile named by `--semantics`, or `fallback` without the flag. */
export function parseSemantics(text: string | undefined, fallback: Semantics): Semantics {
  if (text === undefined) return fallback;
  const s = semanticsByName(text);
  if (!s) throw new UsageError(`--semantics: ${JSON.stringify(text)} is not one of ${SEMANTICS_NAMES.join(', ')}`);
  return s;
}
