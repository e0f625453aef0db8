/** `podnet analyze`: the pod-to-pod matrix, or np-guard-compatible workload connectivity. */
import type { Command } from 'commander';
import { podKey, type Cluster, type Protocol } from '../model/types.js';
import { connlist, formatConnLine } from '../policy/connlist.js';
import { PolicyEngine } from '../policy/engine.js';
import { computeMatrix } from '../policy/matrix.js';
import { unmatchedSelectorWarnings } from '../policy/unmatched.js';
import { formatMatrix, MATRIX_FORMATS, type MatrixView } from '../output/matrix-format.js';
import { formatPortabilityText, portability } from '../policy/portability.js';
import { DEFAULT_SEMANTICS, SEMANTICS, type Semantics } from '../policy/semantics.js';
import { collect, loadCluster, oneOf, parsePort, parseProtocol, run, UsageError, write } from './common.js';
import { parseSemantics, semanticsOption } from './semantics.js';

const FORMATS = [...MATRIX_FORMATS, 'connlist', 'connlist-json', 'html'] as const;

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('compute who can reach whom under the NetworkPolicies in the manifests (no root needed)')
    .option('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace of objects that name none (as kubectl apply -n)')
    .option('--port <n>', 'judge connections to this port (default: show every allowed connection)')
    .option('--protocol <p>', 'TCP, UDP or SCTP (default TCP)')
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'text');
  semanticsOption(cmd, 'upstream; np-guard for -o connlist')
    .option('--portability', 'list the connections whose verdict differs between the semantics profiles (-o text or json)')
    .option('--exit-code', 'with --portability: exit with status 1 when some connection differs')
    .action((opts: AnalyzeOpts) =>
      run(async () => {
        const format = oneOf('-o', opts.output, FORMATS);
        const port = parsePort(opts.port);
        const protocol = parseProtocol(opts.protocol);
        if (opts.portability) return analyzePortability(opts, format, port, protocol);
        if (opts.exitCode) throw new UsageError('--exit-code needs --portability');
        const connlistFormat = format === 'connlist' || format === 'connlist-json';
        // -o connlist keeps np-guard's semantics unless told otherwise, to stay comparable with it.
        const semantics = parseSemantics(opts.semantics, connlistFormat ? SEMANTICS['np-guard'] : DEFAULT_SEMANTICS);
        const cluster = loadCluster(opts.filename, {}, '-f', opts.namespace);
        for (const w of unmatchedSelectorWarnings(cluster)) process.stderr.write(`podnet: warning: ${w}\n`);
        if (format === 'connlist') return void process.stdout.write(connlist(cluster, { semantics }).map((l) => `${formatConnLine(l)}\n`).join(''));
        if (format === 'connlist-json') return write(JSON.stringify(connlist(cluster, { semantics }), null, 2));
        if (format === 'html') return void process.stdout.write((await import('../ui/report-html.js')).reportHtml((await import('../ui/report.js')).analysisReport(cluster, { port, protocol, inputs: opts.filename ?? [], semantics })));
        write(formatMatrix(matrixView(cluster, port, protocol, semantics), format));
      }),
    );
}

interface AnalyzeOpts {
  filename?: string[];
  namespace?: string;
  port?: string;
  protocol?: string;
  output: string;
  semantics?: string;
  portability?: boolean;
  exitCode?: boolean;
}

/** `--portability`: every profile against the baseline (`--semantics`, default upstream). */
function analyzePortability(opts: AnalyzeOpts, format: (typeof FORMATS)[number], port: number | undefined, protocol: Protocol): void {
  if (format !== 'text' && format !== 'json') throw new UsageError(`--portability: -o ${format} is not supported; use text or json`);
  const baseline = parseSemantics(opts.semantics, DEFAULT_SEMANTICS);
  const report = portability(loadCluster(opts.filename, {}, '-f', opts.namespace), { baseline, port, protocol });
  write(format === 'json' ? JSON.stringify(report, null, 2) : formatPortabilityText(report));
  if (opts.exitCode && report.differences.length > 0) process.exitCode = 1;
}

/** With a port: the fast bitset matrix. Without: every pair's allowed connections. */
export function matrixView(cluster: Cluster, port: number | undefined, protocol: Protocol, semantics: Semantics = DEFAULT_SEMANTICS): MatrixView {
  const pods = cluster.pods.map(podKey);
  if (port !== undefined) {
    const m = computeMatrix(cluster, port, protocol, { semantics });
    return { pods, port, protocol, allowed: m.rows.map((row) => pods.map((_, d) => row.has(d))) };
  }
  const engine = new PolicyEngine(cluster, { semantics });
  const connections = cluster.pods.map((src) => cluster.pods.map((dst) => engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.toString()));
  return { pods, port: null, protocol: null, allowed: connections.map((row) => row.map((c) => c !== 'No Connections')), connections };
}
