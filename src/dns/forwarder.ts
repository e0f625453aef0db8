/**
 * The lab's DNS forwarder: the path from cluster DNS to resolvers outside the lab. A lab's
 * namespaces are sealed off (no default route, no route back from the host to pod addresses), so
 * the coredns pods cannot reach the host's resolvers themselves. This runs in the host's (root)
 * network namespace and listens on two Unix stream sockets in the lab's state directory — the
 * filesystem is shared by every namespace, so no address, route or port is added anywhere:
 *
 *   <dir>/udp.sock   queries relayed to the upstreams over UDP
 *   <dir>/tcp.sock   queries relayed over TCP
 *
 * Messages are framed as on DNS over TCP (two-byte length). Each query goes to the upstreams in
 * turn with a timeout per attempt; when none answers, the forwarder answers SERVFAIL itself.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { forwardQuery, HEADER, MAX_MESSAGE, relaySocket, serveStream } from './exchange.js';
import { errorResponse, RCODE, type Transport } from './resolve.js';
import type { Upstream } from '../model/dns-upstream.js';

/** The directory of the lab's forwarder (sockets and log) in its state directory. */
export function forwarderDir(stateDir: string): string {
  return `${stateDir}/dns`;
}

/** Per upstream attempt. */
export const FORWARD_TIMEOUT_MS = 2000;

export interface DnsForwarderOptions {
  /** The directory holding udp.sock and tcp.sock. */
  dir: string;
  upstreams: readonly Upstream[];
  timeoutMs?: number;
  /** Queries in flight at most; beyond it queries get SERVFAIL at once. */
  maxInFlight?: number;
}

/** How long a client of the forwarder (the DNS server) must wait at most for its answer. */
export function forwarderDeadlineMs(upstreams: number, timeoutMs = FORWARD_TIMEOUT_MS): number {
  return Math.max(1, upstreams) * timeoutMs + 1000;
}

export class DnsForwarder {
  private inFlight = 0;
  private readonly conns = new Set<net.Socket>();

  private constructor(
    private readonly options: DnsForwarderOptions,
    private readonly servers: net.Server[],
  ) {}

  static async start(options: DnsForwarderOptions): Promise<DnsForwarder> {
    const servers: net.Server[] = [];
    const forwarder = new DnsForwarder(options, servers);
    for (const transport of ['udp', 'tcp'] as const) {
      const path = relaySocket(options.dir, transport);
      rmSync(path, { force: true }); // left by a forwarder that was killed
      const server = net.createServer((conn) => forwarder.serve(conn, transport));
      server.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ path }, () => resolve());
      });
      servers.push(server);
    }
    return forwarder;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }

  private serve(conn: net.Socket, transport: Transport): void {
    if (this.conns.size >= 256) return void conn.destroy();
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    serveStream(conn, (msg) => this.relay(msg, transport), { idleTimeoutMs: 30_000 });
  }

  /** One query in, one answer out (the upstream's, or SERVFAIL); responses are never relayed. */
  private async relay(msg: Buffer, transport: Transport): Promise<Buffer | null> {
    if (msg.length < HEADER || msg.length > MAX_MESSAGE || msg.readUInt16BE(2) & 0x8000) return null;
    let reply: Buffer | null = null;
    if (this.inFlight < (this.options.maxInFlight ?? 1024)) {
      this.inFlight++;
      try {
        reply = await forwardQuery(msg, this.options.upstreams, transport, this.options.timeoutMs ?? FORWARD_TIMEOUT_MS);
      } finally {
        this.inFlight--;
      }
    }
    return reply ?? servfail(msg);
  }
}

/** SERVFAIL for a query, with its question when it has one we can decode. */
export function servfail(msg: Buffer): Buffer {
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const bare = errorResponse(id, RCODE.SERVFAIL, flags);
  try {
    return dnsPacket.encode({ ...bare, questions: dnsPacket.decode(msg).questions ?? [] });
  } catch {
    return dnsPacket.encode(bare);
  }
}
