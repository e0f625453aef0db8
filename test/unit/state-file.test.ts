/** One reader of lab.json for the CLI and every lab process: a state of another version or not JSON is refused by name. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStateFile, STATE_VERSION } from '../../src/lab/state.js';

const base = mkdtempSync(join(tmpdir(), 'podnet-statefile-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(base, name);
  writeFileSync(path, text);
  return path;
}

describe('readStateFile', () => {
  it('returns the text and the state of this version', () => {
    const text = `${JSON.stringify({ version: STATE_VERSION, phase: 'ready', nodes: [] })}\n`;
    const got = readStateFile(file('good.json', text));
    expect(got.text).toBe(text);
    expect(got.state.phase).toBe('ready');
  });

  it.each([
    ['another version', JSON.stringify({ version: STATE_VERSION + 1 }), new RegExp(`state version ${STATE_VERSION + 1}, this podnet reads version ${STATE_VERSION}`)],
    ['no version', JSON.stringify({ phase: 'ready' }), /state version null/],
    ['not an object', '[1,2]', /state version null/],
    ['not JSON', '{"version": 1', /not a podnet state file/],
  ])('refuses %s, naming the file', (name, text, want) => {
    const path = file(`${name.replace(/\W+/g, '-')}.json`, text);
    expect(() => readStateFile(path)).toThrow(want);
    expect(() => readStateFile(path)).toThrow(path);
  });

  it('a missing file is an error (the lab processes keep their last good state)', () => {
    expect(() => readStateFile(join(base, 'absent.json'))).toThrow(/ENOENT/);
  });
});
