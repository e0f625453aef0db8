/**
 * `npm run bench -- datapath --breakdown [--rounds N] [--time S]`: where the cross-node path's
 * distance to a veth pair goes. The path is built step by step (bench/lib/breakdown-steps.ts),
 * every step in its own namespaces, all measured in the same interleaved rounds (the start of each
 * round rotates, so no step always runs first). Per step and round: iperf3 with one TCP stream and
 * with 4 (-P 4), the CPU time per Gbit of the sender and receiver iperf3 processes (utime+stime
 * from /proc/PID/stat) and of the machine's softirq (/proc/stat), and the ping RTT (avg of 20).
 * Ratios are taken per round (step / veth of the same round, step / previous step of the same
 * round) and summarised as min / median / max: one-stream ratios swing ±30 % between rounds on a
 * shared 2-core machine, so the spread is part of the result.
 * Cleans up everything (namespaces by exact name, its own children) on exit, failure or Ctrl-C.
 */
import { cpus, loadavg } from 'node:os';
import { measuredIperf, IperfServer, type IperfRun } from './lib/iperf.js';
import { buildSteps, ISOLATED_PODS } from './lib/breakdown-steps.js';
import { pingOnce, pingRtt, IPERF_PORT } from './lib/net.js';
import { idleFraction, markdown, median, Resources, run, runTag, sleep, table, waitQuiet, withCleanup } from './lib/sys.js';

export const DEFAULT_ROUNDS = 5;
export const DEFAULT_SECONDS = 3;
const STREAMS = 4;
/** Before each test, wait up to this long for the machine to be ≥ 90% idle. */
const QUIET_WAIT_MS = 1_000;

const log = (s: string) => process.stdout.write(`${s}\n`);

interface Samples {
  one: IperfRun[];
  four: IperfRun[];
  rtt: number[];
}

/** "min / median / max" of xs with `digits` decimals. */
function spread(xs: readonly number[], digits = 2): string {
  return `${Math.min(...xs).toFixed(digits)} / ${median(xs).toFixed(digits)} / ${Math.max(...xs).toFixed(digits)}`;
}

/** Per-round ratios a[r] / b[r]. */
function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, r) => x / b[r]);
}

/**
 * Medians of sender, receiver and their sum. The split between the two is soft: softirq work (the
 * receive path of a veth/macvlan hop) is charged to whichever process the CPU was running, often
 * the sender; the sum is the robust figure.
 */
function cpuCell(runs: readonly IperfRun[]): string {
  const m = (f: (x: IperfRun) => number) => median(runs.map(f)).toFixed(0);
  return `${m((x) => x.senderMsPerGbit)} + ${m((x) => x.receiverMsPerGbit)} = ${m((x) => x.senderMsPerGbit + x.receiverMsPerGbit)}`;
}

/**
 * A test again (twice at most, 1 s apart) when iperf3 fails: the persistent server can still be
 * finishing the previous test ("the server is busy running a test"), more so on a loaded machine.
 */
async function retried<T>(test: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await test();
    } catch (e) {
      if (attempt >= 3) throw e;
      log(`  (retrying: ${(e as Error).message.split('\n')[0]})`);
      await sleep(1_000);
    }
  }
}

