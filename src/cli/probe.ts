/**
 * `podnet probe FROM TO` and `podnet matrix`: real probes between a lab's pods (TCP connect, UDP
 * request/reply), each shown beside the analyzer's expectation; mismatches are highlighted and
 * make the exit code 1.
 */
import type { Command } from 'commander';
import { labCluster } from '../api/lab-cluster.js';
import { labPods, probeFrom, probeMatrix, routeDevice } from '../lab/probe.js';
import { parseIPv4 } from '../model/ip.js';
import { POLICY_NOTE, secondaryFromRecords, sourceInterface } from '../trace/secondary.js';
import { reachable } from '../probe/verdict.js';
import type { Host } from '../host/host.js';
import type { LabState } from '../lab/state.js';
import { podKey, type Cluster, type Pod, type Protocol } from '../model/types.js';
import { describeOutcome, formatProbeMatrixJson, formatProbeMatrixText, type ProbeMatrixView } from '../output/probe-format.js';
import { explain, formatExplanation, resolveEndpoint } from '../policy/explain.js';
import { labSemantics, type Semantics } from '../policy/semantics.js';
import { oneOf, parsePort, parseProtocol, run, UsageError, write } from './common.js';
import { parseSemantics, semanticsOption } from './semantics.js';
import { DEFAULT_LAB, findPod, requireLab, requireRoot } from './lab-common.js';

interface ProbeOpts {
  name: string;
  namespace: string;
  port?: string;
  protocol?: string;
  output: string;
  semantics?: string;
}

