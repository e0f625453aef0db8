/**
 * DNS message exchanges on the wire: one query to an upstream over UDP or a stream (TCP, or a
 * Unix socket with the same RFC 1035 4.2.2 two-byte length prefix), forwarding to a list of
 * upstreams in turn, and serving length-prefixed messages on a stream connection.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Transport } from './resolve.js';
import type { Upstream } from '../model/dns-upstream.js';

/** Where a stream exchange goes: a TCP address or a Unix socket path. */
export type StreamTarget = Upstream | { path: string };

/**
 * Something a query can be forwarded to: a DNS server (UDP or TCP as the client asked), or a
 * relay — the lab's forwarder, reached over Unix sockets in `dir` (one per transport, so the
 * forwarder asks its upstreams over the transport the client used).
 */
export type ForwardTarget = Upstream | { relay: string };

export const HEADER = 12;
export const MAX_MESSAGE = 65535;
const MAX_PIPELINED = 32;
const MAX_UNREAD = 1 << 20;

/** The relay's socket for one transport. */
export function relaySocket(dir: string, transport: Transport): string {
  return `${dir}/${transport}.sock`;
}

/**
 * Tries each target in turn with the query under a fresh ID, `timeoutMs` per attempt; returns the
 * first response carrying that ID, with the client's ID put back, or null when none answered.
 */
export async function forwardQuery(msg: Buffer, targets: readonly ForwardTarget[], transport: Transport, timeoutMs: number): Promise<Buffer | null> {
  for (const target of targets) {
    const query = Buffer.from(msg);
    const id = Math.floor(Math.random() * 0x10000);
    query.writeUInt16BE(id, 0);
    const reply = await ('relay' in target
      ? exchangeStream(query, { path: relaySocket(target.relay, transport) }, timeoutMs)
      : transport === 'udp'
        ? exchangeUdp(query, target, timeoutMs)
        : exchangeStream(query, target, timeoutMs)
    ).catch(() => null);
    if (reply && reply.length >= HEADER && reply.readUInt16BE(0) === id && reply.readUInt16BE(2) & 0x8000) {
      const out = Buffer.from(reply);
      out.writeUInt16BE(msg.readUInt16BE(0), 0);
      return out;
    }
  }
  return null;
}

/**
 * One exchange: settled by the first `done`, or with null after `timeoutMs`; the socket is
 * released exactly once either way.
 */
function exchange(timeoutMs: number, release: () => void, start: (done: (out: Buffer | null) => void) => void): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let finished = false;
    const done = (out: Buffer | null): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      release();
      resolve(out);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    start(done);
  });
}

export function exchangeUdp(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer | null> {
  const sock = dgram.createSocket(net.isIPv6(up.address) ? 'udp6' : 'udp4');
  return exchange(timeoutMs, () => sock.close(), (done) => {
    sock.on('error', () => done(null));
    sock.on('message', (reply, rinfo) => {
      // Only the upstream's own port, with our ID (checked by the caller too).
      if (rinfo.port === up.port && reply.length >= HEADER && reply.readUInt16BE(0) === query.readUInt16BE(0)) done(reply);
    });
    sock.send(query, up.port, up.address, (err) => err && done(null));
  });
}

export function exchangeStream(query: Buffer, target: StreamTarget, timeoutMs: number): Promise<Buffer | null> {
  const conn = 'path' in target ? net.connect({ path: target.path }) : net.connect({ host: target.address, port: target.port });
  let buf: Buffer = Buffer.alloc(0);
  return exchange(timeoutMs, () => conn.destroy(), (done) => {
    conn.on('error', () => done(null));
    conn.on('close', () => done(null));
    conn.on('connect', () => conn.write(framed(query)));
    conn.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 2 + MAX_MESSAGE) return done(null);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}

function framed(msg: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(msg.length);
  return Buffer.concat([prefix, msg]);
}

export interface StreamLimits {
  /** A connection with no traffic for this long is closed (RFC 7766 6.2.3). */
  idleTimeoutMs: number;
  /**
   * A message begun must be complete within this long, however slowly its bytes trickle in (a
   * byte every few seconds keeps the idle timer from firing: the slow-client exhaustion).
   */
  messageTimeoutMs?: number;
}

/**
 * Serves length-prefixed DNS messages on one connection (RFC 7766 pipelining): each complete
 * message goes to `handle`, its answer is written back in the order answers come. Bounded:
 * at most MAX_PIPELINED queries in flight, unread output at most MAX_UNREAD bytes, runts close
 * the connection.
 */
export function serveStream(conn: net.Socket, handle: (msg: Buffer) => Promise<Buffer | null>, limits: StreamLimits): void {
  conn.on('error', () => {});
  conn.setTimeout(limits.idleTimeoutMs, () => conn.destroy());
  let buf: Buffer = Buffer.alloc(0);
  let pending = 0;
  let deadline: NodeJS.Timeout | undefined;
  conn.on('close', () => clearTimeout(deadline));
  conn.on('data', (chunk: Buffer) => {
    if (buf.length === 0 && limits.messageTimeoutMs !== undefined) {
      clearTimeout(deadline);
      deadline = setTimeout(() => conn.destroy(), limits.messageTimeoutMs);
    }
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    // Whole messages are consumed as soon as they are complete, so buf stays below 2 + 65535 + one chunk.
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (len < HEADER) return void conn.destroy();
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      // A complete message: the next one's deadline starts with its first byte.
      clearTimeout(deadline);
      if (buf.length > 0 && limits.messageTimeoutMs !== undefined) deadline = setTimeout(() => conn.destroy(), limits.messageTimeoutMs);
      if (++pending > MAX_PIPELINED) return void conn.destroy();
      void handle(msg).then((out) => {
        pending--;
        if (!out || conn.destroyed || out.length > MAX_MESSAGE) return;
        conn.write(framed(out));
        // A client that sends but never reads must not make us buffer without end.
        if (conn.writableLength > MAX_UNREAD) conn.destroy();
      });
    }
  });
}
