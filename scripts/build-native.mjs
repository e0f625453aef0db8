// Compiles podnet's two native programs into dist/native/. Run by `npm run build`.
//  - podnet-sandbox (native/podnet-sandbox.c, see its header): the container launcher. Linked
//    statically when the C library's static archive is there (no dynamic loader on each of the
//    many starts), dynamically otherwise. Without it labs cannot start containers.
//  - podnet-nft (native/podnet-nft.c): nftables through libnftables in one long-lived process.
//    Needs libnftables-dev (scripts/setup.sh installs it); without it podnet runs the `nft`
//    command instead (slower, same results), so its absence is only a warning.
// Needs a C compiler (gcc or clang; scripts/setup.sh installs gcc): without one, podnet's
// analysis still works and starting a lab says what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'native');

function compile(cc, out, sources, extra) {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', tmp, ...sources, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, out);
    return undefined;
  } catch (err) {
    rmSync(tmp, { force: true });
    return err.code === 'ENOENT' ? 'missing' : String(err.stderr ?? err.message);
  }
}

/** Tries each compiler, each link mode in turn; undefined when built, else 'missing' or the error. */
function build(name, sources, modes) {
  const out = join(outDir, name);
  let failure;
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean)) {
    for (const extra of modes) {
      failure = compile(cc, out, sources.map((f) => join(root, 'native', f)), extra);
      if (failure === undefined || failure === 'missing') break;
    }
    if (failure !== 'missing') return failure;
  }
  return failure;
}

mkdirSync(outDir, { recursive: true });
const sandbox = build('podnet-sandbox', ['podnet-sandbox.c', 'mounts.c', 'peercred.c', 'pty.c'], [['-static'], []]);
if (sandbox === 'missing') {
  console.warn('build-native: no C compiler (cc, gcc, clang): dist/native/podnet-sandbox not built; labs cannot start containers (install gcc)');
  process.exit(0);
}
if (sandbox !== undefined) {
  console.error(`build-native: compiling native/podnet-sandbox.c failed:\n${sandbox}`);
  process.exit(1);
}
rmSync(join(outDir, 'podnet-nft'), { force: true });
if (!existsSync('/usr/include/nftables/libnftables.h')) {
  console.warn('build-native: no libnftables headers (apt install libnftables-dev): dist/native/podnet-nft not built; podnet runs the nft command instead');
  process.exit(0);
}
const nft = build('podnet-nft', ['podnet-nft.c'], [['-lnftables']]);
if (nft !== undefined) {
  console.error(`build-native: compiling native/podnet-nft.c failed:\n${nft}`);
  process.exit(1);
}
