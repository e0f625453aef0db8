/**
 * Hostile input: random bytes and mutated valid queries over UDP and TCP, a few thousand of them.
 * The server must neither crash nor stall: a valid query is answered afterwards, quickly.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveQuery } from '../../src/dns/resolve.js';
import { DnsServer } from '../../src/dns/server.js';
import { query, tcpQuery, udpQuery } from './dns-client.js';
import { dnsRecords } from './dns-fixture.js';

/** mulberry32: reproducible runs. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const records = dnsRecords({}, 5);
const seeds = ['web.default.svc.cluster.local', '_pg._tcp.db.default.svc.cluster.local', '20.0.96.10.in-addr.arpa', 'alias.other.svc.cluster.local', 'example.com'];
const valid = seeds.flatMap((n) => (['A', 'SRV', 'PTR', 'ANY'] as const).map((t) => dnsPacket.encode(query(n, t, { size: 1232 }))));

function hostile(rand: () => number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  if (rand() < 0.4) return Buffer.from(Array.from({ length: int(600) }, () => int(256)));
  const msg = Buffer.from(valid[int(valid.length)]);
  const out = rand() < 0.2 ? msg.subarray(0, int(msg.length)) : msg;
  for (let i = int(6) + 1; i > 0 && out.length > 0; i--) out[int(out.length)] = rand() < 0.5 ? int(256) : [0, 0xc0, 0x3f, 0xff][int(4)];
  if (rand() < 0.3 && out.length > 12) out.writeUInt16BE(int(65536), 4 + 2 * int(4)); // section counts
  return rand() < 0.1 ? Buffer.concat([out, Buffer.alloc(int(400), int(256))]) : out;
}

describe('DNS fuzzing', () => {
  let server: DnsServer;
  beforeAll(async () => {
    server = await DnsServer.start({ records, tcpIdleTimeoutMs: 300 });
  });
  afterAll(() => server.close());

  it('resolveQuery never throws on whatever dns-packet decodes', () => {
    const rand = rng(1);
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      let q: DecodedPacket;
      try {
        q = dnsPacket.decode(hostile(rand));
      } catch {
        continue;
      }
      decoded++;
      for (const transport of ['udp', 'tcp'] as const) {
        const r = resolveQuery(q, records, transport);
        if (r.kind === 'answer') expect(() => dnsPacket.encode(r.response)).not.toThrow();
      }
    }
    expect(decoded).toBeGreaterThan(500);
  });

  it('survives thousands of hostile UDP datagrams', async () => {
    const rand = rng(2);
    const sock = dgram.createSocket('udp4');
    let answers = 0;
    sock.on('message', () => answers++);
    for (let i = 0; i < 3000; i++) {
      await new Promise<void>((r) => sock.send(hostile(rand), server.port, '127.0.0.1', () => r()));
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 100));
    sock.close();
    expect(answers).toBeGreaterThan(0);
    const t0 = Date.now();
    expect((await udpQuery(server.port, query('web.default.svc.cluster.local', 'A'))).answers).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('survives hostile TCP streams (framed and unframed), closing idle and bogus connections', async () => {
    const rand = rng(3);
    const streams = Array.from({ length: 60 }, (_, i) => {
      if (i % 3 === 0) return Buffer.from(Array.from({ length: Math.floor(rand() * 3000) }, () => Math.floor(rand() * 256)));
      const msgs = Array.from({ length: 40 }, () => hostile(rand));
      return Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])));
    });
    const closed = await Promise.all(
      streams.map(
        (bytes, i) =>
          new Promise<boolean>((resolve) => {
            const conn = net.connect({ host: '127.0.0.1', port: server.port });
            conn.on('error', () => {});
            conn.on('data', () => {});
            conn.on('close', () => resolve(true));
            // Some write and hang up, others write a partial frame and wait for the idle timeout.
            conn.on('connect', () => (i % 2 === 0 ? conn.end(bytes) : conn.write(Buffer.concat([bytes, Buffer.from([0x01, 0x00, 0x00])]))));
          }),
      ),
    );
    expect(closed.every(Boolean)).toBe(true);
    const t0 = Date.now();
    expect((await tcpQuery(server.port, query('web.default.svc.cluster.local', 'A'))).answers).toHaveLength(1);
    expect((await udpQuery(server.port, query('web.default.svc.cluster.local', 'A'))).answers).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a connection announcing a message shorter than a header is closed at once', async () => {
    const conn = net.connect({ host: '127.0.0.1', port: server.port });
    conn.on('error', () => {});
    const t0 = Date.now();
    await new Promise((r) => {
      conn.on('close', r);
      conn.on('connect', () => conn.write(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5])));
    });
    expect(Date.now() - t0).toBeLessThan(250);
  });
});
