/**
 * Child process of `npm run bench -- dns`: podnet's DnsServer on 127.0.0.1 answering from a
 * RecordSet of the benchmark's N ClusterIP Service names (built by hand, same shape as
 * buildRecordSet's). Usage: `node --import tsx bench/lib/dns-serve.ts PORT N`; prints
 * `ready PORT` when listening, exits on SIGTERM/SIGINT or when stdin closes.
 */
import { DnsServer } from '../../src/dns/server.js';
import { dnsBenchRecordSet } from './dns-zone.js';

const port = Number(process.argv[2] ?? 0);
const n = Number(process.argv[3] ?? 1000);
const server = await DnsServer.start({ address: '127.0.0.1', port, records: dnsBenchRecordSet(n) });
process.stdout.write(`ready ${server.port}\n`);
const stop = (): void => void server.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop).resume();
