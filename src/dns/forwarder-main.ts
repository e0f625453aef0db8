#!/usr/bin/env node
/**
 * The lab's DNS forwarder as a process, started by `podnet up` in the root network namespace:
 * `forwarder-main DIR UPSTREAM...` (UPSTREAM as ADDR:PORT or [IPv6]:PORT). See forwarder.ts.
 * It carries the lab's PODNET_STATE_DIR in its environment and its PID is recorded, so `podnet
 * down` ends it, also after a crash.
 */
import { DnsForwarder } from './forwarder.js';
import { formatUpstream, parseUpstream, type Upstream } from '../model/dns-upstream.js';

const [dir, ...specs] = process.argv.slice(2);
if (!dir || specs.length === 0) {
  process.stderr.write('usage: forwarder-main DIR UPSTREAM...\n');
  process.exit(2);
}
const upstreams: Upstream[] = [];
for (const s of specs) {
  const u = parseUpstream(s);
  if ('error' in u) {
    process.stderr.write(`podnet dns forwarder: ${u.error}\n`);
    process.exit(2);
  }
  upstreams.push(u);
}

const forwarder = await DnsForwarder.start({ dir, upstreams });
process.stdout.write(`podnet dns forwarder: ${dir}/{udp,tcp}.sock -> ${upstreams.map(formatUpstream).join(', ')}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void forwarder.close().finally(() => process.exit(0)));
}
