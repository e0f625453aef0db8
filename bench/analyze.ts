/**
 * `npm run bench -- analyze [--strict]`: the bitset matrix (computeMatrix) on synthetic clusters,
 * against targets and against the naive pair-by-pair baseline (PolicyEngine.evaluate) measured
 * in the same run, so the ratios compare across machines. Also checks that both agree.
 * Exit 1 on any disagreement (or, with --strict, on a missed target).
 */
import { cpus } from 'node:os';
import { parseManifestText } from '../src/api/load.js';
import { readCluster } from '../src/api/cluster.js';
import type { Problem } from '../src/api/problems.js';
import type { Cluster, Pod } from '../src/model/types.js';
import { podKey } from '../src/model/types.js';
import { computeMatrix, type Matrix } from '../src/policy/matrix.js';
import { PolicyEngine } from '../src/policy/engine.js';
import { clusterManifests, rng, syntheticCluster, type SyntheticSpec } from './synthetic.js';
import { syntheticClusterPolicies } from './synthetic-tiers.js';

const PORT = 8080;
const PROTOCOL = 'TCP';
const A: SyntheticSpec = { seed: 1, namespaces: 50, pods: 1_000, policies: 1_000 };
const B: SyntheticSpec = { seed: 2, namespaces: 200, pods: 10_000, policies: 2_000 };
const TARGET_A_MS = 1_000;
const TARGET_B_MS = 30_000;
const TARGET_B_RSS_MIB = 2_048;
/** Issue 18: A with 100 cluster policies in both tiers ≤ 1.2× the time of A alone, in the same run. */
const TIERS = 100;
const TARGET_TIERS_RATIO = 1.2;
/** Rows of A with tiers checked pair by pair against the engine. */
const TIERS_SAMPLE_ROWS = 100;
/**
 * Alternating runs of A and A with tiers (each one's median): single runs swing with GC and JIT.
 * 41 pairs: with 15, the median pair ratio moved between 1.06× and 1.19× from run to run.
 */
const TIERS_RUNS = 41;
const TIERS_WARMUP = 10;
/** Rows of B evaluated pair by pair: the naive time is extrapolated from them. */
const B_SAMPLE_ROWS = 100;
/** Extra random pairs of B checked against the engine. */
const B_SAMPLE_PAIRS = 50_000;

interface Row {
  scenario: string;
  pods: number;
  policies: number;
  ms: number;
  rssMiB?: number;
  heapMiB?: number;
  target?: string;
  pass?: boolean;
  ratio?: string;
}

