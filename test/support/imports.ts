/**
 * The import graph of src/, read from the sources (relative imports and `node:` modules, type-only
 * imports included), for the import-rule test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportGraph {
  /** File (relative to src, with '/') → the src files it imports, type-only imports included. */
  files: Map<string, string[]>;
  /** The same without type-only imports (`import type`, `export type`): what runs. */
  values: Map<string, string[]>;
  /** File → the `node:` modules it imports. */
  nodeModules: Map<string, string[]>;
}

const SPEC = /(?:^|[;\s])(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;

function walk(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function importGraph(srcDir: string): ImportGraph {
  const root = resolve(srcDir);
  const rel = (p: string) => relative(root, p).split(sep).join('/');
  const files = new Map<string, string[]>();
  const nodeModules = new Map<string, string[]>();
  const values = new Map<string, string[]>();
  for (const file of walk(root, [])) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps: string[] = [];
    const valueDeps: string[] = [];
    const mods: string[] = [];
    for (const m of text.matchAll(SPEC)) {
      const spec = m[2];
      if (spec.startsWith('node:')) mods.push(spec);
      else if (spec.startsWith('.')) {
        const target = rel(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
        deps.push(target);
        if (!m[1]) valueDeps.push(target);
      }
    }
    files.set(rel(file), deps);
    values.set(rel(file), valueDeps);
    nodeModules.set(rel(file), mods);
  }
  return { files, values, nodeModules };
}

/** The folder of a src file: its first path segment, or '.' for files directly in src. */
export function folderOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? '.' : file.slice(0, i);
}

/** Strongly connected components with more than one file (or a self-import): the cycles. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Every src file `file` reaches through imports, itself excluded. */
export function reachable(graph: Map<string, string[]>, file: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(file) ?? [])];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}
