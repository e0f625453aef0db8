import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchangeStream, relaySocket } from '../../src/dns/exchange.js';
import { DnsForwarder, forwarderDeadlineMs } from '../../src/dns/forwarder.js';
import { DnsServer } from '../../src/dns/server.js';
import { fakeUpstream, query, tcpQuery, udpQuery } from './dns-client.js';
import { dnsRecords } from './dns-fixture.js';

const rcode = (p: DecodedPacket): string => (p as DecodedPacket & { rcode: string }).rcode;
type Fake = Awaited<ReturnType<typeof fakeUpstream>>;
const TIMEOUT = 300;

describe('DnsForwarder: Unix sockets in, upstreams out', () => {
  let base: string;
  let good: Fake;
  let silent: Fake;
  const started: DnsForwarder[] = [];
  let n = 0;

  /** A forwarder in its own directory. */
  async function forwarder(upstreams: Fake[]): Promise<string> {
    const dir = join(base, `f${n++}`);
    mkdirSync(dir);
    started.push(await DnsForwarder.start({ dir, upstreams: upstreams.map((u) => ({ address: '127.0.0.1', port: u.port })), timeoutMs: TIMEOUT }));
    return dir;
  }
  /** One query through the forwarder's socket for `transport`. */
  async function ask(dir: string, transport: 'udp' | 'tcp', name: string, type: 'A' | 'AAAA' = 'A'): Promise<DecodedPacket | null> {
    const q = query(name, type);
    const out = await exchangeStream(dnsPacket.encode(q), { path: relaySocket(dir, transport) }, 5_000);
    if (!out) return null;
    const r = dnsPacket.decode(out);
    expect(r.id).toBe(q.id);
    return r;
  }

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'podnet-fwd-'));
    good = await fakeUpstream('192.0.2.53');
    silent = await fakeUpstream('192.0.2.1', true);
  });
  afterAll(async () => {
    await Promise.all([...started.map((f) => f.close()), good.close(), silent.close()]);
    rmSync(base, { recursive: true, force: true });
  });

  it.each(['udp', 'tcp'] as const)('relays over the transport of its socket (%s), with the client\'s ID', async (transport) => {
    const dir = await forwarder([good]);
    const before = good.transports.length;
    const r = await ask(dir, transport, 'www.example.test');
    expect(rcode(r!)).toBe('NOERROR');
    expect(r!.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['192.0.2.53']);
    expect(good.transports.slice(before)).toEqual([transport]);
  });

  it('tries the upstreams in order: the next one after a timeout', async () => {
    const dir = await forwarder([silent, good]);
    const t0 = Date.now();
    const r = await ask(dir, 'udp', 'second.example.test');
    expect(r!.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['192.0.2.53']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(TIMEOUT - 20);
    expect(silent.names).toContain('second.example.test');
  });

  it('SERVFAIL, with the question, when no upstream answers: after one timeout per upstream', async () => {
    const dir = await forwarder([silent, silent]);
    const t0 = Date.now();
    const r = await ask(dir, 'tcp', 'lost.example.test');
    const took = Date.now() - t0;
    expect(rcode(r!)).toBe('SERVFAIL');
    expect(r!.questions).toEqual([expect.objectContaining({ name: 'lost.example.test', type: 'A' })]);
    expect(took).toBeGreaterThanOrEqual(2 * TIMEOUT - 20);
    expect(took).toBeLessThan(forwarderDeadlineMs(2, TIMEOUT));
  });

  it('SERVFAIL at once without upstreams', async () => {
    const dir = await forwarder([]);
    const t0 = Date.now();
    expect(rcode((await ask(dir, 'udp', 'x.example.test'))!)).toBe('SERVFAIL');
    expect(Date.now() - t0).toBeLessThan(TIMEOUT);
  });

  it('never relays responses (no reflection), and drops runts', async () => {
    const dir = await forwarder([good]);
    const before = good.queries;
    const response = dnsPacket.encode({ ...query('www.example.test', 'A'), type: 'response' });
    expect(await exchangeStream(response, { path: relaySocket(dir, 'udp') }, 300)).toBeNull();
    const t0 = Date.now();
    expect(await exchangeStream(Buffer.from([1, 2, 3]), { path: relaySocket(dir, 'tcp') }, 2_000)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(1_000); // the connection is closed, not left to time out
    expect(good.queries).toBe(before);
  });

  it('a DnsServer with the forwarder as its relay: in-zone names stay local, others go out over the client\'s transport', async () => {
    const dir = await forwarder([good]);
    const server = await DnsServer.start({ records: dnsRecords(), upstreams: [{ relay: dir }], forwardTimeoutMs: forwarderDeadlineMs(1, TIMEOUT) });
    try {
      const before = good.names.length;
      for (const [ask, transport] of [[udpQuery, 'udp'], [tcpQuery, 'tcp']] as const) {
        const inZone = await ask(server.port, query('web.default.svc.cluster.local', 'A'));
        expect(inZone.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['10.96.0.20']);
        const out = await ask(server.port, query(`${transport}.example.test`, 'A'));
        expect(out.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['192.0.2.53']);
        expect(good.transports.at(-1)).toBe(transport);
      }
      expect(good.names.slice(before)).toEqual(['udp.example.test', 'tcp.example.test']);
    } finally {
      await server.close();
    }
  });
});
