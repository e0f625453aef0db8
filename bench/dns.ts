/**
 * `npm run bench -- dns [--seconds S] [--rounds R] [--strict]`: dnsperf (UDP, A queries for
 * 1,000 ClusterIP Service names) against podnet's DnsServer and against Knot DNS serving the same
 * names from a zone file, in the same run, rounds interleaved (podnet, knot, podnet, knot, …).
 * Both servers run as child processes on 127.0.0.1, so the bench process's own CPU does not count.
 * Neither has an upstream: every name asked is in the zone, nothing is forwarded (and never to the
 * host's resolvers).
 * Target: podnet's median QPS ≥ 0.5 × knot's. Installs dnsperf and knot if missing (root).
 * Exit 1 with --strict when the target is missed; always 1 if the two servers disagree on an answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { dnsBenchNames, dnsBenchZoneFile } from './lib/dns-zone.js';
import { ensureBinaries, markdown, median, must, Resources, run, sleep, table, waitQuiet, withCleanup } from './lib/sys.js';

const log = (s: string) => process.stdout.write(`${s}\n`);
const N = 1000;
const TARGET = 0.5;

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}

/** A port free on 127.0.0.1 for UDP and TCP right now. */
async function freePort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

/** One UDP A query; the sorted A data of the answer, or null on timeout / error rcode. */
async function queryA(port: number, name: string, timeoutMs = 500): Promise<string[] | null> {
  const sock = dgram.createSocket('udp4');
  try {
    return await new Promise<string[] | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      sock.on('error', () => resolve(null));
      sock.on('message', (msg) => {
        clearTimeout(timer);
        try {
          const p = dnsPacket.decode(msg);
          if ((p.flags ?? 0) & 0xf) return resolve(null);
          resolve((p.answers ?? []).flatMap((a) => (a.type === 'A' ? [String(a.data)] : [])).sort());
        } catch {
          resolve(null);
        }
      });
      sock.send(dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', class: 'IN', name }] }), port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

async function waitAnswering(port: number, child: ChildProcess, what: string, name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode})`);
    if ((await queryA(port, name, 200)) !== null) return;
    await sleep(100);
  }
  throw new Error(`${what} did not answer on 127.0.0.1:${port}`);
}

function startChild(argv: string[], res: Resources, what: string): { child: ChildProcess; stderr: () => string } {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  res.addChild(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
  child.stdout!.resume();
  child.on('error', (e) => (err += `${what}: ${e.message}`));
  return { child, stderr: () => err };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface PerfResult {
  qps: number;
  sent: number;
  lost: number;
  latencyMs: number;
}

async function dnsperf(port: number, queries: string, seconds: number): Promise<PerfResult> {
  const out = await must(['dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(seconds), '-c', '10', '-q', '200', '-Q', '200000'], { timeoutMs: (seconds + 30) * 1000 });
  const num = (re: RegExp): number => {
    const m = re.exec(out);
    if (!m) throw new Error(`dnsperf output not understood: ${out.trim().split('\n').slice(-12).join(' | ')}`);
    return Number(m[1]);
  };
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
  };
}

export async function main(args: string[]): Promise<number> {
  const seconds = flag(args, '--seconds', 5);
  const rounds = flag(args, '--rounds', 3);
  const strict = args.includes('--strict');
  await ensureBinaries([{ bin: 'dnsperf', pkg: 'dnsperf' }, { bin: 'knotd', pkg: 'knot' }], log);
  const res = new Resources();
  return withCleanup(res, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pnb-dns-'));
    res.dirs.add(dir);
    const names = dnsBenchNames(N);
    const queries = join(dir, 'queries.txt');
    writeFileSync(queries, names.map((n) => `${n.name} A\n`).join(''));

    // knot: zone file + minimal config, everything in the temp dir, foreground child.
    const knotPort = await freePort();
    writeFileSync(join(dir, 'cluster.local.zone'), dnsBenchZoneFile(N));
    const conf = [
      'server:',
      `    rundir: "${dir}"`,
      `    listen: 127.0.0.1@${knotPort}`,
      'control:',
      `    listen: "${join(dir, 'knot.sock')}"`,
      'database:',
      `    storage: "${dir}"`,
      'log:',
      '  - target: stderr',
      '    any: warning',
      'template:',
      '  - id: default',
      `    storage: "${dir}"`,
      '    semantic-checks: off',
      '    zonefile-sync: -1',
      '    journal-content: none',
      'zone:',
      '  - domain: cluster.local',
      '    file: "cluster.local.zone"',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'knot.conf'), conf);
    const check = await run(['knotc', '-c', join(dir, 'knot.conf'), 'conf-check']);
    if (check.code !== 0) throw new Error(`knot.conf: ${(check.stderr || check.stdout).trim()}`);
    const knot = startChild(['knotd', '-c', join(dir, 'knot.conf')], res, 'knotd');
    await waitAnswering(knotPort, knot.child, `knotd (${knot.stderr().trim()})`, names[0].name).catch((e: Error) => {
      throw new Error(`${e.message}: ${knot.stderr().trim()}`);
    });

    // podnet: DnsServer in a child node process (same tsx loader as this one).
    const podnetPort = await freePort();
    const serve = fileURLToPath(new URL('./lib/dns-serve.ts', import.meta.url));
    const podnet = startChild([process.execPath, '--import', 'tsx', serve, String(podnetPort), String(N)], res, 'podnet');
    await waitAnswering(podnetPort, podnet.child, 'podnet DnsServer', names[0].name).catch((e: Error) => {
      throw new Error(`${e.message}: ${podnet.stderr().trim()}`);
    });

    // Same answers from both, for every name (and NXDOMAIN-free).
    let mismatches = 0;
    for (const { name, ip } of names) {
      const [a, b] = await Promise.all([queryA(podnetPort, name), queryA(knotPort, name)]);
      if (JSON.stringify(a) !== JSON.stringify([ip]) || JSON.stringify(b) !== JSON.stringify([ip])) {
        if (mismatches++ < 5) log(`mismatch ${name}: podnet ${JSON.stringify(a)} knot ${JSON.stringify(b)} expected ${ip}`);
      }
    }
    log(`answers checked: ${N} names, ${mismatches} mismatches`);

    const servers = [
      { name: 'podnet (Node, 1 thread)', port: podnetPort, runs: [] as PerfResult[] },
      { name: `knot ${(await run(['knotd', '--version'])).stdout.trim().split(/\s+/).pop()} (${cpus().length} UDP workers)`, port: knotPort, runs: [] as PerfResult[] },
    ];
    // A short warm-up each (JIT for podnet), not counted.
    for (const s of servers) await dnsperf(s.port, queries, 1);
    for (let r = 0; r < rounds; r++) {
      if (!(await waitQuiet(10_000, 0.8))) log('(machine not quiet; measuring anyway)');
      for (const s of servers) {
        const p = await dnsperf(s.port, queries, seconds);
        s.runs.push(p);
        log(`round ${r + 1} ${s.name}: ${p.qps.toFixed(0)} QPS, lost ${p.lost}/${p.sent}, avg latency ${p.latencyMs.toFixed(2)} ms`);
      }
    }
    await stopChild(podnet.child);
    await stopChild(knot.child);

    const [pn, kn] = servers.map((s) => median(s.runs.map((p) => p.qps)));
    const ratio = pn / kn;
    const pass = ratio >= TARGET;
    const rows = [
      ['server', `QPS median of ${rounds}`, 'rounds (QPS)', 'lost', 'avg latency', `ratio podnet/knot`, 'target', 'result'],
      ...servers.map((s, i) => [
        s.name,
        median(s.runs.map((p) => p.qps)).toFixed(0),
        s.runs.map((p) => p.qps.toFixed(0)).join(' / '),
        `${s.runs.reduce((a, p) => a + p.lost, 0)}/${s.runs.reduce((a, p) => a + p.sent, 0)}`,
        `${median(s.runs.map((p) => p.latencyMs)).toFixed(2)} ms`,
        i === 0 ? ratio.toFixed(2) : '1',
        i === 0 ? `≥ ${TARGET}` : '—',
        i === 0 ? (pass ? 'PASS' : 'FAIL') : '—',
      ]),
    ];
    log('');
    log(table(rows));
    log('');
    log(markdown(rows));
    if (mismatches > 0) return 1;
    return strict && !pass ? 1 : 0;
  });
}
