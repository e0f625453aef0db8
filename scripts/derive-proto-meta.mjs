#!/usr/bin/env node
// Derives src/apiserver/proto-meta.ts, the protobuf field tables of the kinds the lab's API server
// serves, from the `generated.proto` files of k8s.io/api and k8s.io/apimachinery (facts only: message
// names, field numbers, scalar types, repeated/map) and the Go struct tags beside them in the same
// packages (the JSON name, `omitempty`, whether the Go field is a pointer, embedded structs that JSON
// inlines). No descriptions are copied.
//
//   node scripts/derive-proto-meta.mjs            write src/apiserver/proto-meta.ts
//   node scripts/derive-proto-meta.mjs --check    exit 1 if the checked-in file differs
//   --api <dir> --apimachinery <dir>              a git directory (bare mirror: read at HEAD) or a
//                                                 work tree of each repository; default: the mirrors
//                                                 /work/.mirror/kubernetes+api/repo and …+apimachinery/repo
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WANTED as PATCH_KINDS } from './derive-patch-meta.mjs';
import { parseGo, parseProto } from './proto-meta-parse.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'src', 'apiserver', 'proto-meta.ts');
export const MIRRORS = { api: '/work/.mirror/kubernetes+api/repo', apimachinery: '/work/.mirror/kubernetes+apimachinery/repo' };

/**
 * The served kinds, as `apiVersion/Kind` (their messages: io.k8s.api.<group>.<version>.<Kind>):
 * derive-patch-meta's list, and the reviews kubectl's typed clients create (`kubectl auth can-i`,
 * `auth whoami`), which are answered and never stored, so they have no patch metadata.
 */
