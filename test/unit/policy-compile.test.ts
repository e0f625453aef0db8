/**
 * The data-plane compiler must agree with PolicyEngine.evaluate: a model of the forward-hook
 * lookups (egress at the source's node, ingress at the destination's, nothing for traffic
 * between a pod and its own node) over the compiled boxes gives the engine's verdict for every
 * pair, protocol and port of random clusters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/model/ip.js';
import { IntervalSet } from '../../src/model/intervals.js';
import type { Cluster, Pod, Protocol } from '../../src/model/types.js';
import { podKey } from '../../src/model/types.js';
import { boxesAllow, decompose, type Box } from '../../src/policy/boxes.js';
import { compilePolicies, type PodPolicy } from '../../src/policy/compile.js';
import { ConnSet } from '../../src/policy/conns.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import { findPod, loadCluster, namespace, netpol, pod, readObjects } from './fixtures.js';
import { enforceable, scenarioArb, type Scenario } from './policy-arbitraries.js';

/** What the data plane does with a new connection from `src` to `dst`. */
function dataPlaneAllows(compiled: Map<string, PodPolicy>, src: Pod, dst: Pod, protocol: Protocol, port: number): boolean {
  if (src === dst) return true; // over lo: never forwarded
  const srcIP = parseIPv4(src.ip)!;
  const dstIP = parseIPv4(dst.ip)!;
  // A hostNetwork pod is its node: traffic with a pod on that node is local (input/output hooks).
  const local = src.hostNetwork !== dst.hostNetwork && src.nodeName !== undefined && src.nodeName === dst.nodeName;
  if (local) return true;
  const egress = src.hostNetwork ? null : compiled.get(podKey(src))?.egress ?? null;
  if (egress && !boxesAllow(egress, dstIP, protocol, port)) return false;
  const ingress = dst.hostNetwork ? null : compiled.get(podKey(dst))?.ingress ?? null;
  if (ingress && !boxesAllow(ingress, srcIP, protocol, port)) return false;
  return true;
}

/** Addresses that more than one pod has (hostNetwork pods of one node): the data plane cannot tell them apart. */
function sharedAddresses(cluster: Cluster): Set<string> {
  const seen = new Map<string, number>();
  for (const p of cluster.pods) seen.set(p.ip, (seen.get(p.ip) ?? 0) + 1);
  return new Set([...seen].filter(([, n]) => n > 1).map(([ip]) => ip));
}

function disagreements(sc: Scenario): string[] {
  const cluster = readObjects(sc.objects);
  const engine = new PolicyEngine(cluster, sc.options);
  const compiled = new Map(compilePolicies(cluster, sc.options.semantics).map((p) => [p.key, p]));
  const shared = sharedAddresses(cluster);
  const pods = cluster.pods.filter((p) => parseIPv4(p.ip) !== null && !(p.hostNetwork && p.nodeName === undefined));
  const out: string[] = [];
  for (const src of pods) {
    for (const dst of pods) {
      if (src !== dst && (shared.has(src.ip) || shared.has(dst.ip))) continue;
      const want = engine.evaluate({ kind: 'pod', pod: src }, { kind: 'pod', pod: dst }).conns.allows(sc.protocol, sc.port);
      const got = dataPlaneAllows(compiled, src, dst, sc.protocol, sc.port);
      if (got !== want) out.push(`${podKey(src)} -> ${podKey(dst)} ${sc.protocol}/${sc.port}: data plane ${got}, engine ${want}`);
    }
  }
  return out;
}

/** Boxes of one set must never overlap: nftables refuses overlapping interval elements. */
function overlaps(boxes: readonly Box[]): string[] {
  const out: string[] = [];
  const proto = (b: Box) => (b.protocol === 'any' ? [0, 255] : [b.protocol, b.protocolEnd ?? b.protocol]);
  boxes.forEach((a, i) =>
    boxes.slice(i + 1).forEach((b) => {
      const [ap, aq] = proto(a);
      const [bp, bq] = proto(b);
      if (a.peerStart <= b.peerEnd && b.peerStart <= a.peerEnd && ap <= bq && bp <= aq && a.portStart <= b.portEnd && b.portStart <= a.portEnd) out.push(`${JSON.stringify(a)} ∩ ${JSON.stringify(b)}`);
    }),
  );
  return out;
}

describe('compilePolicies agrees with PolicyEngine.evaluate', () => {
  it('random clusters (3-12 pods, 0-6 policies)', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 500, seed: 42 });
  });

  it('random clusters, unseeded', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 6).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 150 });
  });

  it('random clusters with cluster policy tiers (1-4 ClusterNetworkPolicies / AdminNetworkPolicies / the BaselineAdminNetworkPolicy)', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 500, seed: 18 });
  });

  it('random clusters with tiers, unseeded', () => {
    fc.assert(fc.property(scenarioArb(3, 12, 4, 4).map(enforceable), (sc) => {
      expect(disagreements(sc)).toEqual([]);
    }), { numRuns: 150 });
  });

  it('never produces overlapping boxes, with tiers too', () => {
    fc.assert(
      fc.property(scenarioArb(3, 12, 4, 3), (sc) => {
        for (const p of compilePolicies(readObjects(sc.objects), enforceable(sc).options.semantics)) {
          expect(overlaps(p.ingress ?? [])).toEqual([]);
          expect(overlaps(p.egress ?? [])).toEqual([]);
        }
      }),
      { numRuns: 200, seed: 10 },
    );
  });

  it('never produces overlapping boxes', () => {
    fc.assert(
      fc.property(scenarioArb(3, 12, 6), (sc) => {
        for (const p of compilePolicies(readObjects(sc.objects), enforceable(sc).options.semantics)) {
          expect(overlaps(p.ingress ?? [])).toEqual([]);
          expect(overlaps(p.egress ?? [])).toEqual([]);
        }
      }),
      { numRuns: 200, seed: 9 },
    );
  });
});

