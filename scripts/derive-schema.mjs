#!/usr/bin/env node
// Derives src/apiserver/schema-meta.ts, the field names of every definition reachable from the
// built-in kinds the lab's API server serves (the kind list of scripts/derive-patch-meta.mjs), from
// the Kubernetes OpenAPI v2 document. Facts only: property names and, where a property holds an
// object, a list of objects or a map of objects, the definition of that object. Used by
// src/apiserver/field-validation.ts to report unknown fields as fieldValidation=Strict/Warn does.
//
//   node scripts/derive-schema.mjs            write src/apiserver/schema-meta.ts
//   node scripts/derive-schema.mjs --check    exit 1 if the checked-in file differs
//   --swagger <file>                          default: as derive-patch-meta.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WANTED, swaggerPath } from './derive-patch-meta.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'src', 'apiserver', 'schema-meta.ts');

const refName = (ref) => (typeof ref === 'string' ? ref.replace('#/definitions/', '') : undefined);
const byName = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A definition that accepts any JSON below it: marked x-kubernetes-preserve-unknown-fields, or an
 * object with neither properties nor additionalProperties (RawExtension, FieldsV1: Go types with
 * their own UnmarshalJSON, so the strict decoder never looks inside them).
 */
function isOpen(def) {
  if (def['x-kubernetes-preserve-unknown-fields'] === true) return true;
  return def.type === 'object' && def.properties === undefined && def.additionalProperties === undefined;
}

/**
 * The shape of a property's value as far as unknown fields go: `{ def, wrap }` where wrap is ''
 * (the object itself), '[]' (list items) or '{}' (map values), or undefined for a value that holds
 * no fields (scalars, lists and maps of scalars, refs to scalar definitions such as Quantity).
 */
function shape(defs, prop, where) {
  if (prop['x-kubernetes-preserve-unknown-fields'] === true) return { def: '*', wrap: '' };
  const inner = (p) => {
    if (p.$ref) return refName(p.$ref);
    if (p.type === 'array' || (p.type === 'object' && p.additionalProperties)) {
      if (shape(defs, p, where)) throw new Error(`${where}: a list or map of lists or maps of objects is not supported`);
    }
    if (p.properties) throw new Error(`${where}: an inline object schema is not supported`);
    if (p.type === 'object' && !p.additionalProperties) return '*';
    return undefined;
  };
  let def;
  let wrap = '';
  if (prop.type === 'array') [def, wrap] = [inner(prop.items ?? {}), '[]'];
  else if (prop.type === 'object' && prop.additionalProperties && typeof prop.additionalProperties === 'object') [def, wrap] = [inner(prop.additionalProperties), '{}'];
  else if (prop.type === 'object' && prop.additionalProperties === true) [def, wrap] = ['*', '{}'];
  else def = inner(prop);
  if (def === undefined) return undefined;
  if (def !== '*') {
    const d = defs[def];
    if (!d) throw new Error(`${where}: no definition ${def}`);
    if (!isOpen(d) && d.properties === undefined) return undefined; // a scalar definition
  }
  return { def, wrap };
}

/** { defs: definition → [field, shape | undefined][] (sorted), open: sorted definition names }. */
export function derive(swagger) {
  const defs = swagger.definitions;
  const roots = [];
  for (const [name, def] of Object.entries(defs)) {
    for (const g of def['x-kubernetes-group-version-kind'] ?? []) if (WANTED.includes(`${g.group}/${g.version}/${g.kind}`)) roots.push(name);
  }
  if (new Set(roots).size !== WANTED.length) throw new Error(`the swagger has ${new Set(roots).size} of the ${WANTED.length} kinds`);
  const out = {};
  const open = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop();
    if (name in out || open.has(name)) continue;
    const def = defs[name];
    if (isOpen(def)) {
      open.add(name);
      continue;
    }
    if (def.additionalProperties !== undefined) throw new Error(`${name}: a definition with additionalProperties is not supported`);
    const fields = [];
    for (const [field, prop] of Object.entries(def.properties ?? {}).sort(byName)) {
      if (/\s|:|\[|\{/.test(field)) throw new Error(`${name}.${field}: a field name the table cannot hold`);
      const s = shape(defs, prop, `${name}.${field}`);
      fields.push([field, s]);
      if (s && s.def !== '*') stack.push(s.def);
    }
    out[name] = fields;
  }
  return { defs: Object.fromEntries(Object.entries(out).sort(byName)), open: [...open].sort() };
}

const q = (s) => `'${s}'`;
const entry = ([field, s]) => (s ? `${field}${s.wrap}:${s.def}` : field);

/** The TypeScript source of src/apiserver/schema-meta.ts. */
export function render({ defs, open }) {
  const lines = [
    '// GENERATED by scripts/derive-schema.mjs from the Kubernetes OpenAPI v2 document; do not edit.',
    '// Regenerate: node scripts/derive-schema.mjs (test/unit/schema-meta.test.ts checks it is current).',
    '// The fields of every definition reachable from the kinds of patch-meta.ts KINDS, for unknown-field',
    '// validation (field-validation.ts). Pure data. One string per definition, space-separated:',
    '//   name          a field whose value holds no fields the schema knows (scalars, Quantity, lists',
    '//                 and maps of scalars)',
    '//   name:Def      an object of definition Def',
    '//   name[]:Def    a list of Def objects',
    '//   name{}:Def    a map (additionalProperties) of Def objects; its keys are never fields',
    "// Def '*' or a definition in OPEN accepts anything below it.",
    '',
    'export const SCHEMA: Record<string, string> = {',
    ...Object.entries(defs).map(([name, fields]) => `  ${q(name)}: ${q(fields.map(entry).join(' '))},`),
    '};',
    '',
    '/** Definitions that accept any value: nothing below them is an unknown field. */',
    'export const OPEN: readonly string[] = [',
    ...open.map((n) => `  ${q(n)},`),
    '];',
    '',
  ];
  return lines.join('\n');
}

function main(argv) {
  const i = argv.indexOf('--swagger');
  const file = i >= 0 ? argv[i + 1] : swaggerPath();
  if (!file || !existsSync(file)) {
    console.error('derive-schema: no swagger.json (pass --swagger <file>)');
    return 2;
  }
  const text = render(derive(JSON.parse(readFileSync(file, 'utf8'))));
  if (argv.includes('--check')) {
    const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    if (current === text) return 0;
    console.error(`derive-schema: ${OUT} is not what ${file} gives; run node scripts/derive-schema.mjs`);
    return 1;
  }
  writeFileSync(OUT, text);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
