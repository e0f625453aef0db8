/**
 * `podnet trace FROM TO`: one connection explained end to end (src/trace/build.ts) — DNS, Service
 * NAT, route, egress and ingress policy — then, in a running lab, a real probe from FROM's network
 * namespace confirming the prediction. With -f, offline: placement and allocations as a fresh
 * `podnet up` would make them, and no probe.
 */
import type { Command } from 'commander';
import { readManifests } from '../api/load.js';
import { InputError } from '../api/problems.js';
import { podStatuses } from '../lab/lab.js';
import { probeFrom } from '../lab/probe.js';
import { endpointStatusOf } from '../lab/readiness.js';
import { defaultLbCidr, defaultNodeCidr, validateLabConfig, type LabConfig } from '../model/lab.js';
import { reachable, type ProbeOutcome } from '../probe/verdict.js';
import { buildTrace, TraceInputError, type Trace } from '../trace/build.js';
import { formatTrace, type ProbeReport } from '../trace/format.js';
import { parseTarget, TargetError } from '../trace/target.js';
import { labWorld, offlineWorld, type TraceWorld } from '../trace/world.js';
import { collect, oneOf, parsePort, parseProtocol, run, UsageError, write } from './common.js';
import { parseSemantics, semanticsOption } from './semantics.js';
import { labSemantics } from '../policy/semantics.js';
import { DEFAULT_LAB, requireLab, requireRoot } from './lab-common.js';

interface TraceOpts {
  name: string;
  namespace: string;
  filename?: string[];
  port?: string;
  protocol?: string;
  output: string;
  probe: boolean;
  nodes: string;
  mode: string;
  semantics?: string;
}

export function registerTrace(program: Command): void {
  const cmd = program
    .command('trace')
    .description('explain one connection end to end: DNS, Service NAT, route, egress and ingress policy, then a real probe (lab: root)')
    .argument('<from>', 'source pod: ns/name, or name with -n')
    .argument('<to>', 'a pod (ns/name), an address (IP[:PORT]), a URL, or a name as the pod would resolve it (web, web.shop, …)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace of a FROM (and of a TO pod) given without one', 'default')
    .option('-f, --filename <path>', 'offline: trace over these manifests instead of a lab; repeatable', collect)
    .option('--nodes <n>', 'offline: number of nodes', '2')
    .option('--mode <mode>', 'offline: routed or vxlan', 'routed')
    .option('--port <n>', 'destination port (default: from TO, the pod\'s first container port or the Service\'s first port)')
    .option('--protocol <p>', 'TCP, UDP or SCTP (default TCP)')
    .option('--no-probe', 'lab: do not send the confirming probe')
    .option('-o, --output <format>', 'text or json', 'text');
  semanticsOption(cmd, 'the lab\'s; upstream with -f')
    .action((from: string, to: string, opts: TraceOpts) =>
      run(async () => {
        const format = oneOf('-o', opts.output, ['text', 'json'] as const);
        const port = parsePort(opts.port);
        const protocol = parseProtocol(opts.protocol);
        const target = parseOrUsage(to);
        const src = from.includes('/') ? from : `${opts.namespace}/${from}`;
        const offlineWorld = opts.filename ? offline(opts) : null;
        const world = offlineWorld && { ...offlineWorld, semantics: parseSemantics(opts.semantics, labSemantics(offlineWorld.config)) };
        let lab: { world: TraceWorld; netns: (key: string) => string } | null = null;
        if (!world) {
          const host = requireRoot('podnet trace (without -f)');
          const state = requireLab(opts.name);
          const statuses = await podStatuses(state);
          const placements = new Map(state.placements.map((p) => [p.key, p]));
          const nodeNetns = new Map(state.nodes.map((n) => [n.name, n.netns]));
          const labW = labWorld(state, (key) => endpointStatusOf(statuses.get(key)));
          lab = { world: { ...labW, semantics: parseSemantics(opts.semantics, labSemantics(state.config)) }, netns: (key) => placements.get(key)!.netns ?? nodeNetns.get(placements.get(key)!.node)! };
          const t = traced(lab.world, { from: src, to: target, toText: to, port, protocol, namespace: opts.namespace });
          const probe = opts.probe ? await probeTrace(t, (targets) => probeFrom(host, lab!.netns(src), targets)) : undefined;
          return print(format, t, probe);
        }
        print(format, traced(world, { from: src, to: target, toText: to, port, protocol, namespace: opts.namespace }), undefined);
      }),
    );
}

function parseOrUsage(to: string) {
  try {
    return parseTarget(to);
  } catch (e) {
    if (e instanceof TargetError) throw new UsageError(e.message);
    throw e;
  }
}

function traced(world: TraceWorld, req: Parameters<typeof buildTrace>[1]): Trace {
  try {
    return buildTrace(world, req);
  } catch (e) {
    if (e instanceof TraceInputError) throw new UsageError(e.message);
    throw e;
  }
}

function offline(opts: TraceOpts): TraceWorld {
  const mode = oneOf('--mode', opts.mode, ['routed', 'vxlan'] as const);
  const nodes = Number(opts.nodes);
  const config: LabConfig = { name: 'offline', nodes, mode, podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: defaultNodeCidr('offline'), lbCidr: defaultLbCidr('offline'), dns: true };
  const problems = validateLabConfig(config);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const { objects, problems: loadProblems } = readManifests(opts.filename!);
  if (loadProblems.length > 0) throw new InputError(loadProblems);
  return offlineWorld(config, objects);
}

/** Probes the address the connection is opened to; null when the trace has no lab address. */
export async function probeTrace(t: Trace, probe: (targets: { host: string; port: number; protocol: Trace['protocol'] }[]) => Promise<ProbeOutcome[]>): Promise<ProbeReport | null> {
  if (!t.expect || !t.address || t.port === null) return null;
  if (t.protocol === 'SCTP') return null;
  const [outcome] = await probe([{ host: t.address, port: t.port, protocol: t.protocol }]);
  return { target: `${t.address}:${t.port}`, outcome, agrees: agrees(t.expect, outcome) };
}

export function agrees(expect: NonNullable<Trace['expect']>, o: ProbeOutcome): boolean {
  if (expect === 'reachable') return reachable(o.verdict);
  if (expect === 'either') return reachable(o.verdict) || o.verdict === 'denied';
  return o.verdict === expect;
}

function print(format: 'text' | 'json', t: Trace, probe: ProbeReport | null | undefined): void {
  write(format === 'json' ? JSON.stringify({ ...t, probe: probe ?? null }, null, 2) : formatTrace(t, probe));
  if (probe && !probe.agrees) process.exitCode = 1;
}
