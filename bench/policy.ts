/**
 * `npm run bench -- policy [--policies N] [--tiers T] [--seconds S] [--strict]`: NetworkPolicy enforcement
 * cost, in a 2-node routed podnet network (podnet's own renderers, no agents), client pod on
 * node-1, server pod on node-2, with podnet's real compile → render → `nft -f` path:
 *  - sync time: the policy tables of a cluster with 1,000 policies, and with one more on top
 *    (what `podnet apply` of one policy waits for: target ≤ 100 ms), and with N (10,000);
 *  - iperf3 client → server with N policies loaded vs none (target ≥ 0.95×); "none" is a lab
 *    without NetworkPolicies, i.e. podnet's table with empty maps (the cost of the table's forward
 *    hook itself is shown for information, against no table at all);
 *  - request/response latency p50/p99 (a fresh TCP connection + 1 request each, which is what
 *    a policy lookup costs, and requests on one kept connection) loaded vs none (≤ 1.1×);
 *  - `podnet matrix` on a real 9-pod lab made by the CLI: 9 × 9 probes (target < 5 s).
 * The N policies: half isolate the server for ingress, half the client for egress, each allowing
 * one /32 outside the cluster on one port, plus the two that allow client → server: every
 * lookup searches sets of N/2 elements. With --tiers T (default 100; issue 18) the loaded state also
 * has T cluster policies whose subjects are both pods (folded into the same sets), and the sync of
 * one more cluster policy at that scale is timed (target ≤ 50 ms). Rounds interleave none/loaded.
 * Needs root and iperf3.
 */
import { spawn } from 'node:child_process';
import { readCluster } from '../src/api/cluster.js';
import type { RawObject } from '../src/api/load.js';
import type { Cluster, Pod } from '../src/model/types.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostNft } from '../src/host/nft-native.js';
import { filePolicyRecord, NO_RECORD, syncPolicies, type PolicyRecord } from '../src/lab/policy.js';
import { DEFAULT_SEMANTICS } from '../src/policy/semantics.js';
import { POLICY_TABLE } from '../src/render/nft/policy.js';
import { host, labConfig, upLab, type BenchLab } from './lib/lab.js';
import { timeMatrix } from './lib/matrix-lab.js';
import { iperfTcp } from './lib/net.js';
import { ensureBinaries, inNs, isRoot, markdown, median, must, nowMs, Resources, run, runTag, table, waitQuiet, withCleanup } from './lib/sys.js';

const log = (s: string) => process.stdout.write(`${s}\n`);
const ECHO_PORT = 7000;
const ROUNDS = 5;
const LATENCY_BATCHES = 16;
const LATENCY_SAMPLES = 1000;

/**
 * `t` cluster policies (issue 18), all with the client and the server as subjects, so that their
 * rules fold into the sets every lookup searches: Admin-tier denies of one outside /32 on one
 * port each, some passes, and Baseline-tier denies; none touches client → server.
 */
function tierObjects(t: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < t; i++) {
    const ip = `198.18.${(i >> 8) & 255}.${i & 255}/32`;
    const admin = i % 4 !== 3;
    const action = !admin ? 'Deny' : i % 4 === 2 ? 'Pass' : 'Deny';
    const rule = { action, ...(i % 2 === 0 ? { to: [{ networks: [ip] }] } : {}), protocols: [{ tcp: { destinationPort: { number: 2000 + i } } }] };
    const ingress = { action, from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } } }], protocols: [{ tcp: { destinationPort: { number: 3000 + i } } }] };
    out.push({
      apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: `tier-${i}` },
      spec: { tier: admin ? 'Admin' : 'Baseline', priority: i % 1000, subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'bench' } } }, ...(i % 2 === 0 ? { egress: [rule] } : { ingress: [ingress] }) },
    });
  }
  return out;
}

