/**
 * `npm run bench -- services [--services N] [--rounds R] [--connects C] [--vmap] [--strict]`: podnet's Service ruleset on
 * nftables at scale, in private namespaces — a "node" with the ruleset, a backend pod and a client
 * outside the pod network:
 *  - full sync: render + `nft -f` of N Services × 3 endpoints (fresh table, and a full
 *    replace over a loaded one);
 *  - partial sync: one more Service on top of N, and removing it again, next to the same delta
 *    on a 1-Service table and to `nft -f` of an empty script (process start);
 *  - TCP connect latency (p50/p99, client → ClusterIP → backend) with N Services loaded vs with
 *    1 Service, R interleaved rounds (default 5) of C connects (default 10,000), ratios from the
 *    same run;
 *  - with --vmap, also kube-proxy's `numgen … vmap { … }` rule shape (its anonymous maps make the
 *    kernel's load time quadratic).
 * Needs root. Exit 1 with --strict when a target is missed.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import type { ServiceEntry, ServiceTable } from '../src/model/service-table.js';
import { renderServicesDelta } from '../src/proxy/nft/delta.js';
import { renderServices, renderServicesFull, type ServiceRenderOptions } from '../src/proxy/nft/full.js';
import { ensureBinaries, idleFraction, inNs, isRoot, markdown, median, must, nowMs, Resources, run, runTag, table, waitQuiet, withCleanup } from './lib/sys.js';

const log = (s: string) => process.stdout.write(`${s}\n`);
const NODE = { name: 'node-1', ip: '10.253.0.1' };
const BACKEND = '10.253.1.10';
const TARGET_VIP = '10.100.0.1';
const OPTS: ServiceRenderOptions = { tableName: 'podnet', podCidr: '10.64.0.0/10' };
const ROUNDS = 3;
const QUIET_WAIT_MS = 30_000;
const CONNECTS = 10_000;

function service(i: number, vip: string, endpoints: string[]): ServiceEntry {
  return {
    key: `ns-${i % 100}/svc-${i}`,
    type: 'ClusterIP',
    clusterIP: vip,
    ports: [{ name: 'http', protocol: 'TCP', port: 80, endpoints: endpoints.map((ip, e) => ({ ip, port: 8080, node: `node-${e + 1}`, ready: true, serving: true, terminating: false })) }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
  };
}

/** n Services × 3 endpoints (addresses never contacted), plus the measured one (our backend). */
function synthetic(n: number): ServiceTable {
  const services = [service(0, TARGET_VIP, [BACKEND])];
  for (let i = 1; i < n; i++) {
    const eps = [0, 1, 2].map((e) => {
      const k = i * 3 + e;
      return `10.${64 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
    });
    services.push(service(i, `10.96.${(i >> 8) & 255}.${i & 255}`, eps));
  }
  return { services };
}

/** One more Service, with 3 endpoints (a count the table has) or `k`. */
function plusOne(t: ServiceTable, k = 3): ServiceTable {
  return { services: [...t.services, service(999_999, '10.100.0.2', ['10.99.0.1', '10.99.0.2', '10.99.0.3', '10.99.0.4'].slice(0, k))] };
}

export async function main(args: string[]): Promise<number> {
  let n = 10_000;
  let vmap = false;
  let strict = false;
  let latencyRounds = 5;
  let connects = CONNECTS;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--strict') strict = true;
    else if (args[i] === '--connects' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) >= 100 && Number(args[i + 1]) <= 100_000) connects = Number(args[++i]);
    else if (args[i] === '--rounds' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) >= 1 && Number(args[i + 1]) <= 50) latencyRounds = Number(args[++i]);
    else if (args[i] === '--vmap') vmap = true;
    else if (args[i] === '--services' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) > 1 && Number(args[i + 1]) <= 60_000) n = Number(args[++i]);
    else {
      process.stderr.write(`services: bad argument ${args[i]}\nusage: npm run bench -- services [--services N] [--rounds R] [--connects C] [--vmap] [--strict]\n`);
      return 2;
    }
  }
  if (!isRoot()) {
    process.stderr.write('services: needs root (creates network namespaces)\n');
    return 2;
  }
  await ensureBinaries([{ bin: 'ip', pkg: 'iproute2' }, { bin: 'nft', pkg: 'nftables' }], log);
  const tag = runTag();
  const ns = { node: `pnb${tag}-sn`, backend: `pnb${tag}-sb`, client: `pnb${tag}-sc` };
  const kernel = (await run(['uname', '-r'])).stdout.trim();
  const nftVersion = (await run(['nft', '--version'])).stdout.trim();
  log(`services benchmark — ${n} Services × 3 endpoints; node ${process.version}, kernel ${kernel}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${nftVersion}; run tag pnb${tag}`);
  const res = new Resources();
  res.addNetns(...Object.values(ns));
  return withCleanup(res, async () => {
    await topology(ns);
    const server = spawn('ip', inNs(ns.backend, [process.execPath, '-e', SERVER]).slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    res.addChild(server);
    await new Promise<void>((r) => server.stdout.once('data', () => r()));
    let busy = 0;
    const quiet = async () => {
      if (!(await waitQuiet(QUIET_WAIT_MS))) busy++;
    };
    const nft = async (script: string): Promise<number> => {
      const t0 = nowMs();
      await must(inNs(ns.node, ['nft', '-f', '-']), { input: script, timeoutMs: 600_000 });
      return nowMs() - t0;
    };
    const big = synthetic(n);
    const small = synthetic(1);
    log(`machine ${(100 * (await idleFraction(1000))).toFixed(0)}% idle at start (other load inflates times)\n`);

    // Full sync.
    let t0 = nowMs();
    const fullTx = renderServices(big, NODE, OPTS);
    const fullScript = fullTx.toString();
    const renderMs = nowMs() - t0;
    log(`render: ${renderMs.toFixed(0)} ms, ${fullTx.size} operations, ${(fullScript.length / 2 ** 20).toFixed(1)} MiB of nft script`);
    const fresh: number[] = [];
    const replace: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await quiet();
      await run(inNs(ns.node, ['nft', 'delete', 'table', 'ip', OPTS.tableName]));
      fresh.push(await nft(fullScript));
      replace.push(await nft(renderServicesFull(big, NODE, OPTS).toString()));
      log(`full sync round ${r + 1}: fresh ${fresh[r].toFixed(0)} ms, replace ${replace[r].toFixed(0)} ms`);
    }

    // Partial sync: add one Service, remove it again; the same on a 1-Service table.
    const empty: number[] = [];
    const deltaBig: number[] = [];
    const removeBig: number[] = [];
    const deltaSmall: number[] = [];
    t0 = nowMs();
    const addBig = renderServicesDelta(big, plusOne(big), NODE, OPTS);
    const deltaRenderMs = nowMs() - t0;
    const delBig = renderServicesDelta(plusOne(big), big, NODE, OPTS).toString();
    // A Service with an endpoint count no other Service has: its shared chains and maps come
    // along, and the renderer checks the unchanged Services to know they are new (JS only).
    t0 = nowMs();
    renderServicesDelta(big, plusOne(big, 4), NODE, OPTS).toString();
    const newShapeRenderMs = nowMs() - t0;
    await quiet();
    for (let r = 0; r < 5; r++) {
      empty.push(await nft(''));
      deltaBig.push(await nft(addBig.toString()));
      removeBig.push(await nft(delBig));
    }
    await nft(renderServicesFull(small, NODE, OPTS).toString());
    for (let r = 0; r < 5; r++) {
      deltaSmall.push(await nft(renderServicesDelta(small, plusOne(small), NODE, OPTS).toString()));
      await nft(renderServicesDelta(plusOne(small), small, NODE, OPTS).toString());
    }
    log(`delta (+1 Service: ${addBig.size} operations, rendered in ${deltaRenderMs.toFixed(1)} ms): on ${n} ${median(deltaBig).toFixed(1)} ms, on 1 ${median(deltaSmall).toFixed(1)} ms; empty nft -f ${median(empty).toFixed(1)} ms`);

    // Connect latency, 1 Service vs n, interleaved.
    const lat: Record<'one' | 'many', number[][]> = { one: [], many: [] };
    for (let r = 0; r < latencyRounds; r++) {
      // ABBA order, so that neither ruleset is always measured second.
      for (const which of r % 2 === 0 ? (['one', 'many'] as const) : (['many', 'one'] as const)) {
        await nft(renderServicesFull(which === 'one' ? small : big, NODE, OPTS).toString());
        await quiet();
        lat[which].push(await connectLatency(ns.client, connects));
        log(`latency round ${r + 1}, ${which === 'one' ? '1 Service' : `${n} Services`}: p50 ${pct(lat[which][r], 50).toFixed(0)} µs, p99 ${pct(lat[which][r], 99).toFixed(0)} µs`);
      }
    }
    const p = (which: 'one' | 'many', q: number) => median(lat[which].map((l) => pct(l, q)));
    const ratio50 = median(lat.one.map((l, r) => pct(l, 50) / pct(lat.many[r], 50)));
    const ratio99 = median(lat.one.map((l, r) => pct(l, 99) / pct(lat.many[r], 99)));

    let vmapMs: number | undefined;
    if (vmap) {
      await run(inNs(ns.node, ['nft', 'delete', 'table', 'ip', OPTS.tableName]));
      vmapMs = await nft(renderServices(big, NODE, { ...OPTS, loadBalancing: 'vmap' }).toString());
      log(`kube-proxy's numgen vmap shape: fresh load ${vmapMs.toFixed(0)} ms`);
    }

    const rows = [
      ['measure', 'value', 'target', 'result', 'runs'],
      [`full sync, fresh table (nft -f, ${n} Services)`, ms(median(fresh)), '≤ 1 s', verdict(median(fresh) <= 1000), fresh.map(ms).join(' / ')],
      ['full sync, replace (delete + rebuild in one transaction)', ms(median(replace)), '—', '—', replace.map(ms).join(' / ')],
      ['render full ruleset (JS)', ms(renderMs), '—', '—', ''],
      [`partial sync, +1 Service on ${n}`, ms(median(deltaBig)), '≤ 20 ms', verdict(median(deltaBig) <= 20), deltaBig.map(ms).join(' / ')],
      ['render partial sync (JS): +1 Service / one with a new endpoint count', `${ms(deltaRenderMs)} / ${ms(newShapeRenderMs)}`, '—', '—', ''],
      [`partial sync, the same Service removed again`, ms(median(removeBig)), '—', '—', removeBig.map(ms).join(' / ')],
      ['partial sync, +1 Service on 1', ms(median(deltaSmall)), '—', '—', deltaSmall.map(ms).join(' / ')],
      ['nft -f of an empty script (process start)', ms(median(empty)), '—', '—', empty.map(ms).join(' / ')],
      ['connect p50, 1 Service → with N (µs)', `${p('one', 50).toFixed(0)} → ${p('many', 50).toFixed(0)}`, '—', '—', ''],
      ['connect p99, 1 Service → with N (µs)', `${p('one', 99).toFixed(0)} → ${p('many', 99).toFixed(0)}`, '—', '—', ''],
      ['connect p50 ratio (1 Service / N)', ratio50.toFixed(3), '≥ 0.95', verdict(ratio50 >= 0.95), lat.one.map((l, r) => (pct(l, 50) / pct(lat.many[r], 50)).toFixed(3)).join(' / ')],
      ['connect p99 ratio (1 Service / N)', ratio99.toFixed(3), '≥ 0.95', verdict(ratio99 >= 0.95), lat.one.map((l, r) => (pct(l, 99) / pct(lat.many[r], 99)).toFixed(3)).join(' / ')],
      ...(vmapMs === undefined ? [] : [['full sync, fresh, numgen vmap shape (kube-proxy)', ms(vmapMs), '—', '—', '']]),
    ];
    const failed = rows.filter((r) => r[3] === 'FAIL').length;
    log(`\n${table(rows)}\n\n${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}; ${busy} measurement(s) started while other load kept the machine < 90% idle`);
    log(`\nmarkdown:\n${markdown(rows)}`);
    return strict && failed > 0 ? 1 : 0;
  });
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
function pct(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((q / 100) * s.length))];
}

