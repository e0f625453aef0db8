/**
 * The cluster DNS server: UDP and TCP (RFC 1035 4.2.2 length-prefixed messages, RFC 7766
 * pipelining) on one address and port, answering from a RecordSet and forwarding other names to
 * upstream resolvers. Hostile input never throws out of a handler: undecodable queries get a
 * header-only FORMERR (or nothing, if they are not even queries), TCP connections have an idle
 * timeout, a bounded buffer and a bound on queries in flight.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet, type RecordType } from 'dns-packet';
import { forwardQuery, HEADER, MAX_MESSAGE, serveStream, type ForwardTarget } from './exchange.js';
import type { RecordSet } from './records.js';
import { errorResponse, fit, RCODE, resolveQuery, type Transport } from './resolve.js';

export type { Upstream } from '../model/dns-upstream.js';

export interface DnsServerOptions {
  address?: string;
  /** 0: any free port (the same one for UDP and TCP). */
  port?: number;
  records: RecordSet;
  /** Tried in order; a relay is the lab's forwarder (see forwarder.ts). */
  upstreams?: readonly ForwardTarget[];
  /** Per upstream attempt (default 2000 ms). */
  forwardTimeoutMs?: number;
  /** A TCP connection with no traffic for this long is closed (default 10 s, RFC 7766 6.2.3). */
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
  /** TCP connections one client address may hold at once (default 16): one pod cannot take them all. */
  maxTcpPerClient?: number;
  /** A TCP message begun must be whole within this long (default 5 s). */
  tcpMessageTimeoutMs?: number;
  /** Forwarded queries in flight at most; beyond it queries get SERVFAIL at once. */
  maxForwards?: number;
}

/** Answers kept per distinct query (its bytes after the ID): resolution is pure for local names. */
const CACHE_ENTRIES = 10_000;
const CACHE_MAX_QUERY = 512;

export class DnsServer {
  private records: RecordSet;
  private forwards = 0;
  /**
   * transport + query bytes after the ID → encoded answer. Only local answers (never forwarded
   * or chased ones) go in; `update()` empties it, so a cached answer is exactly what resolving
   * again would give, apart from the ID.
   */
  private cache = new Map<string, Buffer>();
  private readonly conns = new Set<net.Socket>();
  private readonly perClient = new Map<string, number>();

  private constructor(
    private readonly options: DnsServerOptions,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
  ) {
    this.records = options.records;
  }