describe('compilePolicies on a known cluster', () => {
  const cluster = loadCluster([
    namespace('a'),
    namespace('b', { team: 'b' }),
    pod('a/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], nodeName: 'n1', podIP: '10.244.0.5' }),
    pod('a/db', { labels: { app: 'db' }, nodeName: 'n2', podIP: '10.244.1.7' }),
    pod('b/client', { labels: { app: 'client' }, nodeName: 'n2', podIP: '10.244.1.9' }),
    netpol('a', 'web', '{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: b}}}], ports: [{port: http}]}, {from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 443, endPort: 445}]}]}'),
    netpol('a', 'db-egress', '{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}]}'),
  ]);
  const compiled = new Map(compilePolicies(cluster).map((p) => [p.key, p]));
  const ip = (s: string) => parseIPv4(s)!;

  it('only isolated pods, on their nodes', () => {
    expect([...compiled.keys()].sort()).toEqual(['a/db', 'a/web']);
    expect(compiled.get('a/web')).toMatchObject({ ip: '10.244.0.5', node: 'n1', egress: null });
    expect(compiled.get('a/db')).toMatchObject({ ingress: null });
  });

  it('ingress of web: itself, the client on the named port, the ipBlock with pod IPs (upstream)', () => {
    const boxes = compiled.get('a/web')!.ingress!;
    expect(boxesAllow(boxes, ip('10.244.1.7'), 'TCP', 443)).toBe(true); // a pod IP in 10.0.0.0/8
    expect(boxesAllow(boxes, ip('10.244.1.7'), 'TCP', 446)).toBe(false);
  });

  it('cilium: ingress of web: itself, the client on the named port, the ipBlock without pod IPs', () => {
    const boxes = new Map(compilePolicies(cluster, SEMANTICS.cilium).map((p) => [p.key, p])).get('a/web')!.ingress!;
    expect(boxesAllow(boxes, ip('10.244.0.5'), 'UDP', 9)).toBe(true); // itself
    expect(boxesAllow(boxes, ip('10.244.1.9'), 'TCP', 8080)).toBe(true);
    expect(boxesAllow(boxes, ip('10.244.1.9'), 'TCP', 80)).toBe(false);
    expect(boxesAllow(boxes, ip('10.244.1.7'), 'TCP', 8080)).toBe(false); // db: not in namespace b
    expect(boxesAllow(boxes, ip('10.244.1.7'), 'TCP', 443)).toBe(false); // a pod IP: not matched by ipBlock
    expect(boxesAllow(boxes, ip('10.3.0.1'), 'TCP', 444)).toBe(true);
    expect(boxesAllow(boxes, ip('10.1.0.1'), 'TCP', 444)).toBe(false); // except
  });

  it('egress of db: the named port resolved on the destination pod', () => {
    const boxes = compiled.get('a/db')!.egress!;
    expect(boxesAllow(boxes, ip('10.244.0.5'), 'TCP', 8080)).toBe(true);
    expect(boxesAllow(boxes, ip('10.244.0.5'), 'TCP', 80)).toBe(false);
    expect(boxesAllow(boxes, ip('10.244.1.9'), 'TCP', 8080)).toBe(false);
  });

  it('a/web stays as in the cluster', () => {
    expect(findPod(cluster, 'a/web').ip).toBe('10.244.0.5');
  });
});

describe('decompose', () => {
  const set = (a: number, b: number) => IntervalSet.of(a, b);
  it.each([
    { name: 'empty', grants: [], want: [] },
    {
      name: 'overlapping grants union their connections on the overlap only',
      grants: [
        { peers: set(10, 20), conns: ConnSet.ports('TCP', 80) },
        { peers: set(15, 30), conns: ConnSet.ports('UDP', 53) },
      ],
      want: ['10-14 6 80-80', '15-20 6 80-80', '15-20 17 53-53', '21-30 17 53-53'],
    },
    {
      name: 'any absorbs, neighbours with equal connections merge',
      grants: [
        { peers: set(1, 5), conns: 'any' as const },
        { peers: set(6, 9), conns: 'any' as const },
        { peers: set(3, 4), conns: ConnSet.ports('TCP', 1) },
      ],
      want: ['1-9 any 0-65535'],
    },
    { name: 'empty connections add nothing', grants: [{ peers: set(1, 5), conns: ConnSet.NONE }], want: [] },
  ])('$name', ({ grants, want }) => {
    expect(decompose(grants).map((b) => `${b.peerStart}-${b.peerEnd} ${b.protocol} ${b.portStart}-${b.portEnd}`)).toEqual(want);
  });
});