export const REVIEW_KINDS = ['authorization.k8s.io/v1/SelfSubjectAccessReview', 'authorization.k8s.io/v1/SelfSubjectRulesReview', 'authentication.k8s.io/v1/SelfSubjectReview'];
export const WANTED = [...PATCH_KINDS.map((k) => k.replace(/^\//, '')), ...REVIEW_KINDS];
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** meta/v1 kinds a client sends in any group version (kubectl delete: DeleteOptions). */
const META_KINDS = ['DeleteOptions', 'Status'];
/** Messages whose JSON form is not an object; protobuf.ts converts them, so their fields are listed. */
export const SPECIAL = [
  `${META}.Time`, `${META}.MicroTime`, `${META}.Duration`, `${META}.FieldsV1`,
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString', 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  // `type ExtraValue []string`: a list of strings, wrapped in a message for protobuf maps.
  'io.k8s.api.authentication.v1.ExtraValue', 'io.k8s.api.authorization.v1.ExtraValue',
];
/** The envelope of every protobuf body (after the 4-byte prefix `k8s\0`). */
export const ENVELOPE = 'io.k8s.apimachinery.pkg.runtime.Unknown';

/** A repository: list and read files at HEAD of a bare git directory, or in a work tree. */
function source(dir) {
  const bare = existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects'));
  const git = (...args) => execFileSync('git', ['--git-dir', bare ? dir : join(dir, '.git'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  let commit = 'unknown';
  try { commit = git('rev-parse', 'HEAD').trim(); } catch { /* a plain directory */ }
  return {
    commit,
    list: (sub) => (bare ? git('ls-tree', '--name-only', `HEAD:${sub}`).split('\n').filter(Boolean) : existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)) : []),
    read: (path) => (bare ? git('show', `HEAD:${path}`) : readFileSync(join(dir, path), 'utf8')),
  };
}

/** `k8s.io.api.core.v1.Pod` (proto) → `io.k8s.api.core.v1.Pod` (the OpenAPI name patch-meta.ts uses too). */
const openapi = (name) => name.replace(/^k8s\.io\./, 'io.k8s.');

/** proto package `k8s.io.api.core.v1` → (repository, folder), and the OpenAPI-style name prefix. */
function locate(pkg) {
  const m = /^k8s\.io\.(api|apimachinery)\.(.+)$/.exec(pkg);
  if (!m) throw new Error(`unexpected proto package ${pkg}`);
  return { repo: m[1], dir: m[2].replaceAll('.', '/'), prefix: openapi(pkg) };
}

/** Every message of the packages reached from core/v1 … (following imports), keyed by full name. */
function load(repos) {
  const messages = new Map();
  const seen = new Set();
  const queue = ['k8s.io/api/core/v1', 'k8s.io/api/apps/v1', 'k8s.io/api/batch/v1', 'k8s.io/api/discovery/v1',
    'k8s.io/api/networking/v1', 'k8s.io/api/autoscaling/v1', 'k8s.io/api/authorization/v1', 'k8s.io/api/authentication/v1',
    'k8s.io/apimachinery/pkg/apis/meta/v1'];
  while (queue.length > 0) {
    const goPkg = queue.shift();
    if (seen.has(goPkg)) continue;
    seen.add(goPkg);
    const { repo, dir, prefix } = locate(goPkg.replaceAll('/', '.'));
    const src = repos[repo];
    const proto = parseProto(src.read(`${dir}/generated.proto`));
    if (openapi(proto.pkg) !== prefix) throw new Error(`${dir}/generated.proto: package ${proto.pkg}`);
    const goFiles = src.list(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_') && f !== 'generated.pb.go');
    const structs = parseGo(goFiles.map((f) => src.read(`${dir}/${f}`)).join('\n'));
    for (const imp of proto.imports) queue.push(imp.replace(/\/generated\.proto$/, ''));
    for (const msg of proto.messages) messages.set(`${prefix}.${msg.name}`, { ...msg, pkg: prefix, go: structs.get(msg.name) });
  }
  return messages;
}

const SCALARS = { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', bytes: 'bytes', double: 'double' };

/** A field's type in the proto → a scalar kind or a message's full name. */
function resolveType(type, pkg, messages, where) {
  if (SCALARS[type]) return SCALARS[type];
  const full = type.startsWith('.') ? openapi(type.slice(1)) : `${pkg}.${type}`;
  if (!messages.has(full)) throw new Error(`${where}: unknown type ${type}`);
  return full;
}

/** { kinds: apiVersion/Kind → message, messages: name → number → [json, kind, flags, type?] }. */
export function derive(repos) {
  const all = load(repos);
  const kinds = {};
  const groupVersions = new Set(['meta.k8s.io/v1']);
  for (const w of WANTED) {
    const [gv, kind] = [w.slice(0, w.lastIndexOf('/')), w.slice(w.lastIndexOf('/') + 1)];
    const [group, version] = gv.includes('/') ? gv.split('/') : ['core', gv];
    const name = `io.k8s.api.${group.split('.')[0]}.${version}.${kind}`;
    if (!all.has(name)) throw new Error(`no message ${name} for ${w}`);
    kinds[w] = name;
    groupVersions.add(gv);
  }
  for (const gv of groupVersions) for (const k of META_KINDS) kinds[`${gv}/${k}`] = `${META}.${k}`;
  const out = {};
  const stack = [...new Set(Object.values(kinds)), ...SPECIAL, ENVELOPE];
  while (stack.length > 0) {
    const name = stack.pop();
    if (out[name]) continue;
    const msg = all.get(name);
    if (!msg) throw new Error(`no message ${name}`);
    if (!msg.go && msg.fields.length > 0 && !SPECIAL.includes(name) && name !== ENVELOPE) throw new Error(`${name}: no Go struct with protobuf tags beside the proto`);
    const fields = {};
    for (const f of msg.fields) {
      const where = `${name} field ${f.number}`;
      const go = msg.go?.get(f.number);
      const value = resolveType(f.value ?? f.type, msg.pkg, all, where);
      if (f.key !== undefined && f.key !== 'string') throw new Error(`${where}: map key ${f.key}`);
      let flags = f.label === 'repeated' ? 'r' : '';
      if (go?.keepZero && f.label === 'optional') flags += 'z';
      if (go?.inline && !SCALARS[f.type]) flags += 'i';
      const kind = f.label === 'map' ? 'map' : SCALARS[f.type] ? value : 'message';
      const json = go?.json && go.json !== '-' ? go.json : f.name;
      fields[f.number] = kind === 'map' || kind === 'message' ? [json, kind, flags, value] : [json, kind, flags];
      if (!SCALARS[value] && !SPECIAL.includes(name)) stack.push(value);
    }
    out[name] = fields;
  }
  const sort = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { kinds: sort(kinds), messages: sort(out) };
}

const q = (s) => `'${s}'`;
const tuple = (f) => `[${f.map(q).join(', ')}]`;

/** The TypeScript source of src/apiserver/proto-meta.ts. */
export function render({ kinds, messages }, repos) {
  const lines = [
    '// GENERATED by scripts/derive-proto-meta.mjs; do not edit. Regenerate: node scripts/derive-proto-meta.mjs',
    '// [--api <dir> --apimachinery <dir>] (test/unit/proto-meta.test.ts checks it is current). Facts from:',
    `//   github.com/kubernetes/api ${repos.api.commit}`,
    `//   github.com/kubernetes/apimachinery ${repos.apimachinery.commit}`,
    '// the generated.proto files (message names, field numbers, types, repeated/map) and the Go struct tags',
    '// of the same packages (JSON name, omitempty, pointer, inlined embedded struct). Pure data.',
    '',
    "export type Kind = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double' | 'message' | 'map';",
    '/**',
    ' * [JSON name, kind, flags, type]. Flags: `r` repeated; `z` a zero value is sent in JSON (a Go pointer,',
    ' * or no omitempty; for a message: its JSON zero, e.g. IntOrString 0); `i` an embedded Go struct whose',
    " * fields JSON inlines in the parent. Type: the message of a 'message' field, the value of a 'map' field",
    ' * (a scalar kind or a message; keys are strings).',
    ' */',
    'export type Field = readonly [string, Kind, string, string?];',
    '',
    "/** 'v1/Pod', 'apps/v1/Deployment', 'apps/v1/DeleteOptions' … → message name. */",
    'export const KINDS: Record<string, string> = {',
    ...Object.entries(kinds).map(([k, v]) => `  ${q(k)}: ${q(v)},`),
    '};',
    '',
    '/** Message name → field number → field, for every message reachable from KINDS. */',
    'export const MESSAGES: Record<string, Record<number, Field>> = {',
  ];
  for (const [name, fields] of Object.entries(messages)) {
    const body = Object.entries(fields).map(([n, f]) => `${n}: ${tuple(f)}`).join(', ');
    lines.push(`  ${q(name)}: { ${body} },`);
  }
  lines.push('};', '');
  return lines.join('\n');
}

function main(argv) {
  const arg = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const dirs = { api: arg('--api') ?? MIRRORS.api, apimachinery: arg('--apimachinery') ?? MIRRORS.apimachinery };
  for (const [k, d] of Object.entries(dirs)) {
    if (!existsSync(d)) {
      console.error(`derive-proto-meta: no k8s.io/${k} at ${d} (pass --${k} <dir>)`);
      return 2;
    }
  }
  const repos = { api: source(dirs.api), apimachinery: source(dirs.apimachinery) };
  const text = render(derive(repos), repos);
  if (argv.includes('--check')) {
    const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    if (current === text) return 0;
    console.error(`derive-proto-meta: ${OUT} is not what ${dirs.api} and ${dirs.apimachinery} give; run node scripts/derive-proto-meta.mjs`);
    return 1;
  }
  writeFileSync(OUT, text);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