/** `n` policies plus the two that allow client → server; n < 0: no policies at all. */
function policyObjects(n: number, tiers = 0): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (n < 0) return out;
  out.push(...tierObjects(tiers));
  const np = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'bench' }, spec });
  out.push(np('server-from-client', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] }));
  out.push(np('client-to-server', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'server' } } }] }] }));
  for (let i = 0; i < n; i++) {
    const ip = `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
    const port = 1000 + (i % 50_000);
    if (i % 2 === 0) out.push(np(`in-${i}`, { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ ipBlock: { cidr: ip } }], ports: [{ port }] }] }));
    else out.push(np(`out-${i}`, { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: ip } }], ports: [{ port }] }] }));
  }
  return out;
}

/** The bench lab's two pods with their real addresses, plus `n` policies. */
function benchCluster(lab: BenchLab, n: number, tiers = 0): Cluster {
  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'bench', labels: { app: name } }, spec: { nodeName: lab.pods.get(name)!.node, containers: [{ name: 'c' }] }, status: { podIP: lab.pods.get(name)!.ip } });
  const objs = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }, pod('client'), pod('server'), ...policyObjects(n, tiers)];
  const raws: RawObject[] = objs.map((obj, doc) => ({ obj, source: { file: 'bench', doc }, prefix: '' }));
  const c = readCluster(raws, { podCidr: lab.config.podCidr });
  const pods = c.pods.map((p): Pod => ({ ...p, ip: lab.pods.get(p.name)!.ip, nodeName: lab.pods.get(p.name)!.node }));
  return { ...c, pods };
}

/**
 * podnet's sync path (src/lab/policy.ts): compile, render per node, `nft -f` per node in
 * parallel. `record` null: every node gets its whole table (what a first sync or a restore
 * does); otherwise the record a lab keeps in its state directory, so a sync sends only what
 * changed since the previous one. Milliseconds.
 */
async function sync(lab: BenchLab, cluster: Cluster, record: PolicyRecord | null = null): Promise<{ ms: number; compileMs: number; elements: number; fullNodes: number }> {
  const t0 = nowMs();
  const r = await syncPolicies(hostNft(host), lab.nodes, cluster, DEFAULT_SEMANTICS, record ?? NO_RECORD);
  return { ms: nowMs() - t0, compileMs: r.compileMs, elements: r.elements, fullNodes: r.fullNodes };
}

async function unload(lab: BenchLab): Promise<void> {
  for (const node of lab.nodes) await run(inNs(node.netns, ['nft', 'delete', 'table', 'ip', POLICY_TABLE]));
}

const ECHO_SERVER = `require('net').createServer((s)=>{s.on('error',()=>{});s.on('data',(d)=>s.write(d))}).listen(${ECHO_PORT},process.argv[1],()=>console.log('ready'))`;
/** argv: host, count. Prints {fresh:[µs…], kept:[µs…]}: connect+request+reply+reset (RST: no TIME_WAIT piles up in the client), and requests on one connection. */
const ECHO_CLIENT = `
const net=require('net');const [host,count]=[process.argv[1],Number(process.argv[2])];const now=()=>Number(process.hrtime.bigint()/1000n);
const fresh=()=>new Promise((res,rej)=>{const t=now();const s=net.connect(${ECHO_PORT},host,()=>s.write('x'));s.once('data',()=>{s.resetAndDestroy();res(now()-t)});s.on('error',rej)});
(async()=>{const f=[],k=[];for(let i=0;i<count;i++)f.push(await fresh());
const s=net.connect(${ECHO_PORT},host);await new Promise((r)=>s.once('connect',r));s.setNoDelay(true);
for(let i=0;i<count;i++){const t=now();s.write('x');await new Promise((r)=>s.once('data',r));k.push(now()-t)}s.destroy();
console.log(JSON.stringify({fresh:f,kept:k}))})().catch((e)=>{console.error(e.message);process.exit(1)});`;

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}

export async function main(args: string[]): Promise<number> {
  let n = 10_000;
  let tiers = 100;
  let seconds = 3;
  let strict = false;
  const count = (text: string | undefined) => (/^\d+$/.test(text ?? '') ? Number(text) : NaN);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--strict') strict = true;
    else if (args[i] === '--policies' && count(args[i + 1]) >= 0) n = count(args[++i]);
    else if (args[i] === '--seconds' && count(args[i + 1]) > 0) seconds = count(args[++i]);
    else if (args[i] === '--tiers' && count(args[i + 1]) >= 0) tiers = count(args[++i]);
    else {
      process.stderr.write(`policy: bad argument ${args[i]}\nusage: npm run bench -- policy [--policies N] [--tiers T] [--seconds S] [--strict]\n`);
      return 2;
    }
  }
  if (!isRoot()) {
    log('bench policy needs root (network namespaces)');
    return 2;
  }
  await ensureBinaries([{ bin: 'iperf3', pkg: 'iperf3' }, { bin: 'nft', pkg: 'nftables' }], log);
  const res = new Resources();
  return withCleanup(res, async () => {
    const lab = await upLab(res, labConfig(`pnb${runTag()}-p`, 'routed', 2), [
      { name: 'client', node: 'node-1' },
      { name: 'server', node: 'node-2' },
    ]);
    const client = lab.pods.get('client')!;
    const server = lab.pods.get('server')!;
    log(`policy benchmark: ${n} policies${tiers > 0 ? ` + ${tiers} cluster policies` : ''}, client ${client.ip} (node-1) → server ${server.ip} (node-2), routed; ${ROUNDS} interleaved rounds\n`);

    // Sync times: whole tables (a first sync), and one more policy on top as `podnet apply` sends
    // it, a delta against the record of the previous sync (a file, as a lab keeps it).
    const syncRows = [['sync', 'policies', 'set elements written', 'compile ms', 'total ms', 'target']];
    const recordDir = mkdtempSync(join(tmpdir(), 'podnet-bench-policy-'));
    res.dirs.add(recordDir);
    const timed = async (label: string, count: number, opts: { target?: string; before?: number; tiersBefore?: number; tiersAfter?: number; delta?: boolean } = {}) => {
      const [tiersBefore, tiersAfter] = [opts.tiersBefore ?? 0, opts.tiersAfter ?? 0];
      const times: number[] = [];
      let last = { ms: 0, compileMs: 0, elements: 0, fullNodes: 0 };
      const [from, to] = [benchCluster(lab, opts.before ?? count, tiersBefore), benchCluster(lab, count, tiersAfter)];
      const record = opts.delta ? filePolicyRecord(join(recordDir, `${label.replace(/\W+/g, '-')}.json`)) : null;
      for (let r = 0; r < ROUNDS; r++) {
        await sync(lab, from, record); // the state before
        last = await sync(lab, to, record);
        if (opts.delta && last.fullNodes > 0) throw new Error(`${label}: the delta was refused (${last.fullNodes} nodes got whole tables)`);
        times.push(last.ms);
      }
      syncRows.push([label, tiersAfter > 0 ? `${count} + ${tiersAfter} cluster` : String(count), String(last.elements), last.compileMs.toFixed(1), median(times).toFixed(1), opts.target ?? '—']);
      return median(times);
    };
    await timed('1,000 policies, whole tables', 1000);
    await timed('+1 policy on 1,000, whole tables', 1001, { before: 1000 });
    const plusOne = await timed('+1 policy on 1,000, delta', 1001, { before: 1000, delta: true, target: '≤ 100' });
    await timed(`${n} policies, whole tables`, n);
    // Issue 18: cluster policies at that scale, and one more of them on top.
    let plusOneTier = 0;
    if (tiers > 0) {
      await timed(`${n} policies + ${tiers} cluster policies, whole tables`, n, { tiersBefore: tiers, tiersAfter: tiers });
      await timed(`+1 cluster policy on ${n} + ${tiers}, whole tables`, n, { tiersBefore: tiers, tiersAfter: tiers + 1 });
      plusOneTier = await timed(`+1 cluster policy on ${n} + ${tiers}, delta`, n, { tiersBefore: tiers, tiersAfter: tiers + 1, delta: true, target: '≤ 50' });
    }
    log(table(syncRows));

    const echo = spawn('ip', ['netns', 'exec', server.netns!, process.execPath, '-e', ECHO_SERVER, server.ip], { stdio: ['ignore', 'pipe', 'inherit'] });
    res.addChild(echo);
    await new Promise<void>((ok) => echo.stdout.once('data', () => ok()));
    // "none": no NetworkPolicy at all — what podnet runs then: its table with empty maps.
    // "bare": not even that table (the fixed cost of the forward hook; for information).
    const clusters = { none: benchCluster(lab, -1), loaded: benchCluster(lab, n, tiers) };
    const gbps: Record<string, number[]> = { none: [], loaded: [], bare: [] };
    for (let r = 0; r < ROUNDS; r++) {
      await unload(lab);
      await waitQuiet(20_000);
      gbps.bare.push(await iperfTcp(res, client.netns!, server.netns!, server.ip, seconds));
      for (const mode of ['none', 'loaded'] as const) {
        await sync(lab, clusters[mode]);
        await waitQuiet(20_000);
        gbps[mode].push(await iperfTcp(res, client.netns!, server.netns!, server.ip, seconds));
      }
      log(`round ${r + 1} iperf3: none ${gbps.none[r].toFixed(2)}, loaded ${gbps.loaded[r].toFixed(2)}, no table ${gbps.bare[r].toFixed(2)} Gbit/s`);
    }
    // Latency: many short batches, alternating which mode goes first, samples pooled per mode
    // (single batches swing with whatever else the 2 cores are doing).
    const lat = { none: { fresh: [] as number[], kept: [] as number[] }, loaded: { fresh: [] as number[], kept: [] as number[] } };
    for (let b = 0; b < LATENCY_BATCHES; b++) {
      for (const mode of b % 2 === 0 ? (['none', 'loaded'] as const) : (['loaded', 'none'] as const)) {
        await sync(lab, clusters[mode]);
        const out = JSON.parse(await must(inNs(client.netns!, [process.execPath, '-e', ECHO_CLIENT, server.ip, String(LATENCY_SAMPLES)]))) as { fresh: number[]; kept: number[] };
        lat[mode].fresh.push(...out.fresh);
        lat[mode].kept.push(...out.kept);
      }
    }
    echo.kill('SIGKILL');

    const thr = median([...Array(ROUNDS).keys()].map((r) => gbps.loaded[r] / gbps.none[r]));
    const loadedName = tiers > 0 ? `${n} policies + ${tiers} cluster` : `${n} policies`;
    const rows = [['measure', 'none', loadedName, 'ratio', 'target', 'result']];
    let failed = plusOne <= 100 ? 0 : 1;
    rows.push(['+1 policy on 1,000: sync ms (delta)', '—', plusOne.toFixed(1), '—', '≤ 100 ms', plusOne <= 100 ? 'PASS' : 'FAIL']);
    if (tiers > 0) {
      rows.push([`+1 cluster policy on ${n} + ${tiers}: sync ms (delta)`, '—', plusOneTier.toFixed(1), '—', '≤ 50 ms', plusOneTier <= 50 ? 'PASS' : 'FAIL']);
      if (plusOneTier > 50) failed++;
    }
    rows.push(['iperf3 Gbit/s', median(gbps.none).toFixed(2), median(gbps.loaded).toFixed(2), thr.toFixed(3), '≥ 0.95', thr >= 0.95 ? 'PASS' : 'FAIL']);
    const bare = median([...Array(ROUNDS).keys()].map((r) => gbps.none[r] / gbps.bare[r]));
    rows.push(['  (info) no policies vs no policy table at all', median(gbps.bare).toFixed(2), median(gbps.none).toFixed(2), bare.toFixed(3), '—', '—']);
    if (thr < 0.95) failed++;
    for (const kind of ['fresh', 'kept'] as const) {
      for (const p of [50, 99]) {
        const [none, loadedP] = [pct(lat.none[kind], p), pct(lat.loaded[kind], p)];
        const rt = loadedP / none;
        rows.push([`${kind === 'fresh' ? 'new connection + request' : 'request on kept connection'} p${p} µs`, String(none), String(loadedP), rt.toFixed(3), '≤ 1.10', rt <= 1.1 ? 'PASS' : 'FAIL']);
        if (rt > 1.1) failed++;
      }
    }
    const matrixMs = median(await timeMatrix(res, `pnb${runTag()}m`, ROUNDS));
    rows.push(['podnet matrix, 9 × 9 pods (wall clock, CLI start included) ms', '—', matrixMs.toFixed(0), '—', '< 5000 ms', matrixMs < 5000 ? 'PASS' : 'FAIL']);
    if (matrixMs >= 5000) failed++;
    log(`\n${table(rows)}\n\n${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}\n\nmarkdown:\n${markdown(syncRows)}\n\n${markdown(rows)}`);
    return strict && failed > 0 ? 1 : 0;
  });
}
