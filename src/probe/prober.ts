#!/usr/bin/env node
/**
 * The probe client, run inside one pod's network namespace (`ip netns exec NS node prober.js`):
 * reads `{"timeoutMs":N,"targets":[{"host","port","protocol"}…]}` on stdin, probes every target
 * in parallel and prints one JSON array of results. TCP: a connect; UDP: one datagram and its
 * reply (podnet's built-in server answers every datagram).
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { probeVerdict, type ProbeOutcome, type ProbeRequest, type ProbeTarget } from './verdict.js';

function tcp(t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    const sock = connect({ host: t.host, port: t.port });
    const done = (o: Omit<ProbeOutcome, 'ms'>) => {
      sock.destroy();
      clearTimeout(timer);
      resolve({ ...o, ms: Math.round(performance.now() - start) });
    };
    const timer = setTimeout(() => done({ verdict: 'timeout' }), timeoutMs);
    sock.on('connect', () => done({ verdict: 'open' }));
    sock.on('error', (e: NodeJS.ErrnoException) => done(probeVerdict(e.code)));
  });
}

function udp(t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    const done = (o: Omit<ProbeOutcome, 'ms'>) => {
      clearTimeout(timer);
      sock.close();
      resolve({ ...o, ms: Math.round(performance.now() - start) });
    };
    sock.on('message', (msg) => done({ verdict: 'open', reply: msg.toString('utf8').slice(0, 200) }));
    // A connected UDP socket reports ICMP errors: port unreachable, admin prohibited.
    sock.on('error', (e: NodeJS.ErrnoException) => done(probeVerdict(e.code)));
    sock.connect(t.port, t.host, () => {
      timer = setTimeout(() => done({ verdict: 'timeout' }), timeoutMs);
      sock.send('podnet probe');
    });
  });
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProbeRequest;
  const results = await Promise.all(req.targets.map((t) => (t.protocol === 'UDP' ? udp(t, req.timeoutMs) : tcp(t, req.timeoutMs))));
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

await main();
