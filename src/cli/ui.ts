/** `podnet ui`: a web view of a lab (topology, policy matrix, live flows), or of manifests with -f. */
import type { Command } from 'commander';
import { uiBundle } from '../ui/assets.js';
import { startUiServer } from '../ui/server.js';
import { filesSource, labSource } from '../ui/sources.js';
import { collect, oneOf, parsePort, run, UsageError } from './common.js';
import { DEFAULT_LAB } from './lab-common.js';

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('serve a web view on 127.0.0.1: topology, policy matrix with real probes and explanations, live flows')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-f, --filename <path>', 'no lab: show these manifests (topology as `podnet up` would place them, the analyzer\'s views); repeatable', collect)
    .option('--nodes <n>', 'with -f: number of nodes', '2')
    .option('--mode <mode>', 'with -f: routed or vxlan', 'routed')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free one)')
    .action((opts: { name: string; filename?: string[]; nodes: string; mode: string; port?: string }) =>
      run(async () => {
        const port = parsePort(opts.port);
        const bundle = uiBundle();
        const nodes = Number(opts.nodes);
        if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) throw new UsageError(`--nodes: ${JSON.stringify(opts.nodes)} is not a number of nodes (1-64)`);
        const source = opts.filename ? filesSource(opts.filename, { nodes, mode: oneOf('--mode', opts.mode, ['routed', 'vxlan'] as const) }) : await labSource(opts.name);
        let server;
        try {
          server = await startUiServer(source, { port, bundle });
        } catch (e) {
          source.close();
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`--port: 127.0.0.1:${port} is in use`);
          throw e;
        }
        process.stdout.write(`podnet ui: ${server.url} (${source.lab ? `lab ${source.lab}` : 'manifests'}; Ctrl-C to stop)\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }),
    );
}
