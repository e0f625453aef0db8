import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRecordSet } from '../../src/dns/records.js';
import { DnsServer } from '../../src/dns/server.js';
import { fakeUpstream, query, tcpExchange, tcpQuery, udpExchange, udpQuery } from './dns-client.js';
import { dnsRecords } from './dns-fixture.js';

const rcode = (p: DecodedPacket): string => (p as DecodedPacket & { rcode: string }).rcode;
const data = (answers: Answer[] | undefined): unknown[] => (answers ?? []).map((a) => ('data' in a ? a.data : undefined));
const BIG = 20; // 20 A records: more than 512 bytes, less than 1232

describe('DnsServer', () => {
  let server: DnsServer;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let forwarding: DnsServer;

  beforeAll(async () => {
    server = await DnsServer.start({ address: '127.0.0.1', port: 0, records: dnsRecords({}, BIG) });
    upstream = await fakeUpstream('192.0.2.53');
    forwarding = await DnsServer.start({ records: dnsRecords(), upstreams: [{ address: '127.0.0.1', port: upstream.port }], forwardTimeoutMs: 500 });
  });
  afterAll(async () => {
    await Promise.all([server.close(), forwarding.close(), upstream.close()]);
  });

  describe.each(['udp', 'tcp'] as const)('over %s', (transport) => {
    const ask = (name: string, type: Parameters<typeof query>[1]) => (transport === 'udp' ? udpQuery : tcpQuery)(server.port, query(name, type));

    it('A of a ClusterIP Service, authoritative', async () => {
      const r = await ask('web.default.svc.cluster.local', 'A');
      expect(rcode(r)).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(r.answers).toEqual([expect.objectContaining({ type: 'A', name: 'web.default.svc.cluster.local', ttl: 30, data: '10.96.0.20' })]);
    });

    it('names are case-insensitive; the answer keeps the case asked', async () => {
      const r = await ask('WeB.DEFAULT.svc.Cluster.Local', 'A');
      expect(r.answers).toEqual([expect.objectContaining({ name: 'WeB.DEFAULT.svc.Cluster.Local', data: '10.96.0.20' })]);
    });

    it('SRV of a headless Service, with the targets\' A records as additionals', async () => {
      const r = await ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
      expect(data(r.answers)).toEqual([
        { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
        { priority: 0, weight: 50, port: 5432, target: '10-244-1-11.db.default.svc.cluster.local' },
      ]);
      expect(data(r.additionals)).toEqual(['10.244.1.10', '10.244.1.11']);
    });

    it('PTR of a ClusterIP', async () => {
      expect(data((await ask('20.0.96.10.in-addr.arpa', 'PTR')).answers)).toEqual(['web.default.svc.cluster.local']);
    });

    it('CNAME of an ExternalName Service; chased when the target is in the zone', async () => {
      const ext = await ask('ext.other.svc.cluster.local', 'A');
      expect(ext.answers).toEqual([expect.objectContaining({ type: 'CNAME', data: 'example.com' })]);
      const alias = await ask('alias.other.svc.cluster.local', 'A');
      expect(alias.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : ''])).toEqual([
        ['CNAME', 'alias.other.svc.cluster.local', 'web.default.svc.cluster.local'],
        ['A', 'web.default.svc.cluster.local', '10.96.0.20'],
      ]);
    });

    it('TXT dns-version', async () => {
      expect(data((await ask('dns-version.cluster.local', 'TXT')).answers)).toEqual([[Buffer.from('1.1.0')]]);
    });

    it('pod A records (pods insecure)', async () => {
      expect(data((await ask('10-244-9-9.default.pod.cluster.local', 'A')).answers)).toEqual(['10.244.9.9']);
    });

    it('NXDOMAIN with the zone SOA in authority; NODATA for a name without that type', async () => {
      const missing = ['nope.default.svc.cluster.local', 'empty.default.svc.cluster.local', '300-1-1-1.default.pod.cluster.local'];
      for (const [name, type] of [...missing.map((n) => [n, 'A'] as const), ['nope.default.svc.cluster.local', 'AAAA'] as const]) {
        const r = await ask(name, type);
        expect(rcode(r)).toBe('NXDOMAIN');
        expect(r.answers).toEqual([]);
        expect(r.authorities).toEqual([expect.objectContaining({ type: 'SOA', name: 'cluster.local', data: expect.objectContaining({ mname: 'ns.dns.cluster.local' }) })]);
      }
      // The lab is IPv4-only: AAAA of a name that exists is NODATA (NOERROR, no answers, the SOA).
      for (const [name, type] of [['web.default.svc.cluster.local', 'AAAA'], ['db-0.db.default.svc.cluster.local', 'AAAA'], ['10-244-0-5.default.pod.cluster.local', 'AAAA'], ['default.svc.cluster.local', 'A']] as const) {
        const r = await ask(name, type);
        expect(rcode(r)).toBe('NOERROR');
        expect(r.answers).toEqual([]);
        expect(r.authorities?.map((a) => a.type)).toEqual(['SOA']);
      }
    });

    it('out-of-zone names without upstreams: SERVFAIL', async () => {
      const r = await ask('example.com', 'A');
      expect(rcode(r)).toBe('SERVFAIL');
      expect(r.questions?.[0].name).toBe('example.com');
    });

    it('forwards out-of-zone names to the upstream, with the client\'s ID', async () => {
      const q = query('www.example.com', 'A');
      const r = await (transport === 'udp' ? udpQuery : tcpQuery)(forwarding.port, q);
      expect(r.id).toBe(q.id);
      expect(data(r.answers)).toEqual(['192.0.2.53']);
      expect(r.flag_aa).toBe(false);
      // An ExternalName's out-of-zone target is resolved upstream and appended (spec 2.5's example).
      const ext = await (transport === 'udp' ? udpQuery : tcpQuery)(forwarding.port, query('ext.other.svc.cluster.local', 'A'));
      expect(ext.answers?.map((a) => [a.type, a.name, 'data' in a ? a.data : ''])).toEqual([
        ['CNAME', 'ext.other.svc.cluster.local', 'example.com'],
        ['A', 'example.com', '192.0.2.53'],
      ]);
      expect(ext.flag_aa).toBe(true);
      // Reverse names we do not hold fall through to the upstream too.
      expect(rcode(await (transport === 'udp' ? udpQuery : tcpQuery)(forwarding.port, query('9.9.9.9.in-addr.arpa', 'PTR')))).toBe('NOERROR');
    });
  });

  it('truncates a big UDP answer (no EDNS0: 512 bytes), the full answer comes over TCP', async () => {
    const udp = await udpQuery(server.port, query('big.default.svc.cluster.local', 'A'));
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    const tcp = await tcpQuery(server.port, query('big.default.svc.cluster.local', 'A'));
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(BIG);
  });

  it('EDNS0: echoes an OPT, honours the advertised UDP size (at least 512, at most 1232)', async () => {
    const big = await udpQuery(server.port, query('big.default.svc.cluster.local', 'A', { size: 4096 }));
    expect(big.flag_tc).toBe(false);
    expect(big.answers).toHaveLength(BIG);
    expect(big.additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232 })]);
    const small = await udpQuery(server.port, query('big.default.svc.cluster.local', 'A', { size: 100 }));
    expect(small.flag_tc).toBe(true);
    expect(small.additionals?.map((a) => a.type)).toEqual(['OPT']);
  });

  it('EDNS version 1: BADVERS (extended RCODE 1)', async () => {
    const r = await udpQuery(server.port, query('web.default.svc.cluster.local', 'A', { size: 1232, version: 1 }));
    expect(r.answers).toEqual([]);
    expect(r.additionals).toEqual([expect.objectContaining({ type: 'OPT', extendedRcode: 1 })]);
  });

  it('FORMERR for undecodable queries, nothing for runts and responses', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]);
    const r = dnsPacket.decode((await udpExchange(server.port, garbage))!);
    expect([r.id, rcode(r)]).toEqual([0x1234, 'FORMERR']);
    expect(await udpExchange(server.port, Buffer.from([1, 2, 3]), 300)).toBeNull();
    const response = dnsPacket.encode({ ...query('web.default.svc.cluster.local', 'A'), type: 'response' });
    expect(await udpExchange(server.port, response, 300)).toBeNull();
  });

  it('pipelined TCP queries on one connection', async () => {
    const answers = await tcpExchange(server.port, ['web', 'db', 'db-all'].map((s) => dnsPacket.encode(query(`${s}.default.svc.cluster.local`, 'A'))));
    expect(answers.map((a) => dnsPacket.decode(a).answers?.length).sort()).toEqual([1, 2, 3]);
  });

  it('slow TCP clients: a message must be whole within its deadline; one client holds a bounded number of connections', async () => {
    const slow = await DnsServer.start({ records: dnsRecords(), tcpMessageTimeoutMs: 300, maxTcpPerClient: 3 });
    try {
      const open = () => new Promise<net.Socket>((resolve) => { const c = net.connect(slow.port, '127.0.0.1', () => resolve(c)); c.on('error', () => {}); });
      const closed = (c: net.Socket) => new Promise<number>((resolve) => { const t0 = Date.now(); if (c.destroyed) resolve(0); c.on('close', () => resolve(Date.now() - t0)); });
      // A trickle: a length prefix and one byte, then silence (the idle timer alone would wait 10 s).
      const trickle = await open();
      trickle.write(Buffer.from([0, 40, 1]));
      expect(await closed(trickle)).toBeLessThan(2_000);
      // Three held connections are the cap for 127.0.0.1: a fourth is closed at once, while others still get answers.
      const held = await Promise.all([open(), open(), open()]);
      const fourth = await open();
      await closed(fourth);
      expect(fourth.destroyed).toBe(true);
      for (const c of held) c.destroy();
      await new Promise((r) => setTimeout(r, 50));
      const r = await tcpQuery(slow.port, query('web.default.svc.cluster.local', 'A'));
      expect(r.answers?.length).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('an upstream that never answers: SERVFAIL after the timeout', async () => {
    const silent = await fakeUpstream('192.0.2.1', true);
    const s = await DnsServer.start({ records: emptyRecordSet(), upstreams: [{ address: '127.0.0.1', port: silent.port }], forwardTimeoutMs: 200 });
    try {
      const t0 = Date.now();
      expect(rcode(await udpQuery(s.port, query('example.org', 'A')))).toBe('SERVFAIL');
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(silent.queries).toBe(1);
    } finally {
      await Promise.all([s.close(), silent.close()]);
    }
  });

  it('a repeated query is answered from the cache: same bytes but its own ID', async () => {
    const ask = (id: number) => udpExchange(server.port, dnsPacket.encode({ ...query('web.default.svc.cluster.local', 'A'), id }));
    const [a, b] = [await ask(0x1234), await ask(0xbeef)];
    expect(a!.readUInt16BE(0)).toBe(0x1234);
    expect(b!.readUInt16BE(0)).toBe(0xbeef);
    expect(b!.subarray(2)).toEqual(a!.subarray(2));
  });

  it('forwarded answers are never cached: each repeat goes upstream', async () => {
    const before = upstream.queries;
    for (let i = 0; i < 3; i++) expect(rcode(await udpQuery(forwarding.port, query('cache.example.org', 'A')))).toBe('NOERROR');
    expect(upstream.queries - before).toBe(3);
  });

  it('update() swaps the records at once', async () => {
    const s = await DnsServer.start({ records: emptyRecordSet() });
    try {
      expect(rcode(await udpQuery(s.port, query('web.default.svc.cluster.local', 'A')))).toBe('NXDOMAIN');
      s.update(dnsRecords());
      expect(data((await udpQuery(s.port, query('web.default.svc.cluster.local', 'A'))).answers)).toEqual(['10.96.0.20']);
    } finally {
      await s.close();
    }
  });
});
