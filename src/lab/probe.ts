/**
 * Real probes between a lab's pods, beside the analyzer's expectation: one prober process per
 * source pod (in its network namespace), probing all its targets in parallel; every source at
 * once. The expectation comes from the same PolicyEngine the data plane is compiled from.
 */
import type { Host } from '../host/host.js';
import { programCommand } from './program.js';
import type { Cluster, Pod, Protocol } from '../model/types.js';
import { podKey } from '../model/types.js';
import { PolicyEngine } from '../policy/engine.js';
import { labSemantics, type Semantics } from '../policy/semantics.js';
import { reachable, type ProbeOutcome, type ProbeTarget } from '../probe/verdict.js';
import { labCluster } from '../api/lab-cluster.js';
import type { LabState } from './state.js';

export const PROBE_TIMEOUT_MS = 1_500;

export interface LabPod {
  key: string;
  pod: Pod;
  /** Where its processes run: its own namespace, or its node's (hostNetwork). */
  netns: string;
}

/**
 * The lab's placed pods with their addresses, sorted by namespace then name, and the engine of
 * the expectations: in the lab's semantics profile unless `semantics` says otherwise.
 */
export function labPods(state: LabState, cluster: Cluster = labCluster(state), semantics: Semantics = labSemantics(state.config)): { pods: LabPod[]; engine: PolicyEngine } {
  const placed = new Map(state.placements.map((p) => [p.key, p]));
  const nodeNetns = new Map(state.nodes.map((n) => [n.name, n.netns]));
  const pods: LabPod[] = [];
  for (const pod of cluster.pods) {
    const at = placed.get(podKey(pod));
    if (!at || !pod.ip) continue;
    pods.push({ key: at.key, pod, netns: at.netns ?? nodeNetns.get(at.node)! });
  }
  pods.sort((a, b) => a.key.localeCompare(b.key));
  return { pods, engine: new PolicyEngine(cluster, { semantics }) };
}

/** Runs the prober in `netns` for `targets`; a prober that fails marks all its probes 'error'. */
export async function probeFrom(host: Host, netns: string, targets: readonly ProbeTarget[], timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome[]> {
  if (targets.length === 0) return [];
  const r = await host.exec(netns, programCommand('probe/prober'), JSON.stringify({ timeoutMs, targets }));
  try {
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as ProbeOutcome[];
  } catch {
    return targets.map(() => ({ verdict: 'error', ms: 0, code: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` }));
  }
}

export interface PairResult {
  from: string;
  to: string;
  outcome: ProbeOutcome;
  allowed: boolean;
  expected: boolean;
}

/** Probes every (source, destination) pair on one port; sources run in parallel. */
export async function probeMatrix(
  host: Host,
  state: LabState,
  port: number,
  protocol: Protocol,
  sources?: readonly string[],
  destinations?: readonly string[],
  cluster: Cluster = labCluster(state),
  semantics: Semantics = labSemantics(state.config),
): Promise<{ pods: LabPod[]; results: PairResult[][] }> {
  const { pods, engine } = labPods(state, cluster, semantics);
  const from = sources ? pods.filter((p) => sources.includes(p.key)) : pods;
  const to = destinations ? pods.filter((p) => destinations.includes(p.key)) : pods;
  const results = await Promise.all(
    from.map(async (src) => {
      const outcomes = await probeFrom(host, src.netns, to.map((dst) => ({ host: dst.pod.ip, port, protocol })));
      return to.map((dst, i): PairResult => ({
        from: src.key,
        to: dst.key,
        outcome: outcomes[i],
        allowed: reachable(outcomes[i].verdict),
        expected: engine.evaluate({ kind: 'pod', pod: src.pod }, { kind: 'pod', pod: dst.pod }).conns.allows(protocol, port),
      }));
    }),
  );
  return { pods, results };
}

/** The interface the kernel of `netns` sends a packet to `ip` by (`ip route get`), or null. */
export async function routeDevice(host: Host, netns: string, ip: string): Promise<string | null> {
  const r = await host.exec(netns, ['ip', '-o', 'route', 'get', ip]);
  return r.code === 0 ? (/\bdev (\S+)/.exec(r.stdout)?.[1] ?? null) : null;
}
