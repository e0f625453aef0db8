/**
 * `npm run bench -- datapath [--time S] [--rounds N] [--cc ALGO] [--plain] [--strict]`: TCP throughput (iperf3, one stream) and
 * ping RTT of podnet's packet paths — pod → pod on one node (routed veths), across nodes with
 * static routes (routed) and across nodes over VXLAN — as ratios to a raw veth pair between two
 * namespaces measured in the same run. The topologies are built with podnet's own renderers
 * (renderLabNetwork + renderPodsAdd) and carry the (empty) Services and NetworkPolicy tables every
 * lab node has. Runs are interleaved path by path; medians of 3 (--rounds). VXLAN is measured as
 * `up` builds it by default (checksum offload per the running kernel, src/model/kernel.ts) and
 * with the offload forced off (what a kernel older than 5.7 gets).
 * `--breakdown [--rounds N] [--time S]`: the cross-node path built step by step (bench/breakdown.ts).
 * --plain adds the same topologies built by hand without podnet (bridge; pod–node–node–pod
 * routed and VXLAN), to tell podnet's cost from the kernel's on this machine.
 * --cc picks the TCP congestion control of the iperf3 client (default: the host's, inherited by every
 * namespace). It matters here: with BBR a one-stream test on sub-0.1 ms paths is bound by latency
 * (each hop's delay cuts it), with CUBIC by CPU.
 * Needs root; installs iperf3 (and iproute2/iputils-ping/ethtool) when missing.
 * Exit 1 with --strict when a target is missed.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { decideVxlanChecksumOffload } from '../src/model/kernel.js';
import { breakdown, DEFAULT_ROUNDS as BREAKDOWN_ROUNDS, DEFAULT_SECONDS as BREAKDOWN_SECONDS } from './breakdown.js';
import { labConfig, loadPodnetTables, upLab, type BenchLab } from './lib/lab.js';
import { iperfTcp, pingOnce, pingRtt } from './lib/net.js';
import { plainBridge, plainCrossNode, plainVeth } from './lib/plain.js';
import { ensureBinaries, idleFraction, isRoot, markdown, median, must, Resources, run, runTag, table, waitQuiet, withCleanup } from './lib/sys.js';

const DEFAULT_RUNS = 3;
const DEFAULT_SECONDS = 5;
/** Before each test, wait up to this long for the machine to be ≥ 90% idle. */
const QUIET_WAIT_MS = 2_500;

interface Path {
  name: string;
  from: string;
  to: string;
  toIp: string;
  /** Minimum ratio to the veth pair; undefined for references. */
  target?: number;
}

const log = (s: string) => process.stdout.write(`${s}\n`);