export async function main(args: string[]): Promise<number> {
  const strict = args.includes('--strict');
  const unknown = args.filter((a) => a !== '--strict');
  if (unknown.length > 0) {
    process.stderr.write(`analyze: unknown argument ${unknown[0]}\nusage: npm run bench -- analyze [--strict]\n`);
    return 2;
  }
  const cpu = cpus();
  log(`analyze benchmark — node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}`);
  log(`matrix for ${PROTOCOL}/${PORT}; RSS at start ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; gc ${globalThis.gc ? 'exposed' : 'NOT exposed (run with --expose-gc)'}\n`);
  const rows: Row[] = [];
  let mismatches = 0;

  // Matrices first, A then B, so each one's process peak RSS is its own (A's is smaller than B's).
  const clusterA = syntheticCluster(A);
  const timesA: number[] = [];
  let matrixA: Matrix | undefined;
  for (let i = 0; i < 3; i++) {
    collect();
    const t = now();
    matrixA = computeMatrix(clusterA, PORT, PROTOCOL);
    timesA.push(now() - t);
  }
  const msA = median(timesA);
  const rowA: Row = { scenario: 'A matrix (median of 3)', pods: A.pods, policies: A.policies, ms: msA, ...memory(), target: '≤ 1 s', pass: msA <= TARGET_A_MS };
  rows.push(rowA);
  log(`A: ${fmtMs(msA)} median of ${timesA.map(fmtMs).join(', ')}; ${density(matrixA!)} of pairs allowed`);

  // A with cluster policies (both tiers), interleaved with A alone so both see the same machine;
  // after warm-up runs of each (the JIT), the ratio is the median of the pairs' ratios.
  const clusterT: Cluster = { ...clusterA, clusterPolicies: syntheticClusterPolicies(TIERS, A.seed + 7) };
  const timesT: number[] = [];
  const timesA2: number[] = [];
  const pairRatios: number[] = [];
  let matrixT: Matrix | undefined;
  // No forced GC between these runs: after a full collection the first allocations of a run pay
  // for growing the young generation again, which swings single runs of ~10 ms by 3x.
  collect();
  for (let i = 0; i < TIERS_WARMUP + TIERS_RUNS; i++) {
    let t0 = now();
    computeMatrix(clusterA, PORT, PROTOCOL);
    const a = now() - t0;
    t0 = now();
    matrixT = computeMatrix(clusterT, PORT, PROTOCOL);
    const b = now() - t0;
    if (i < TIERS_WARMUP) continue;
    timesA2.push(a);
    timesT.push(b);
    pairRatios.push(b / a);
  }
  const msT = median(timesT);
  const tiersRatio = median(pairRatios);
  const tiersCheck = naive(clusterT, matrixT!, Array.from({ length: TIERS_SAMPLE_ROWS }, (_, i) => Math.floor((i * clusterT.pods.length) / TIERS_SAMPLE_ROWS)));
  mismatches += tiersCheck.mismatches;
  rows.push({ scenario: `A + ${TIERS} cluster policies (median of ${TIERS_RUNS})`, pods: A.pods, policies: A.policies + TIERS, ms: msT, target: `≤ ${TARGET_TIERS_RATIO}× A`, pass: tiersRatio <= TARGET_TIERS_RATIO, ratio: `${tiersRatio.toFixed(2)}× A` });
  log(`A + ${TIERS} cluster policies: ${fmtMs(msT)} median of ${timesT.map(fmtMs).join(', ')} vs A ${timesA2.map(fmtMs).join(', ')} → median pair ratio ${tiersRatio.toFixed(2)}× (after ${TIERS_WARMUP} warm-up pairs); ${density(matrixT!)} of pairs allowed; ${tiersCheck.mismatches} mismatches in ${tiersCheck.pairs} pairs checked against the engine`);
  matrixT = undefined;

  let clusterB: Cluster | undefined = syntheticCluster(B);
  collect();
  let t = now();
  let matrixB: Matrix | undefined = computeMatrix(clusterB, PORT, PROTOCOL);
  const msB = now() - t;
  const memB = memory();
  const rowB: Row = { scenario: 'B matrix (1 run)', pods: B.pods, policies: B.policies, ms: msB, ...memB, target: '≤ 30 s, ≤ 2 GiB', pass: msB <= TARGET_B_MS && memB.rssMiB <= TARGET_B_RSS_MIB };
  rows.push(rowB);
  log(`B: ${fmtMs(msB)}, peak RSS ${memB.rssMiB.toFixed(0)} MiB, heap+buffers ${memB.heapMiB.toFixed(0)} MiB with the matrix live; ${density(matrixB)} of pairs allowed`);

  // B's baseline: a sample of rows pair by pair (a full run would take minutes), plus random pairs.
  const r = rng(B.seed + 1000);
  const sampleRows = Array.from({ length: B_SAMPLE_ROWS }, () => Math.floor(r() * B.pods));
  const naiveB = naive(clusterB, matrixB, sampleRows);
  const naiveBms = (naiveB.ms * B.pods) / sampleRows.length;
  const pairsB = randomPairs(clusterB, matrixB, B_SAMPLE_PAIRS, r);
  mismatches += naiveB.mismatches + pairsB;
  rows.push({ scenario: `B naive (extrapolated from ${B_SAMPLE_ROWS} rows)`, pods: B.pods, policies: B.policies, ms: naiveBms });
  rowB.ratio = ratio(msB, naiveBms);
  log(`B naive: ${sampleRows.length} rows × ${B.pods} pairs in ${fmtMs(naiveB.ms)} → ${fmtMs(naiveBms)} for all rows; ${naiveB.mismatches + pairsB} mismatches in ${naiveB.pairs + B_SAMPLE_PAIRS} pairs`);
  clusterB = matrixB = undefined;

  // A's baseline: every pair, which also checks every pair of the matrix.
  const naiveA = naive(clusterA, matrixA!, clusterA.pods.map((_, i) => i));
  mismatches += naiveA.mismatches;
  rows.push({ scenario: 'A naive (every pair)', pods: A.pods, policies: A.policies, ms: naiveA.ms });
  rowA.ratio = ratio(msA, naiveA.ms);
  log(`A naive: ${naiveA.pairs} pairs in ${fmtMs(naiveA.ms)}; ${naiveA.mismatches} mismatches`);

  // The YAML → Cluster path for A: the same cluster as manifest text, parsed and validated.
  const text = clusterManifests(clusterA);
  collect();
  t = now();
  const problems: Problem[] = [];
  const fromYaml = readCluster(parseManifestText(text, 'synthetic-a.yaml', problems));
  const msYaml = now() - t;
  const yamlDiff = problems.length + compareMatrices(matrixA!, computeMatrix(fromYaml, PORT, PROTOCOL));
  mismatches += yamlDiff;
  rows.push({ scenario: 'A YAML → Cluster', pods: fromYaml.pods.length, policies: fromYaml.policies.length, ms: msYaml });
  log(`A YAML: ${(text.length / 2 ** 20).toFixed(1)} MiB of manifests parsed and read in ${fmtMs(msYaml)}; ${yamlDiff} differences from the generated cluster's matrix\n`);

  printTable(rows.sort((x, y) => x.pods - y.pods));
  const failed = rows.filter((x) => x.pass === false);
  log(`\nagreement with PolicyEngine.evaluate: ${naiveA.pairs + naiveB.pairs + B_SAMPLE_PAIRS + tiersCheck.pairs} pairs checked, ${mismatches} mismatches`);
  log('ratio = bitset time / naive time (smaller is better); peak RSS is the process peak so far.');
  if (mismatches > 0) log('FAIL: the bitset matrix disagrees with the engine');
  if (failed.length > 0) log(`${strict ? 'FAIL' : 'warning'}: missed target(s): ${failed.map((x) => x.scenario).join(', ')}`);
  return mismatches > 0 || (strict && failed.length > 0) ? 1 : 0;
}

