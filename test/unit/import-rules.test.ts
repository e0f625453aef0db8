// The import rules of docs/architecture.md ("Import rules" table and "Pure modules" list), checked
// against the sources, so the map cannot drift: every folder has a row, every import between folders
// is in its row and every row's entry is used; no import cycles (type-only imports included); the
// pure modules reach no `node:` module through what they import at run time.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, folderOf, importGraph, reachable } from '../support/imports.js';

const ROOT = join(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
const graph = importGraph(join(ROOT, 'src'));

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`docs/architecture.md has no "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 3);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** `| \`src/X\` | \`a\`, \`b\` |` rows: folder → the folders it may import ('—' for none). */
function rules(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of section('Import rules').split('\n')) {
    const m = /^\|\s*`src(?:\/([^`]+))?`\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const deps = [...m[2].matchAll(/`src(?:\/([^`]+))?`/g)].map((d) => d[1] ?? '.');
    out.set(m[1] ?? '.', new Set(deps));
  }
  return out;
}

function actual(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [file, deps] of graph.files) {
    const from = folderOf(file);
    if (!out.has(from)) out.set(from, new Set());
    for (const d of deps) if (folderOf(d) !== from) out.get(from)!.add(folderOf(d));
  }
  return out;
}

describe('import rules (docs/architecture.md)', () => {
  it('every folder of src has a row, and each row lists exactly the folders it imports', () => {
    const table = rules();
    const problems: string[] = [];
    for (const [folder, deps] of actual()) {
      const allowed = table.get(folder);
      if (!allowed) {
        problems.push(`src/${folder}: no row in the Import rules table`);
        continue;
      }
      for (const d of deps) if (!allowed.has(d)) problems.push(`src/${folder} imports src/${d}, which its row does not allow`);
      for (const d of allowed) if (!deps.has(d)) problems.push(`src/${folder}'s row lists src/${d}, which it does not import (remove it)`);
    }
    for (const folder of table.keys()) if (!actual().has(folder)) problems.push(`row src/${folder}: no such folder`);
    expect(problems).toEqual([]);
  });

  it('no import cycles, type-only imports included', () => {
    expect(cycles(graph.files)).toEqual([]);
  });

  it('the pure modules reach no node: module at run time', () => {
    const listed = [...section('Pure modules').matchAll(/^- `src\/([^`]+)`/gm)].map((m) => m[1]);
    expect(listed.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const entry of listed) {
      const files = [...graph.files.keys()].filter((f) => (entry.endsWith('.ts') ? f === entry : f.startsWith(`${entry}/`)));
      if (files.length === 0) problems.push(`src/${entry}: no such file or folder`);
      for (const f of files) {
        const impure = [f, ...reachable(graph.values, f)].filter((x) => (graph.nodeModules.get(x) ?? []).length > 0);
        if (impure.length > 0) problems.push(`src/${f} reaches ${impure.map((x) => `src/${x} (${graph.nodeModules.get(x)!.join(', ')})`).join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
