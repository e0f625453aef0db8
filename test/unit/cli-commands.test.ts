import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, registrationsFor } from '../../src/cli/commands.js';

const names = (program: Command) => program.commands.map((c) => c.name());

async function registered(argv: string[]): Promise<string[]> {
  const program = new Command();
  for (const register of await registrationsFor(argv)) register(program);
  return names(program);
}

describe('lazy command registration', () => {
  it('without a known command every module registers, and the table names exactly those commands', async () => {
    const all = await registered(['node', 'podnet', '--help']);
    expect([...all].sort()).toEqual(Object.keys(COMMAND_MODULES).sort());
  });

  it.each(Object.keys(COMMAND_MODULES))('podnet %s loads the module that registers it', async (name) => {
    expect(await registered(['node', 'podnet', name])).toContain(name);
  });

  it.each([['typo'], ['help'], ['-V']])('%s gets every command (help and suggestions need them)', async (arg) => {
    expect((await registered(['node', 'podnet', arg])).length).toBe(Object.keys(COMMAND_MODULES).length);
  });
});
