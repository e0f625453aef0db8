/**
 * The web view's JSON endpoints (pure): each GET /api/… is a function of the current TraceWorld
 * (a lab's, or predicted from manifests) and the pods' readiness. The server (server.ts) adds
 * HTTP, server-sent events and the real probes; everything it answers with is computed here.
 */
import { podKey, PROTOCOLS, type Cluster, type Protocol } from '../model/types.js';
import type { MatrixView } from '../output/matrix-format.js';
import { connlist } from '../policy/connlist.js';
import { PolicyEngine } from '../policy/engine.js';
import { explain, formatExplanation, resolveEndpoint } from '../policy/explain.js';
import { computeMatrix } from '../policy/matrix.js';
import { labSemantics, type Semantics } from '../policy/semantics.js';
import { buildTrace, TraceInputError } from '../trace/build.js';
import { formatTrace } from '../trace/format.js';
import { parseTarget, TargetError } from '../trace/target.js';
import type { TraceWorld } from '../trace/world.js';
import { matrixData } from './matrix-data.js';
import { clusterPolicySummaries } from './cluster-policies.js';
import { policySummaries } from './policies.js';
import { topologyOf } from './topology.js';

export interface UiContext {
  world: TraceWorld;
  /** A pod's readiness; undefined when unknown (offline). */
  ready: (key: string) => boolean | undefined;
  lab: string | null;
}

export interface ApiResult {
  status: number;
  body: unknown;
}

export class BadRequest extends Error {}

export function queryPort(q: URLSearchParams, required: boolean): number | undefined {
  const text = q.get('port');
  if (text === null || text === '') {
    if (required) throw new BadRequest('port: required');
    return undefined;
  }
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new BadRequest(`port: ${JSON.stringify(text)} is not a port number (1-65535)`);
  return Number(text);
}

export function queryProtocol(q: URLSearchParams): Protocol {
  const p = (q.get('protocol') ?? 'TCP').toUpperCase();
  if (!PROTOCOLS.includes(p as Protocol)) throw new BadRequest(`protocol: ${JSON.stringify(p)} is not one of TCP, UDP, SCTP`);
  return p as Protocol;
}

function need(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (!v) throw new BadRequest(`${name}: required`);
  return v;
}

/** The same matrix `podnet analyze` prints: with a port the bitset matrix, else every pair's connections. */
export function matrixViewOf(cluster: Cluster, port: number | undefined, protocol: Protocol, semantics?: Semantics): MatrixView {
  const pods = cluster.pods.map(podKey);
  if (port !== undefined) {
    const m = computeMatrix(cluster, port, protocol, { semantics });
    return { pods, port, protocol, allowed: m.rows.map((row) => pods.map((_, d) => row.has(d))) };
  }
  const engine = new PolicyEngine(cluster, { semantics });
  const connections = cluster.pods.map((src) => cluster.pods.map((dst) => engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.toString()));
  return { pods, port: null, protocol: null, allowed: connections.map((row) => row.map((c) => c !== 'No Connections')), connections };
}

/** Answers GET `path`; null when no endpoint has that path. */
export function handleGet(path: string, q: URLSearchParams, ctx: UiContext): ApiResult | null {
  try {
    const body = answer(path, q, ctx);
    return body === undefined ? null : { status: 200, body };
  } catch (e) {
    if (e instanceof BadRequest || e instanceof TraceInputError || e instanceof TargetError) return { status: 400, body: { error: e.message } };
    throw e;
  }
}

function answer(path: string, q: URLSearchParams, ctx: UiContext): unknown {
  const cluster = ctx.world.cluster;
  // The lab's profile (podnet up --semantics), so the page agrees with its data plane and `podnet probe`.
  const semantics = labSemantics(ctx.world.config);
  switch (path) {
    case '/api/topology':
      return topologyOf(ctx.world, ctx.ready, ctx.lab);
    case '/api/matrix':
      return matrixData(matrixViewOf(cluster, queryPort(q, false), queryProtocol(q), semantics));
    case '/api/explain': {
      const port = queryPort(q, false);
      const protocol = queryProtocol(q);
      const [from, to] = [need(q, 'from'), need(q, 'to')];
      const src = resolveEndpoint(cluster, from);
      const dst = resolveEndpoint(cluster, to);
      if (!src) throw new BadRequest(`from: no pod or workload ${JSON.stringify(from)}`);
      if (!dst) throw new BadRequest(`to: no pod or workload ${JSON.stringify(to)}`);
      const explanation = explain(cluster, src, dst, port, protocol, semantics);
      return { explanation, text: formatExplanation(explanation) };
    }
    case '/api/trace': {
      const to = need(q, 'to');
      const trace = buildTrace(ctx.world, { from: need(q, 'from'), to: parseTarget(to), toText: to, port: queryPort(q, false), protocol: queryProtocol(q) });
      return { trace, text: formatTrace(trace) };
    }
    case '/api/policies':
      return policySummaries(cluster, semantics);
    case '/api/cluster-policies':
      return clusterPolicySummaries(cluster, semantics);
    case '/api/connlist':
      return connlist(cluster, { semantics });
    default:
      return undefined;
  }
}
