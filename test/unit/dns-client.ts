/** Tiny DNS client and fake upstream for the server tests: loopback only. */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from 'dns-packet';

let nextId = 1;

export function query(name: string, type: RecordType | 'ANY', edns?: { size: number; version?: number }): Packet {
  return {
    type: 'query',
    id: nextId++ & 0xffff,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
    additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: edns.size, extendedRcode: 0, ednsVersion: edns.version ?? 0, flags: 0, flag_do: false, options: [] }] : [],
  };
}

export function udpExchange(port: number, msg: Buffer, timeoutMs = 2000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(null), timeoutMs);
    function finish(out: Buffer | null): void {
      clearTimeout(timer);
      sock.close();
      resolve(out);
    }
    sock.on('message', (m) => finish(m));
    sock.send(msg, port, '127.0.0.1');
  });
}

export async function udpQuery(port: number, p: Packet): Promise<DecodedPacket> {
  const out = await udpExchange(port, dnsPacket.encode(p));
  if (!out) throw new Error('no UDP answer');
  return dnsPacket.decode(out);
}

/** Sends the messages on one connection (pipelined) and returns as many answers. */
export function tcpExchange(port: number, msgs: Buffer[], timeoutMs = 2000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const conn = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    const timer = setTimeout(() => (conn.destroy(), reject(new Error(`TCP timeout after ${out.length} answers`))), timeoutMs);
    conn.on('error', reject);
    conn.on('connect', () => conn.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])))));
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        clearTimeout(timer);
        conn.end();
        resolve(out);
      }
    });
  });
}

export async function tcpQuery(port: number, p: Packet): Promise<DecodedPacket> {
  const [out] = await tcpExchange(port, [dnsPacket.encode(p)]);
  return dnsPacket.decode(out);
}

/**
 * An upstream on 127.0.0.1 (UDP and TCP, one port) answering every A question with `ip` (other
 * types: NOERROR, no answers); `silent`: never answers — always, or for the names it matches.
 * `names` and `transports` record every query, in order.
 */
export async function fakeUpstream(ip: string, silent: boolean | ((name: string) => boolean) = false): Promise<{ port: number; queries: number; names: string[]; transports: ('udp' | 'tcp')[]; close: () => Promise<void> }> {
  const state = { port: 0, queries: 0, names: [] as string[], transports: [] as ('udp' | 'tcp')[], close: async () => {} };
  /** The answer, or null to stay silent. */
  const answer = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | null => {
    state.queries++;
    state.transports.push(transport);
    const q = dnsPacket.decode(msg);
    const questions = q.questions ?? [];
    state.names.push(...questions.map((x) => x.name));
    if (silent === true || (typeof silent === 'function' && questions.some((x) => silent(x.name)))) return null;
    return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions, answers: questions.filter((x) => x.type === 'A').map((x) => ({ type: 'A', name: x.name, ttl: 60, class: 'IN', data: ip })) });
  };
  const tcp = net.createServer((conn) => {
    conn.on('error', () => {});
    conn.on('data', (d) => {
      const out = answer(d.subarray(2, 2 + d.readUInt16BE(0)), 'tcp');
      if (out) conn.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]));
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  state.port = (tcp.address() as net.AddressInfo).port;
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(state.port, '127.0.0.1', () => r()));
  udp.on('message', (m, rinfo) => {
    const out = answer(m, 'udp');
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  state.close = async () => {
    await Promise.all([new Promise((r) => udp.close(() => r(undefined))), new Promise((r) => tcp.close(() => r(undefined)))]);
  };
  return state;
}
