// Compiles the container launcher (native/podnet-sandbox.c, see its header) into
// dist/native/podnet-sandbox. Run by `npm run build`. Linked statically when the C library's
// static archive is there (no dynamic loader on each of the many starts), dynamically otherwise.
// Needs a C compiler (gcc or clang; scripts/setup.sh installs gcc): without one, podnet's
// analysis still works and starting a lab says what is missing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['podnet-sandbox.c', 'mounts.c', 'peercred.c', 'pty.c'].map((f) => join(root, 'native', f));
const out = join(root, 'dist', 'native', 'podnet-sandbox');
const tmp = `${out}.${process.pid}.tmp`;
const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', tmp, ...sources];

function compile(cc, extra) {
  try {
    execFileSync(cc, [...flags, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (err) {
    return err.code === 'ENOENT' ? 'missing' : String(err.stderr ?? err.message);
  }
}

mkdirSync(dirname(out), { recursive: true });
let failure;
for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
  failure = compile(cc, ['-static']);
  if (failure !== undefined && failure !== 'missing') failure = compile(cc, []);
  if (failure === undefined) {
    renameSync(tmp, out);
    process.exit(0);
  }
  if (failure !== 'missing') break;
}
rmSync(tmp, { force: true });
if (failure === 'missing') {
  console.warn('build-native: no C compiler (cc, gcc, clang): dist/native/podnet-sandbox not built; labs cannot start containers (install gcc)');
  process.exit(0);
}
console.error(`build-native: compiling native/podnet-sandbox.c failed:\n${failure}`);
process.exit(1);
