/** `podnet analyze`: the pod-to-pod matrix, or np-guard-compatible workload connectivity. */
import type { Command } from 'commander';
import { podKey, type Cluster, type Protocol } from '../model/types.js';
import { connlist, formatConnLine } from '../policy/connlist.js';
import { PolicyEngine } from '../policy/engine.js';
import { computeMatrix } from '../policy/matrix.js';
import { unmatchedSelectorWarnings } from '../policy/unmatched.js';
import { formatMatrix, MATRIX_FORMATS, type MatrixView } from '../output/matrix-format.js';
import { collect, loadCluster, oneOf, parsePort, parseProtocol, run, write } from './common.js';

const FORMATS = [...MATRIX_FORMATS, 'connlist', 'connlist-json'] as const;

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('compute who can reach whom under the NetworkPolicies in the manifests (no root needed)')
    .option('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace of objects that name none (as kubectl apply -n)')
    .option('--port <n>', 'judge connections to this port (default: show every allowed connection)')
    .option('--protocol <p>', 'TCP, UDP or SCTP (default TCP)')
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .action((opts: { filename?: string[]; namespace?: string; port?: string; protocol?: string; output: string }) =>
      run(() => {
        const format = oneOf('-o', opts.output, FORMATS);
        const port = parsePort(opts.port);
        const protocol = parseProtocol(opts.protocol);
        const cluster = loadCluster(opts.filename, {}, '-f', opts.namespace);
        for (const w of unmatchedSelectorWarnings(cluster)) process.stderr.write(`podnet: warning: ${w}\n`);
        if (format === 'connlist') return void process.stdout.write(connlist(cluster).map((l) => `${formatConnLine(l)}\n`).join(''));
        if (format === 'connlist-json') return write(JSON.stringify(connlist(cluster), null, 2));
        write(formatMatrix(matrixView(cluster, port, protocol), format));
      }),
    );
}

/** With a port: the fast bitset matrix. Without: every pair's allowed connections. */
export function matrixView(cluster: Cluster, port: number | undefined, protocol: Protocol): MatrixView {
  const pods = cluster.pods.map(podKey);
  if (port !== undefined) {
    const m = computeMatrix(cluster, port, protocol);
    return { pods, port, protocol, allowed: m.rows.map((row) => pods.map((_, d) => row.has(d))) };
  }
  const engine = new PolicyEngine(cluster);
  const connections = cluster.pods.map((src) => cluster.pods.map((dst) => engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.toString()));
  return { pods, port: null, protocol: null, allowed: connections.map((row) => row.map((c) => c !== 'No Connections')), connections };
}
