/**
 * Traffic between the benchmark's own namespaces: iperf3 TCP throughput, ping RTT, and a TCP
 * connect probe. Every address used here lives in a namespace the benchmark created.
 */
import { spawn } from 'node:child_process';
import { inNs, must, run, sleep, type Resources } from './sys.js';

export const IPERF_PORT = 5201;

/**
 * One iperf3 test, one TCP stream: server (`iperf3 -s -1`, our child) in serverNs bound to
 * serverIp, client in clientNs. Returns the receiver's Gbit/s. `congestion` sets the client's TCP
 * congestion control (`iperf3 -C`); without it the namespace's default applies.
 */
export async function iperfTcp(res: Resources, clientNs: string, serverNs: string, serverIp: string, seconds: number, congestion?: string): Promise<number> {
  const argv = inNs(serverNs, ['iperf3', '-s', '-1', '-B', serverIp, '-p', String(IPERF_PORT)]);
  const server = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  res.addChild(server);
  let serverErr = '';
  server.stderr.setEncoding('utf8').on('data', (d: string) => (serverErr += d));
  const exited = new Promise<void>((r) => server.on('close', () => r()));
  try {
    await waitListening(serverNs, IPERF_PORT, () => (server.exitCode !== null || server.signalCode !== null ? `iperf3 server exited (${server.exitCode ?? server.signalCode}): ${serverErr.trim()}` : undefined));
    const out = await run(inNs(clientNs, ['iperf3', '-c', serverIp, '-p', String(IPERF_PORT), '-t', String(seconds), '-J', ...(congestion ? ['-C', congestion] : [])]), { timeoutMs: (seconds + 15) * 1000 });
    let parsed: { error?: string; end?: { sum_received?: { bits_per_second?: number } } };
    try {
      parsed = JSON.parse(out.stdout) as typeof parsed;
    } catch {
      throw new Error(`iperf3 client ${clientNs} → ${serverIp}: exit ${out.code}: ${out.stderr.trim()} ${serverErr.trim()}`);
    }
    const bps = parsed.end?.sum_received?.bits_per_second;
    if (parsed.error || bps === undefined) throw new Error(`iperf3 ${clientNs} → ${serverIp}: ${parsed.error ?? 'no result'}`);
    return bps / 1e9;
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      await Promise.race([exited, sleep(2_000)]);
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
  }
}

async function waitListening(netns: string, port: number, failed: () => string | undefined): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const why = failed();
    if (why) throw new Error(`${netns}: ${why}`);
    const r = await run(inNs(netns, ['ss', '-Hltn', `sport = :${port}`]));
    if (r.stdout.trim() !== '') return;
    await sleep(20);
  }
  throw new Error(`iperf3 server in ${netns} did not start listening on ${port}`);
}

/** Average ping RTT in ms over `count` echoes, after one warm-up echo (ARP, route cache). */
export async function pingRtt(fromNs: string, to: string, count = 20): Promise<number> {
  await must(inNs(fromNs, ['ping', '-c', '1', '-W', '2', to]));
  const out = await must(inNs(fromNs, ['ping', '-q', '-c', String(count), '-i', '0.01', '-W', '2', to]));
  const m = /= [\d.]+\/([\d.]+)\//.exec(out);
  if (!m) throw new Error(`ping ${to} from ${fromNs}: cannot parse: ${out.trim()}`);
  return Number(m[1]);
}

/** One ping; throws when there is no reply. */
export async function pingOnce(fromNs: string, to: string): Promise<void> {
  await must(inNs(fromNs, ['ping', '-c', '1', '-W', '2', to]));
}