export async function main(args: string[]): Promise<number> {
  let seconds: number | undefined;
  let rounds: number | undefined;
  let strict = false;
  let plain = false;
  let split = false;
  let congestion: string | undefined;
  const positive = (text: string | undefined) => /^\d+$/.test(text ?? '') && Number(text) > 0;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--strict') strict = true;
    else if (args[i] === '--plain') plain = true;
    else if (args[i] === '--breakdown') split = true;
    else if (args[i] === '--rounds' && positive(args[i + 1])) rounds = Number(args[++i]);
    else if (args[i] === '--cc' && /^[a-z0-9_]+$/.test(args[i + 1] ?? '')) congestion = args[++i];
    else if (args[i] === '--time' && positive(args[i + 1])) seconds = Number(args[++i]);
    else {
      process.stderr.write(`datapath: bad argument ${args[i]}\nusage: npm run bench -- datapath [--time SECONDS] [--rounds N] [--cc ALGO] [--plain] [--strict]\n       npm run bench -- datapath --breakdown [--time SECONDS ≥ 2] [--rounds N]\n`);
      return 2;
    }
  }
  if (split && (plain || strict || congestion !== undefined || (seconds !== undefined && seconds < 2))) {
    process.stderr.write('datapath --breakdown takes only --rounds and --time (≥ 2 s)\n');
    return 2;
  }
  if (!isRoot()) {
    process.stderr.write('datapath: needs root (creates network namespaces)\n');
    return 2;
  }
  await ensureBinaries(
    [
      { bin: 'ip', pkg: 'iproute2' },
      { bin: 'ss', pkg: 'iproute2' },
      { bin: 'ping', pkg: 'iputils-ping' },
      { bin: 'ethtool', pkg: 'ethtool' },
      { bin: 'iperf3', pkg: 'iperf3' },
      { bin: 'nft', pkg: 'nftables' },
    ],
    log,
  );
  if (split) return breakdown(rounds ?? BREAKDOWN_ROUNDS, seconds ?? BREAKDOWN_SECONDS);
  const RUNS = rounds ?? DEFAULT_RUNS;
  const time = seconds ?? DEFAULT_SECONDS;
  const offload = decideVxlanChecksumOffload('auto', release());
  const cpu = cpus();
  const tag = runTag();
  const kernel = (await run(['uname', '-r'])).stdout.trim();
  const iperfVersion = (await run(['iperf3', '--version'])).stdout.split('\n')[0].trim();
  const available = (await readFile('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8')).trim().split(/\s+/);
  if (congestion !== undefined && !available.includes(congestion)) {
    process.stderr.write(`datapath: --cc ${congestion}: this kernel offers ${available.join(', ')}\n`);
    return 2;
  }
  const cc = congestion ?? `${(await readFile('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8')).trim()} (the host's default)`;
  log(`datapath benchmark — iperf3 one TCP stream, congestion control ${cc}, ${time} s per test, ${RUNS} runs per path (interleaved); ping RTT avg of 20`);
  log(`node ${process.version}, kernel ${kernel}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${iperfVersion}; run tag pnb${tag}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  log(`vxlan checksum offload by default: ${offload.offload ? 'on' : 'off'} (${offload.reason})\n`);

  const res = new Resources();
  return withCleanup(res, async () => {
    const veth = await plainVeth(res, `pnb${tag}`);
    const routed = await upLab(res, labConfig(`pnb${tag}-r`, 'routed', 2), [
      { name: 'a', node: 'node-1' },
      { name: 'b', node: 'node-1' },
      { name: 'c', node: 'node-2' },
    ]);
    const vxlan = await upLab(res, { ...labConfig(`pnb${tag}-x`, 'vxlan', 2), vxlanChecksumOffload: offload.offload }, [
      { name: 'a', node: 'node-1' },
      { name: 'c', node: 'node-2' },
    ]);
    const vxlanOff = await upLab(res, { ...labConfig(`pnb${tag}-o`, 'vxlan', 2), vxlanChecksumOffload: false }, [
      { name: 'a', node: 'node-1' },
      { name: 'c', node: 'node-2' },
    ]);
    // The Services and NetworkPolicy tables a real lab always has (empty): their hooks are on the path.
    for (const lab of [routed, vxlan, vxlanOff]) await loadPodnetTables(lab);
    const pod = (lab: BenchLab, name: string) => lab.pods.get(name)!;
    const between = (lab: BenchLab, a: string, b: string) => ({ from: pod(lab, a).netns!, to: pod(lab, b).netns!, toIp: pod(lab, b).ip });
    const paths: Path[] = [
      { name: 'veth pair (reference)', ...veth },
      { name: 'pod → pod, same node', ...between(routed, 'a', 'b'), target: 0.95 },
      ...(plain ? [{ name: '  plain bridge, no podnet', ...(await plainBridge(res, `pnb${tag}`)) }] : []),
      ...(plain ? [{ name: '  plain bridge + podnet\'s empty tables', ...(await plainBridge(res, `pnb${tag}`, true)) }] : []),
      { name: 'pod → pod, cross-node routed', ...between(routed, 'a', 'c'), target: 0.93 },
      ...(plain ? [{ name: '  plain routed, no podnet', ...(await plainCrossNode(res, `pnb${tag}`, false)) }] : []),
      ...(plain ? [{ name: '  plain routed + podnet\'s empty tables', ...(await plainCrossNode(res, `pnb${tag}`, false, true)) }] : []),
      { name: `pod → pod, cross-node vxlan (default: checksum offload ${offload.offload ? 'on' : 'off'})`, ...between(vxlan, 'a', 'c'), target: 0.6 },
      { name: 'pod → pod, cross-node vxlan (--vxlan-checksum-offload=off)', ...between(vxlanOff, 'a', 'c') },
      ...(plain ? [{ name: '  plain vxlan, no podnet', ...(await plainCrossNode(res, `pnb${tag}`, true)) }] : []),
      ...(plain ? [{ name: '  plain vxlan + podnet\'s empty tables', ...(await plainCrossNode(res, `pnb${tag}`, true, true)) }] : []),
    ];
    for (const p of paths) await pingOnce(p.from, p.toIp);
    log(`topologies up and verified (one ping per path): veth ${veth.from} ↔ ${veth.to}; labs ${routed.config.name} (routed), ${vxlan.config.name} (vxlan)${plain ? '; plain references' : ''}`);
    log(`pod MTU: routed ${await mtu(pod(routed, 'a').netns!)}, vxlan ${await mtu(pod(vxlan, 'a').netns!)}\n`);

    const idleBefore = await idleFraction(1_000);
    log(`machine ${(idleBefore * 100).toFixed(0)}% idle before the first test (other load skews the figures)`);
    const gbps = paths.map((): number[] => []);
    let busy = 0;
    for (let r = 0; r < RUNS; r++) {
      for (const [i, p] of paths.entries()) {
        const quiet = await waitQuiet(QUIET_WAIT_MS);
        if (!quiet) busy++;
        const g = await iperfTcp(res, p.from, p.to, p.toIp, time, congestion);
        gbps[i].push(g);
        log(`run ${r + 1} ${p.name.padEnd(30)} ${g.toFixed(2).padStart(6)} Gbit/s${quiet ? '' : '  (started while the machine was busy)'}`);
      }
    }
    const rtts = paths.map((): number[] => []);
    for (let r = 0; r < RUNS; r++) for (const [i, p] of paths.entries()) rtts[i].push(await pingRtt(p.from, p.toIp));

    // Ratio per round (path / veth of the same round), then the median: drift between rounds cancels.
    const ratios = paths.map((_, i) => median(gbps[i].map((g, r) => g / gbps[0][r])));
    let failed = 0;
    const rows = [['path', 'Gbit/s', 'ratio to veth', 'target', 'result', 'RTT ms', 'runs Gbit/s']];
    for (const [i, p] of paths.entries()) {
      const pass = p.target === undefined ? undefined : ratios[i] >= p.target;
      if (pass === false) failed++;
      rows.push([
        p.name,
        median(gbps[i]).toFixed(2),
        ratios[i].toFixed(2),
        p.target === undefined ? '—' : `≥ ${p.target.toFixed(2)}`,
        pass === undefined ? '—' : pass ? 'PASS' : 'FAIL',
        median(rtts[i]).toFixed(3),
        gbps[i].map((g) => g.toFixed(2)).join(' / '),
      ]);
    }
    log('');
    log(table(rows));
    log(`\n${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}; ${busy} of ${RUNS * paths.length} tests started while other load kept the machine < 90% idle`);
    log(`\nmarkdown:\n${markdown(rows)}`);
    return strict && failed > 0 ? 1 : 0;
  });
}

async function mtu(netns: string): Promise<string> {
  const out = await must(['ip', '-n', netns, '-o', 'link', 'show', 'eth0']);
  return /mtu (\d+)/.exec(out)?.[1] ?? '?';
}