export function registerProbe(program: Command): void {
  const probe = program
    .command('probe')
    .description('send a real probe from one pod to another and show the analyzer\'s verdict beside it (root)')
    .argument('<from>', 'source pod: ns/name, ns/workload, a pod IP, or name with -n')
    .argument('<to>', 'destination: ns/name, ns/workload, name with -n, a pod\'s secondary (e.g. net1) address, or an IPv4 address (a pod\'s, a Service\'s, a node\'s…)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace of pods given without one', 'default')
    .option('--port <n>', 'destination port (default: the destination\'s first container port of that protocol)')
    .option('--protocol <p>', 'TCP or UDP (default TCP; SCTP cannot be probed on this kernel)')
    .option('-o, --output <format>', 'text or json', 'text');
  semanticsOption(probe, 'the lab\'s, from podnet up --semantics')
    .action((from: string, to: string, opts: ProbeOpts) =>
      run(async () => {
        const format = oneOf('-o', opts.output, ['text', 'json'] as const);
        const protocol = probeableProtocol(opts.protocol);
        const host = requireRoot('podnet probe');
        const state = requireLab(opts.name);
        const src = findPod(state, from, opts.namespace).key;
        const cluster = labCluster(state);
        const secondary = secondaryFromRecords(state.attachments ?? {}).find((a) => a.ip === to);
        if (secondary) return probeSecondary(host, state, cluster.pods.find((p) => `${p.namespace}/${p.name}` === secondary.pod)!, src, to, opts, protocol, format);
        const pod = (key: string) => cluster.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
        const semantics = parseSemantics(opts.semantics, labSemantics(state.config));
        if (parseIPv4(to) !== null && !state.placements.some((p) => p.ip === to && p.netns !== null)) {
          return probeAddress(host, state, cluster, pod(src), to, parsePort(opts.port), protocol, format, semantics);
        }
        const dst = findPod(state, to, opts.namespace).key;
        const port = parsePort(opts.port) ?? defaultPort(pod(dst), protocol);
        const { results } = await probeMatrix(host, state, port, protocol, [src], [dst], cluster, semantics);
        const r = results[0][0];
        const why = explain(cluster, { kind: 'pod', pod: pod(src) }, { kind: 'pod', pod: pod(dst) }, port, protocol, semantics);
        const via = await routeDevice(host, netnsOf(state, src), pod(dst).ip);
        if (format === 'json') write(JSON.stringify({ from: src, to: dst, port, protocol, allowed: r.allowed, expected: r.expected, outcome: r.outcome, via, explanation: why }, null, 2));
        else {
          const agree = r.allowed === r.expected ? 'as the analyzer expects' : `BUT the analyzer expects ${r.expected ? 'ALLOWED' : 'DENIED'}`;
          write(`probe ${src} -> ${dst} ${protocol}/${port}: ${r.allowed ? 'ALLOWED' : 'DENIED'} — ${describeOutcome(r.outcome)}${via ? ` via ${via}` : ''}, ${agree}\n${formatExplanation(why)}`);
        }
        process.exitCode = r.allowed ? 0 : 1;
      }),
    );
  const matrix = program
    .command('matrix')
    .description('probe every pair of pods for real, in parallel, beside the analyzer\'s expectation (root)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('--port <n>', 'destination port', '80')
    .option('--protocol <p>', 'TCP or UDP (default TCP)')
    .option('-n, --namespace <ns>', 'only pods of this namespace (default: all namespaces)')
    .option('-A, --all-namespaces', 'every namespace (the default; as kubectl\'s -A)')
    .option('-o, --output <format>', 'text or json', 'text');
  semanticsOption(matrix, 'the lab\'s, from podnet up --semantics')
    .action((opts: Omit<ProbeOpts, 'namespace'> & { namespace?: string; allNamespaces?: boolean }) =>
      run(async () => {
        const format = oneOf('-o', opts.output, ['text', 'json'] as const);
        const port = parsePort(opts.port)!;
        const protocol = probeableProtocol(opts.protocol);
        if (opts.allNamespaces && opts.namespace) throw new UsageError('-A and -n exclude each other');
        const host = requireRoot('podnet matrix');
        const state = requireLab(opts.name);
        const keys = state.placements.map((p) => p.key).filter((k) => !opts.namespace || k.startsWith(`${opts.namespace}/`));
        const semantics = parseSemantics(opts.semantics, labSemantics(state.config));
        const { results } = await probeMatrix(host, state, port, protocol, keys, keys, undefined, semantics);
        const view: ProbeMatrixView = {
          pods: results.map((row) => row[0]?.from).filter((k): k is string => k !== undefined),
          port,
          protocol,
          allowed: results.map((row) => row.map((r) => r.allowed)),
          expected: results.map((row) => row.map((r) => r.expected)),
          outcomes: results.map((row) => row.map((r) => r.outcome)),
        };
        process.stdout.write(format === 'json' ? formatProbeMatrixJson(view) : formatProbeMatrixText(view, process.stdout.isTTY === true));
        if (results.some((row) => row.some((r) => r.allowed !== r.expected))) process.exitCode = 1;
      }),
    );
}

function netnsOf(state: LabState, key: string): string {
  const at = state.placements.find((p) => p.key === key)!;
  return at.netns ?? state.nodes.find((n) => n.name === at.node)!.netns;
}

/**
 * A probe to a pod's secondary address: sent from FROM's namespace, by whatever interface its
 * kernel picks (named in the output). NetworkPolicy does not apply there, so the expectation is
 * that it goes through when FROM has an interface on that subnet.
 */
async function probeSecondary(host: Host, state: LabState, dstPod: Pod, src: string, ip: string, opts: ProbeOpts, protocol: Protocol, format: 'text' | 'json'): Promise<void> {
  const port = parsePort(opts.port) ?? defaultPort(dstPod, protocol);
  const all = secondaryFromRecords(state.attachments ?? {});
  const owner = all.find((a) => a.ip === ip)!;
  const [outcome] = await probeFrom(host, netnsOf(state, src), [{ host: ip, port, protocol }]);
  const via = await routeDevice(host, netnsOf(state, src), ip);
  const allowed = reachable(outcome.verdict);
  const expected = sourceInterface(all, src, ip) !== undefined;
  const to = `${owner.pod} ${owner.ifname} (${ip}, network ${owner.network})`;
  if (format === 'json') write(JSON.stringify({ from: src, to: owner.pod, address: ip, interface: owner.ifname, network: owner.network, port, protocol, allowed, expected, outcome, via, note: POLICY_NOTE }, null, 2));
  else {
    const agree = allowed === expected ? (expected ? 'as expected' : `as expected: ${src} has no interface on that subnet`) : `BUT ${expected ? 'it has an interface on that subnet' : `${src} has no interface on that subnet`}`;
    write(`probe ${src} -> ${to} ${protocol}/${port}: ${allowed ? 'ALLOWED' : 'DENIED'} — ${describeOutcome(outcome)}${via ? ` via ${via}` : ''}, ${agree}\n  ${POLICY_NOTE}`);
  }
}

/**
 * A probe to an address that is no pod's (a Service's ClusterIP, a node, a LoadBalancer IP): the
 * real probe, beside what the analyzer says of that address as a policy peer (ipBlock rules).
 */
async function probeAddress(host: Host, state: LabState, cluster: Cluster, src: Pod, ip: string, port: number | undefined, protocol: Protocol, format: 'text' | 'json', semantics: Semantics): Promise<void> {
  if (port === undefined) throw new UsageError(`--port is required to probe the address ${ip}`);
  const from = labPods(state, cluster).pods.find((p) => p.key === podKey(src))!;
  const [outcome] = await probeFrom(host, from.netns, [{ host: ip, port, protocol }]);
  const allowed = reachable(outcome.verdict);
  const why = explain(cluster, { kind: 'pod', pod: src }, resolveEndpoint(cluster, ip)!, port, protocol, semantics);
  if (format === 'json') write(JSON.stringify({ from: from.key, to: ip, port, protocol, allowed, outcome, explanation: why }, null, 2));
  else write(`probe ${from.key} -> ${ip} ${protocol}/${port}: ${allowed ? 'ALLOWED' : 'DENIED'} — ${describeOutcome(outcome)}; the analyzer, for ${ip} as an address: ${why.allowed ? 'ALLOWED' : 'DENIED'}\n${formatExplanation(why)}`);
  process.exitCode = allowed ? 0 : 1;
}

function probeableProtocol(text: string | undefined): Protocol {
  const protocol = parseProtocol(text);
  if (protocol === 'SCTP') throw new UsageError('--protocol: SCTP cannot be probed on this kernel (no SCTP sockets); use `podnet analyze` for SCTP');
  return protocol;
}

function defaultPort(pod: Pod, protocol: Protocol): number {
  const port = pod.containers.flatMap((c) => c.ports).find((p) => p.protocol === protocol);
  if (!port) throw new UsageError(`pod ${pod.namespace}/${pod.name} declares no ${protocol} container port: give --port`);
  return port.containerPort;
}
