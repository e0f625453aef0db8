/**
 * Reading manifests: files, directories (recursive) and "-" (stdin); YAML (multi-document) and
 * JSON; List and *List kinds unpacked. Produces raw objects tagged with where they came from.
 */
import { readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Source } from '../model/types.js';
import { InputError, type Problem } from './problems.js';

export interface RawObject {
  obj: Record<string, unknown>;
  source: Source;
  /** Path prefix inside the document, e.g. "items[2]" for an unpacked List item. */
  prefix: string;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/** All manifest input of one command together, at most (`--max-input` raises it). */
export const DEFAULT_INPUT_LIMIT = 64 * 1024 * 1024;

/** The limit in bytes: PODNET_MAX_INPUT (the CLI's --max-input sets it), else the default. */
function limit(): number {
  const v = Number(process.env.PODNET_MAX_INPUT);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_INPUT_LIMIT;
}

const overLimit = (what: string) => `${what} is over the input limit of ${limit()} bytes (raise it with --max-input SIZE)`;

/** Expands the -f arguments into the list of files to read, in a stable order. */
export function listManifestFiles(paths: readonly string[], problems: Problem[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push('-');
      continue;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      problems.push({ file: path, message: 'no such file or directory' });
      continue;
    }
    if (!stat.isDirectory()) files.push(path);
    else {
      try {
        files.push(...walk(path));
      } catch (e) {
        problems.push({ file: path, message: `cannot read directory: ${(e as Error).message}` });
      }
    }
  }
  return files;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (MANIFEST_EXTENSIONS.test(entry.name)) out.push(full);
  }
  return out;
}

/** Parses one file's text into raw objects; problems are appended, never thrown. */
export function parseManifestText(text: string, file: string, problems: Problem[]): RawObject[] {
  const out: RawObject[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = err.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : `document ${index + 1}`;
      // The library's message repeats the position after " at line": keep only the reason.
      const reason = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
      problems.push({ file, message: `invalid YAML at ${where}: ${reason}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      problems.push({ file, message: `invalid YAML in document ${index + 1}: ${(e as Error).message}` });
      return;
    }
    unpack(value, { file, doc: index }, '', out, problems);
  });
  return out;
}

function unpack(value: unknown, source: Source, prefix: string, out: RawObject[], problems: Problem[]): void {
  if (value === null || value === undefined) return; // empty document
  if (Array.isArray(value)) {
    value.forEach((item, i) => unpack(item, source, `${prefix}[${i}]`, out, problems));
    return;
  }
  if (typeof value !== 'object') {
    problems.push({ file: source.file, message: `document ${source.doc + 1}${prefix}: expected a Kubernetes object, found ${typeof value}` });
    return;
  }
  const obj = value as Record<string, unknown>;
  const kind = obj.kind;
  if (typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && Array.isArray(obj.items)) {
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    obj.items.forEach((item, i) => {
      const itemPrefix = `${prefix ? prefix + '.' : ''}items[${i}]`;
      if (item && typeof item === 'object' && !Array.isArray(item) && itemKind && !(item as Record<string, unknown>).kind) {
        (item as Record<string, unknown>).kind = itemKind;
      }
      unpack(item, source, itemPrefix, out, problems);
    });
    return;
  }
  out.push({ obj, source, prefix });
}

/** Reads every path given to -f; throws InputError listing all unreadable or unparsable files. */
export function loadManifests(paths: readonly string[], readStdin: () => string = defaultStdin): RawObject[] {
  const { objects, problems } = readManifests(paths, readStdin);
  if (problems.length > 0) throw new InputError(problems);
  return objects;
}

/** Like loadManifests, but returns the problems with whatever could be read, for callers that report more. */
export function readManifests(paths: readonly string[], readStdin: () => string = defaultStdin): { objects: RawObject[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const files = listManifestFiles(paths, problems);
  const objects: RawObject[] = [];
  let total = 0;
  for (const file of files) {
    let text: string;
    try {
      if (file !== '-') {
        // A device (/dev/zero), a FIFO or a socket has no end to read to: refused before reading.
        const stat = statSync(file);
        if (!stat.isFile()) {
          problems.push({ file, message: 'not a regular file (a device, pipe or socket): refused' });
          continue;
        }
        if (total + stat.size > limit()) {
          problems.push({ file, message: overLimit(`${stat.size} bytes${total > 0 ? ` (with ${total} bytes of other files)` : ''}`) });
          continue;
        }
      }
      text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
    } catch (e) {
      problems.push({ file, message: e instanceof InputLimitError ? overLimit('standard input') : `cannot read: ${(e as Error).message}` });
      continue;
    }
    total += Buffer.byteLength(text);
    if (total > limit()) {
      problems.push({ file, message: overLimit(`${total} bytes in all`) });
      continue;
    }
    objects.push(...parseManifestText(text, file === '-' ? '<stdin>' : file, problems));
  }
  return { objects, problems };
}

class InputLimitError extends Error {}

/** Standard input, read up to the limit (a pipe from /dev/zero stops there, not at the memory's end). */
function defaultStdin(): string {
  const chunks: Buffer[] = [];
  let size = 0;
  const chunk = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    size += n;
    if (size > limit()) throw new InputLimitError();
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}