  /** Binds TCP, then UDP on the same port (retrying with a new port when 0 was asked for). */
  static async start(options: DnsServerOptions): Promise<DnsServer> {
    const address = options.address ?? '127.0.0.1';
    for (let attempt = 0; ; attempt++) {
      const tcp = net.createServer();
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: options.port ?? 0 }, () => resolve());
      });
      const port = (tcp.address() as net.AddressInfo).port;
      const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, address, () => resolve());
        });
      } catch (err) {
        udp.close();
        await new Promise((r) => tcp.close(r));
        if ((options.port ?? 0) !== 0 || attempt >= 5) throw err;
        continue;
      }
      const server = new DnsServer(options, udp, tcp);
      server.listen();
      return server;
    }
  }

  get port(): number {
    return (this.tcp.address() as net.AddressInfo).port;
  }

  /** Swaps the records: queries from now on see the new set, whole (no partial state). */
  update(records: RecordSet): void {
    this.records = records;
    this.cache = new Map();
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([new Promise((r) => this.udp.close(() => r(undefined))), new Promise((r) => this.tcp.close(() => r(undefined)))]);
  }

  private listen(): void {
    this.udp.on('error', () => {});
    this.udp.on('message', (msg, rinfo) => {
      const hit = this.fromCache(msg, 'udp');
      if (hit) return void this.udp.send(hit, rinfo.port, rinfo.address, () => {});
      void this.handle(msg, 'udp').then((out) => {
        if (out) this.udp.send(out, rinfo.port, rinfo.address, () => {});
      });
    });
    this.tcp.on('error', () => {});
    this.tcp.on('connection', (conn) => this.serveTcp(conn));
  }

  private serveTcp(conn: net.Socket): void {
    const client = conn.remoteAddress ?? '';
    const held = this.perClient.get(client) ?? 0;
    if (this.conns.size >= (this.options.maxTcpConnections ?? 256) || held >= (this.options.maxTcpPerClient ?? 16)) return void conn.destroy();
    this.conns.add(conn);
    this.perClient.set(client, held + 1);
    conn.on('close', () => {
      this.conns.delete(conn);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    });
    serveStream(conn, (msg) => this.handle(msg, 'tcp'), { idleTimeoutMs: this.options.tcpIdleTimeoutMs ?? 10_000, messageTimeoutMs: this.options.tcpMessageTimeoutMs ?? 5_000 });
  }

  private cacheKey(msg: Buffer, transport: Transport): string | null {
    return msg.length >= HEADER && msg.length <= CACHE_MAX_QUERY ? `${transport}${msg.toString('latin1', 2)}` : null;
  }

  /** The cached answer for this query with the query's ID, or null. */
  private fromCache(msg: Buffer, transport: Transport): Buffer | null {
    const key = this.cacheKey(msg, transport);
    const cached = key === null ? undefined : this.cache.get(key);
    if (!cached) return null;
    const out = Buffer.from(cached);
    out.writeUInt16BE(msg.readUInt16BE(0), 0);
    return out;
  }

  private remember(msg: Buffer, transport: Transport, answer: Buffer | null): Buffer | null {
    const key = this.cacheKey(msg, transport);
    if (answer && key !== null) {
      if (this.cache.size >= CACHE_ENTRIES) this.cache.clear();
      this.cache.set(key, answer);
    }
    return answer;
  }

  /** One message in, at most one message out; never throws. */
  private async handle(msg: Buffer, transport: Transport): Promise<Buffer | null> {
    if (msg.length < HEADER || msg.length > MAX_MESSAGE) return null;
    const hit = this.fromCache(msg, transport);
    if (hit) return hit;
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    if (flags & 0x8000) return null; // a response: never answer those (no reflection loops)
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return safeEncode(errorResponse(id, RCODE.FORMERR, flags));
    }
    try {
      const res = resolveQuery(query, this.records, transport);
      if (res.kind === 'drop') return null;
      if (res.kind === 'answer') {
        if (!res.chase) return this.remember(msg, transport, safeEncode(res.response)) ?? safeEncode(errorResponse(id, RCODE.SERVFAIL, flags));
        const response = await this.chase(res.response, res.chase, res.limit ?? 512, transport);
        return safeEncode(response) ?? safeEncode(errorResponse(id, RCODE.SERVFAIL, flags));
      }
      const upstreamAnswer = await this.forward(msg, transport);
      if (upstreamAnswer) return upstreamAnswer;
      return safeEncode({ ...errorResponse(id, RCODE.SERVFAIL, flags), questions: query.questions }) ?? safeEncode(errorResponse(id, RCODE.SERVFAIL, flags));
    } catch {
      return safeEncode(errorResponse(id, RCODE.SERVFAIL, flags));
    }
  }

  /** Appends the upstream's answer for a CNAME target outside the zone; the CNAME alone if none comes. */
  private async chase(response: Packet, target: { name: string; type: string }, limit: number, transport: Transport): Promise<Packet> {
    const q = safeEncode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: target.name, type: target.type as RecordType, class: 'IN' }] });
    const reply = q && (await this.forward(q, transport));
    if (!reply) return response;
    try {
      const upstream = dnsPacket.decode(reply);
      if ((upstream.flags ?? 0) & 0xf) return response;
      return fit({ ...response, answers: [...(response.answers ?? []), ...(upstream.answers ?? [])] }, limit);
    } catch {
      return response;
    }
  }

  /** Forwards to the upstreams in turn (see forwardQuery), within the bound on forwards in flight. */
  private async forward(msg: Buffer, transport: Transport): Promise<Buffer | null> {
    const upstreams = this.options.upstreams ?? [];
    if (upstreams.length === 0 || this.forwards >= (this.options.maxForwards ?? 1024)) return null;
    this.forwards++;
    try {
      return await forwardQuery(msg, upstreams, transport, this.options.forwardTimeoutMs ?? 2000);
    } finally {
      this.forwards--;
    }
  }
}

function safeEncode(p: Packet): Buffer | null {
  try {
    return dnsPacket.encode(p);
  } catch {
    return null;
  }
}