/** node (ruleset) ─ eth0 ⇄ client 10.253.0.2; node 10.253.1.1 ─ pv0 ⇄ backend 10.253.1.10. */
async function topology(ns: { node: string; backend: string; client: string }): Promise<void> {
  for (const name of Object.values(ns)) await must(['ip', 'netns', 'add', name]);
  const batch = (netns: string, lines: string[]) => must(['ip', '-n', netns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
  await batch(ns.node, [
    'link set lo up',
    `link add eth0 type veth peer name eth0 netns ${ns.client}`,
    `addr add ${NODE.ip}/24 dev eth0`,
    'link set eth0 up',
    `link add pv0 type veth peer name eth0 netns ${ns.backend}`,
    'addr add 10.253.1.1/24 dev pv0',
    'link set pv0 up',
    // As in a lab node: the service range is local (packets nothing DNAT'd go through input).
    'route add local 10.96.0.0/12 dev lo',
  ]);
  await must(inNs(ns.node, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']));
  await batch(ns.backend, ['link set lo up', `addr add ${BACKEND}/24 dev eth0`, 'link set eth0 up', 'route add default via 10.253.1.1']);
  await batch(ns.client, ['link set lo up', 'addr add 10.253.0.2/24 dev eth0', 'link set eth0 up', `route add ${TARGET_VIP}/32 via ${NODE.ip}`]);
}

// The client resets each connection once established (no TIME_WAIT to exhaust its ports).
const SERVER = `require('net').createServer(s=>{s.on('error',()=>{});s.resume()}).listen(8080,()=>console.log('ready'))`;
const CLIENT = `const net=require('net');const [h,p,n,w]=[process.argv[1],80,+process.argv[2],200];(async()=>{const out=[];for(let i=0;i<n+w;i++){const t0=process.hrtime.bigint();await new Promise((res,rej)=>{const s=net.connect({host:h,port:p});s.on('connect',()=>{if(i>=w)out.push(Number(process.hrtime.bigint()-t0)/1e3);s.resetAndDestroy();res()});s.on('error',rej)})}console.log(JSON.stringify(out))})()`;

/** `count` sequential TCP connects client → ClusterIP:80 (after 200 warm-up ones); µs each. */
async function connectLatency(clientNs: string, count: number): Promise<number[]> {
  const out = await must(inNs(clientNs, [process.execPath, '-e', CLIENT, TARGET_VIP, String(count)]), { timeoutMs: 120_000 });
  return JSON.parse(out) as number[];
}
