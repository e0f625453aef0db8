// Bundles the web view (web/: preact, dagre) into dist/ui/app.js with esbuild: one script that
// `podnet ui` serves and `-o html` reports embed. Run by `npm run build`.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'web', 'main.tsx')],
  outfile: join(root, 'dist', 'ui', 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  loader: { '.css': 'text' },
  legalComments: 'none',
  logLevel: 'warning',
});
