/**
 * The policy differential at the packet level, without root: random clusters go through the whole
 * data-plane path short of the kernel — compile (src/policy/compile.ts) → render per node
 * (src/render/nft/policy.ts) → the in-memory nftables (Ruleset, the FakeNft's) → the packet
 * tracer walking each forward hook the first packet crosses — and the verdict must be the
 * engine's (PolicyEngine.evaluate), as the root differential test checks with real probes.
 * policy-compile.test.ts checks the compiled boxes with a model of the lookups; this checks
 * the rendered rules, maps and interval sets themselves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cluster, Pod } from '../../src/model/types.js';
import { podKey } from '../../src/model/types.js';
import { compilePolicies, type PodPolicy } from '../../src/policy/compile.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import { traceRuleset, type TraceResult } from '../../src/proxy/trace.js';
import { POLICY_TABLE, renderPolicyFull } from '../../src/render/nft/policy.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { loadCluster, namespace, netpol, pod, readObjects } from './fixtures.js';
import { enforceable, scenarioArb, type Scenario } from './policy-arbitraries.js';

/** An address that is none of the cluster's: the tracer's node, so every pod address is forwarded. */
const NODE_SELF = '192.0.2.254';

function rulesets(compiled: readonly PodPolicy[], nodes: Iterable<string>): Map<string, Ruleset> {
  return new Map([...nodes].map((n) => {
    const rs = new Ruleset();
    rs.apply(renderPolicyFull(compiled, n));
    return [n, rs];
  }));
}

/**
 * The forward hooks the first packet from `src` to `dst` crosses. A hostNetwork pod is its node:
 * it sends from the node's own stack (output, not forward) and receives on the node's input hook;
 * so traffic between a pod and its own node crosses no forward hook at all. Otherwise: the
 * source's node, then the destination's when that is another node.
 */
function hooks(src: Pod, dst: Pod): string[] {
  const out: string[] = [];
  const sameNode = src.nodeName === dst.nodeName;
  if (!src.hostNetwork && !(dst.hostNetwork && sameNode)) out.push(src.nodeName!);
  if (!dst.hostNetwork && !sameNode) out.push(dst.nodeName!);
  return out;
}

function trace(rs: Ruleset, src: Pod, dst: Pod, protocol: Scenario['protocol'], port: number): TraceResult {
  return traceRuleset(rs, POLICY_TABLE, { name: 'n', ip: NODE_SELF }, { src: src.ip, dst: dst.ip, protocol, dport: port, from: 'pod' });
}

function disagreements(sc: Scenario): string[] {
  const cluster: Cluster = readObjects(sc.objects);
  const engine = new PolicyEngine(cluster, sc.options);
  const compiled = compilePolicies(cluster, sc.options.semantics);
  // Only pods a data plane has: scheduled, with an address no other pod shares (hostNetwork pods of one node do).
  const count = new Map<string, number>();
  for (const p of cluster.pods) count.set(p.ip, (count.get(p.ip) ?? 0) + 1);
  const pods = cluster.pods.filter((p) => p.nodeName !== undefined && p.ip !== '' && count.get(p.ip) === 1);
  const tables = rulesets(compiled, new Set(pods.map((p) => p.nodeName!)));
  const out: string[] = [];
  for (const src of pods) {
    for (const dst of pods) {
      if (src === dst) continue; // over lo
      const want = engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.allows(sc.protocol, sc.port);
      const results = hooks(src, dst).map((n) => trace(tables.get(n)!, src, dst, sc.protocol, sc.port));
      for (const r of results) if (r.verdict !== 'PASS' && !(r.verdict === 'REJECT' && r.text === 'REJECT (denied by policy)')) out.push(`unexpected trace ${r.text}`);
      const got = results.every((r) => r.verdict === 'PASS');
      if (got !== want) out.push(`${podKey(src)} -> ${podKey(dst)} ${sc.protocol}/${sc.port}: packets ${got} (${results.map((r) => r.text).join('; ') || 'no forward hook'}), engine ${want}`);
    }
  }
  return out;
}

describe('rendered policy tables, traced packet by packet, agree with the engine', () => {
  it('random clusters (3-12 pods, 0-6 policies)', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 300, seed: 7 });
  });

  it('random clusters, unseeded', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 80 });
  });

  it('random clusters with cluster policy tiers', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 300, seed: 18 });
  });

  it('random clusters with tiers, unseeded', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 80 });
  });

  it('a known cluster: the chains a denied and an allowed packet go through', () => {
    const cluster = loadCluster([
      namespace('a'),
      pod('a/web', { labels: { app: 'web' }, nodeName: 'n1', podIP: '10.244.0.5' }),
      pod('a/db', { labels: { app: 'db' }, nodeName: 'n2', podIP: '10.244.1.7' }),
      netpol('a', 'web', '{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]}'),
    ]);
    const tables = rulesets(compilePolicies(cluster), ['n1', 'n2']);
    const web = cluster.pods.find((p) => p.name === 'web')!;
    const db = cluster.pods.find((p) => p.name === 'db')!;
    const at = (n: string, port: number) => trace(tables.get(n)!, db, web, 'TCP', port);
    expect(at('n2', 80).verdict).toBe('PASS'); // db is not isolated for egress: n2 lets it out
    expect(at('n1', 5432)).toMatchObject({ verdict: 'PASS', outcomes: [{ chains: ['ing-10.244.0.5'] }] });
    expect(at('n1', 80)).toMatchObject({ verdict: 'REJECT', text: 'REJECT (denied by policy)', outcomes: [{ reject: 'admin-prohibited', chains: ['ing-10.244.0.5'] }] });
  });
});