export async function breakdown(rounds: number, seconds: number): Promise<number> {
  const tag = runTag();
  const kernel = (await run(['uname', '-r'])).stdout.trim();
  const iperf = (await run(['iperf3', '--version'])).stdout.split('\n')[0].trim();
  const cpu = cpus();
  log(`datapath breakdown — iperf3 1 and ${STREAMS} TCP streams, ${seconds} s per test, ${rounds} interleaved rounds; ping RTT avg of 20; CPU from /proc`);
  log(`node ${process.version}, kernel ${kernel}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${iperf}; run tag pnb${tag}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const res = new Resources();
  return withCleanup(res, async () => {
    const t0 = Date.now();
    const steps = await buildSteps(res, tag);
    const servers: IperfServer[] = [];
    for (const s of steps) {
      await pingOnce(s.from, s.toIp);
      servers.push(await IperfServer.start(res, s.to, s.toIp, IPERF_PORT));
    }
    log(`${steps.length} steps up and verified in ${((Date.now() - t0) / 1000).toFixed(1)} s (one ping each; ${ISOLATED_PODS} isolated pods compiled and loaded)`);
    log(`machine ${((await idleFraction(1_000)) * 100).toFixed(0)}% idle before the first test\n`);

    const samples: Samples[] = steps.map(() => ({ one: [], four: [], rtt: [] }));
    let busy = 0;
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < steps.length; k++) {
        const i = (k + r) % steps.length;
        const s = steps[i];
        if (!(await waitQuiet(QUIET_WAIT_MS))) busy++;
        const one = await retried(() => measuredIperf(res, s.from, servers[i], seconds, 1));
        if (!(await waitQuiet(QUIET_WAIT_MS))) busy++;
        const four = await retried(() => measuredIperf(res, s.from, servers[i], seconds, STREAMS));
        const rtt = await pingRtt(s.from, s.toIp);
        samples[i].one.push(one);
        samples[i].four.push(four);
        samples[i].rtt.push(rtt);
        log(`round ${r + 1} ${s.name.padEnd(42)} 1×${one.gbps.toFixed(2).padStart(6)}  ${STREAMS}×${four.gbps.toFixed(2).padStart(6)} Gbit/s  RTT ${(rtt * 1000).toFixed(0).padStart(4)} µs  CPU ms/Gbit snd ${one.senderMsPerGbit.toFixed(0)} rcv ${one.receiverMsPerGbit.toFixed(0)}`);
      }
    }

    const g1 = samples.map((s) => s.one.map((x) => x.gbps));
    const g4 = samples.map((s) => s.four.map((x) => x.gbps));
    const rtt = samples.map((s) => s.rtt.map((x) => x * 1000));
    const rows = [
      ['step', '1 stream Gbit/s', '÷ veth (min / med / max)', '÷ previous', `${STREAMS} streams Gbit/s`, '÷ veth (min / med / max)', '÷ previous', 'RTT µs', 'RTT ÷ previous', 'CPU ms/Gbit 1 stream: snd + rcv = sum', 'softirq ms/Gbit (machine)', `CPU ms/Gbit ${STREAMS} streams: sum`],
    ];
    for (const [i, s] of steps.entries()) {
      const prev = Math.max(0, i - 1);
      const ref = i === 0;
      rows.push([
        s.name,
        median(g1[i]).toFixed(2),
        ref ? '1' : spread(ratios(g1[i], g1[0])),
        ref ? '—' : median(ratios(g1[i], g1[prev])).toFixed(2),
        median(g4[i]).toFixed(2),
        ref ? '1' : spread(ratios(g4[i], g4[0])),
        ref ? '—' : median(ratios(g4[i], g4[prev])).toFixed(2),
        median(rtt[i]).toFixed(0),
        ref ? '—' : median(ratios(rtt[i], rtt[prev])).toFixed(2),
        cpuCell(samples[i].one),
        median(samples[i].one.map((x) => x.softirqMsPerGbit)).toFixed(0),
        median(samples[i].four.map((x) => x.senderMsPerGbit + x.receiverMsPerGbit)).toFixed(0),
      ]);
    }
    log('');
    log(table(rows));
    log(`\n${busy} of ${rounds * steps.length * 2} tests started while other load kept the machine < 90% idle; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    log(`one-stream Gbit/s per round: ${steps.map((s, i) => `${s.name.split(' (')[0]}: ${g1[i].map((g) => g.toFixed(1)).join(' ')}`).join('; ')}`);
    log(`\nmarkdown:\n${markdown(rows)}`);
    return 0;
  });
}
