/**
 * Benchmark dispatcher: `npm run bench -- NAME [args…]`. To add a benchmark, write
 * bench/NAME.ts exporting `main(args): Promise<number>` (the exit code) and add one line below.
 */
export interface Benchmark {
  main(args: string[]): Promise<number>;
}

const BENCHMARKS = new Map<string, () => Promise<Benchmark>>([
  ['analyze', () => import('./analyze.js')],
  ['pods', () => import('./pods.js')],
  ['memory', () => import('./memory.js')],
  ['datapath', () => import('./datapath.js')],
  ['services', () => import('./services.js')],
  ['dns', () => import('./dns.js')],
  ['policy', () => import('./policy.js')],
  ['ingress', () => import('./ingress.js')],
  ['ui', () => import('./ui.js')],
  ['api', () => import('./api.js')],
  ['api-writes', () => import('./api-writes.js')],
  ['api-lab', () => import('./api-lab.js')],
]);

function usage(): string {
  return `usage: npm run bench -- NAME [args]\nbenchmarks: ${[...BENCHMARKS.keys()].join(', ')}\n`;
}

const [name, ...args] = process.argv.slice(2);
if (name === '-h' || name === '--help') {
  process.stdout.write(usage());
} else {
  const load = name === undefined ? undefined : BENCHMARKS.get(name);
  if (!load) {
    process.stderr.write(`${name === undefined ? 'missing benchmark name' : `unknown benchmark: ${name}`}\n${usage()}`);
    process.exitCode = 2;
  } else {
    process.exitCode = await (await load()).main(args);
  }
}
