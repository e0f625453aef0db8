/** `podnet explain`: the verdict for one connection and the policies and rules behind it. */
import type { Command } from 'commander';
import { explain, formatExplanation, resolveEndpoint } from '../policy/explain.js';
import { DEFAULT_SEMANTICS } from '../policy/semantics.js';
import { secondaryNote } from '../trace/secondary.js';
import { collect, loadCluster, oneOf, parsePort, parseProtocol, run, UsageError, write } from './common.js';
import { parseSemantics, semanticsOption } from './semantics.js';

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description('explain whether FROM may connect to TO: which policies select each side, which rule allows it')
    .argument('<from>', 'source: ns/pod, ns/workload, or an IPv4 address')
    .argument('<to>', 'destination: ns/pod, ns/workload, or an IPv4 address')
    .option('-f, --filename <path>', 'manifest file, directory or -; repeatable', collect)
    .option('--port <n>', 'destination port (default: every allowed connection)')
    .option('--protocol <p>', 'TCP, UDP or SCTP (default TCP)')
    .option('-o, --output <format>', 'text or json', 'text');
  semanticsOption(cmd)
    .action((from: string, to: string, opts: { filename?: string[]; port?: string; protocol?: string; output: string; semantics?: string }) =>
      run(() => {
        const format = oneOf('-o', opts.output, ['text', 'json'] as const);
        const semantics = parseSemantics(opts.semantics, DEFAULT_SEMANTICS);
        const port = parsePort(opts.port);
        const protocol = parseProtocol(opts.protocol);
        const cluster = loadCluster(opts.filename);
        const src = resolveEndpoint(cluster, from);
        const dst = resolveEndpoint(cluster, to);
        if (!src) throw new UsageError(`no pod or workload ${JSON.stringify(from)} in the manifests`);
        if (!dst) throw new UsageError(`no pod or workload ${JSON.stringify(to)} in the manifests`);
        const x = explain(cluster, src, dst, port, protocol, semantics);
        // The verdict is about the cluster network; secondary interfaces are outside NetworkPolicy.
        const sec = secondaryNote([src, dst].map((e) => (e.kind === 'pod' ? e.pod : undefined)));
        if (format === 'json') write(JSON.stringify(sec ? { ...x, secondaryNetworks: sec } : x, null, 2));
        else write(formatExplanation(x) + (sec ? `  note: ${sec.note}; not judged here: ${sec.interfaces.join(', ')}\n` : ''));
      }),
    );
}