/** PolicyEngine.evaluate on every pair (s, d) for s in `sources`; times it and counts disagreements. */
function naive(cluster: Cluster, m: Matrix, sources: readonly number[]): { ms: number; pairs: number; mismatches: number } {
  collect();
  const t = now();
  const engine = new PolicyEngine(cluster);
  const pods = cluster.pods;
  let mismatches = 0;
  for (const s of sources) {
    const src = { kind: 'pod' as const, pod: pods[s] };
    const row = m.rows[s];
    for (let d = 0; d < pods.length; d++) {
      if (engine.evaluate(src, { kind: 'pod', pod: pods[d] }).conns.allows(PROTOCOL, PORT) !== row.has(d)) mismatches++;
    }
  }
  return { ms: now() - t, pairs: sources.length * pods.length, mismatches };
}

function randomPairs(cluster: Cluster, m: Matrix, count: number, r: () => number): number {
  const engine = new PolicyEngine(cluster);
  const pod = (i: number) => ({ kind: 'pod' as const, pod: cluster.pods[i] });
  let mismatches = 0;
  for (let k = 0; k < count; k++) {
    const s = Math.floor(r() * cluster.pods.length);
    const d = Math.floor(r() * cluster.pods.length);
    if (engine.evaluate(pod(s), pod(d)).conns.allows(PROTOCOL, PORT) !== m.rows[s].has(d)) mismatches++;
  }
  return mismatches;
}

/** Pairs (by pod key) on which two matrices over the same pods disagree; a missing pod counts once. */
function compareMatrices(a: Matrix, b: Matrix): number {
  const index = new Map(b.pods.map((p: Pod, i) => [podKey(p), i]));
  const map = a.pods.map((p) => index.get(podKey(p)));
  let diff = a.pods.length === b.pods.length ? 0 : 1;
  map.forEach((bs, s) => {
    if (bs === undefined) return void diff++;
    map.forEach((bd, d) => {
      if (bd !== undefined && a.rows[s].has(d) !== b.rows[bs].has(bd)) diff++;
    });
  });
  return diff;
}

function printTable(rows: Row[]): void {
  const head = ['scenario', 'pods', 'policies', 'time', 'peak RSS', 'heap+buffers', 'target', 'result', 'ratio vs naive'];
  const cells = rows.map((x) => [
    x.scenario, String(x.pods), String(x.policies), fmtMs(x.ms),
    x.rssMiB === undefined ? '—' : `${x.rssMiB.toFixed(0)} MiB`,
    x.heapMiB === undefined ? '—' : `${x.heapMiB.toFixed(0)} MiB`,
    x.target ?? '—', x.pass === undefined ? '—' : x.pass ? 'PASS' : 'FAIL', x.ratio ?? '—',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  log([line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n'));
}

function density(m: Matrix): string {
  let ones = 0;
  for (const row of m.rows) for (let w of row.words) for (; w !== 0; w &= w - 1) ones++;
  return `${((100 * ones) / m.rows.length ** 2).toFixed(1)}%`;
}

function ratio(fast: number, slow: number): string {
  return `${(fast / slow).toPrecision(2)} (${Math.round(slow / fast)}× faster)`;
}

function memory(): { rssMiB: number; heapMiB: number } {
  const m = process.memoryUsage();
  // Bitset words live in ArrayBuffers, outside the JS heap: count both.
  return { rssMiB: process.resourceUsage().maxRSS / 1024, heapMiB: (m.heapUsed + m.arrayBuffers) / 2 ** 20 };
}

function collect(): void {
  globalThis.gc?.();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function now(): number {
  return performance.now();
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
