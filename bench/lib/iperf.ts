/**
 * iperf3 with CPU accounting, for `datapath --breakdown`: a persistent server per path (our child,
 * killed at cleanup) and a client whose run is measured in a steady-state window, sampling the
 * utime+stime of both iperf3 processes (/proc/PID/stat, whole thread group) and the machine's
 * softirq time (/proc/stat) at the window's ends. `ip netns exec` execs iperf3 in place, so the
 * spawned pid is iperf3's. Every address is inside the benchmark's own namespaces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inNs, run, sleep, type Resources } from './sys.js';

/** USER_HZ: the unit of /proc's CPU times (100 on every Linux architecture podnet runs on). */
const CLK_TCK = 100;

/** utime + stime of a process (all its threads), in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** The machine's softirq time (all CPUs) from /proc/stat, in ms. */
export function softirqMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  return (Number(f[7]) * 1000) / CLK_TCK;
}

export class IperfServer {
  private constructor(
    readonly netns: string,
    readonly ip: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  /** Starts `iperf3 -s` bound to ip:port in netns and waits until it listens. */
  static async start(res: Resources, netns: string, ip: string, port: number): Promise<IperfServer> {
    const argv = inNs(netns, ['iperf3', '-s', '-B', ip, '-p', String(port)]);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    res.addChild(child);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const s = new IperfServer(netns, ip, port, child);
    await s.listening(() => (child.exitCode !== null || child.signalCode !== null ? `iperf3 server exited: ${err.trim()}` : undefined));
    return s;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async listening(failed: () => string | undefined = () => undefined): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const why = failed();
      if (why) throw new Error(`${this.netns}: ${why}`);
      const r = await run(inNs(this.netns, ['ss', '-Hltn', `sport = :${this.port}`]));
      if (r.stdout.trim() !== '') return;
      await sleep(20);
    }
    throw new Error(`iperf3 server in ${this.netns} is not listening on ${this.port}`);
  }
}

export interface IperfRun {
  gbps: number;
  /** CPU ms per Gbit moved, over the measured window. */
  senderMsPerGbit: number;
  receiverMsPerGbit: number;
  softirqMsPerGbit: number;
}

/**
 * One client run (`-t seconds`, `-P streams`) against `server` from clientNs. The CPU window runs
 * from 0.8 s after the start (past the connection setup and slow start) to 0.2 s before the end;
 * throughput is the receiver's average over the whole test.
 */
export async function measuredIperf(res: Resources, clientNs: string, server: IperfServer, seconds: number, streams: number): Promise<IperfRun> {
  if (seconds < 2) throw new Error('measuredIperf needs at least 2 s per test');
  await server.listening();
  const argv = inNs(clientNs, ['iperf3', '-c', server.ip, '-p', String(server.port), '-t', String(seconds), '-P', String(streams), '-J']);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  res.addChild(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<number>((r) => child.on('close', (code) => r(code ?? 1)));
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
  const sample = () => ({ at: performance.now(), snd: processCpuMs(child.pid!), rcv: processCpuMs(server.pid), irq: softirqMs() });
  await sleep(800);
  const a = sample();
  await sleep((seconds - 1) * 1000);
  const b = sample();
  const code = await closed;
  clearTimeout(killer);
  let parsed: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new Error(`iperf3 ${clientNs} → ${server.ip}: exit ${code}: ${err.trim()}`);
  }
  const bps = parsed.end?.sum_received?.bits_per_second;
  if (parsed.error || bps === undefined) throw new Error(`iperf3 ${clientNs} → ${server.ip}: ${parsed.error ?? 'no result'}`);
  if (a.snd === undefined || b.snd === undefined || a.rcv === undefined || b.rcv === undefined) throw new Error(`iperf3 ${clientNs} → ${server.ip}: a process ended inside the CPU window`);
  const gbps = bps / 1e9;
  const gbits = (gbps * (b.at - a.at)) / 1000;
  return { gbps, senderMsPerGbit: (b.snd - a.snd) / gbits, receiverMsPerGbit: (b.rcv - a.rcv) / gbits, softirqMsPerGbit: (b.irq - a.irq) / gbits };
}
