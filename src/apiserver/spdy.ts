/**
 * The server side of a SPDY/3.1 session (draft-mbelshe-httpbis-spdy-00), as much of it as
 * Kubernetes' streaming protocols use: the client opens streams (SYN_STREAM with a header block),
 * the server answers each (SYN_REPLY), both send DATA and half-close with FLAG_FIN, either may
 * reset a stream (RST_STREAM); PING is echoed, SETTINGS and WINDOW_UPDATE are read and ignored
 * (neither end of Kubernetes' streams does flow control), GOAWAY ends the session.
 *
 * "The entire contents of the name/value header block is compressed using zlib", one stream of
 * it per direction for the whole session, seeded with the dictionary below and flushed with
 * Z_SYNC_FLUSH after each block. zlib works asynchronously: frames received are handled one
 * after the other on a chain, and frames sent are written in the order they were asked for on
 * another (a SYN_REPLY whose block is being compressed is never overtaken by DATA of its stream).
 */
import zlib from 'node:zlib';

/** SPDY/3's zlib dictionary (section 2.6.10.1): length-prefixed words, then a run of common text. */
export const SPDY_DICTIONARY: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
    'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
    'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
    'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
    'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
    'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
    'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
    'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
    '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
    'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
    'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
    'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts = words.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  });
  return Buffer.concat([...parts, Buffer.from(tail, 'latin1')]);
})();

const VERSION = 3;
export const FLAG_FIN = 0x01;
const TYPE = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
/** RST_STREAM status codes used here. */
export const RST = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;
/** Largest DATA payload sent at once (the frame allows 16 MiB; small frames keep streams interleaved). */
const MAX_DATA = 32 * 1024;
/** A header block larger than this (inflated) ends the session: Kubernetes' have a few short headers. */
const MAX_HEADER_BYTES = 64 * 1024;
/** A frame larger than this ends the session. */
const MAX_FRAME = 1 << 24;

export type Headers = Record<string, string>;

export interface SpdyHandlers {
  /** The client opened a stream; `fin`: it will send nothing on it. */
  stream(id: number, headers: Headers, fin: boolean): void;
  data(id: number, data: Buffer, fin: boolean): void;
  reset(id: number, status: number): void;
  /** The session is over (GOAWAY, a protocol error, or the transport closed). */
  end(why: string): void;
}

/** Writes `block` to a zlib stream kept open for the session and reads what one sync flush gives. */
function flushThrough(z: zlib.Inflate | zlib.Deflate, block: Buffer, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    z.once('error', onError);
    z.write(block);
    // Paused mode: the output of this write is buffered in the stream by the time the flush's
    // callback runs (zlib pushes before it calls back), and read() takes it.
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('error', onError);
      const chunks: Buffer[] = [];
      let size = 0;
      for (let c = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) {
        chunks.push(c);
        size += c.length;
        if (size > limit) return reject(new Error('header block too large'));
      }
      resolve(Buffer.concat(chunks));
    });
  });
}

export class SpdySession {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly inflater = zlib.createInflate({ dictionary: SPDY_DICTIONARY });
  private readonly deflater = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  private ended = false;
  private lastStream = 0;
  private inChain: Promise<void> = Promise.resolve();
  private outChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly on: SpdyHandlers,
  ) {}

  /** Bytes from the client, in any pieces. */
  receive(chunk: Buffer): void {
    if (this.ended) return;
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (!this.ended && this.buffered.length >= 8) {
      const length = this.buffered.readUIntBE(5, 3);
      if (length >= MAX_FRAME) return this.fail('frame too large');
      if (this.buffered.length < 8 + length) return;
      const frame = this.buffered.subarray(0, 8 + length);
      this.buffered = this.buffered.subarray(8 + length);
      this.inChain = this.inChain.then(() => this.frame(frame)).catch((e: Error) => this.fail(e.message));
    }
  }

  /** The transport closed. */
  close(why = 'connection closed'): void {
    if (this.ended) return;
    this.ended = true;
    this.inflater.close();
    this.deflater.close();
    this.on.end(why);
  }

  /** Writes what `build` makes after everything asked for before it. */
  private send(build: () => Buffer | Promise<Buffer>): void {
    this.outChain = this.outChain
      .then(async () => {
        if (this.ended) return;
        const bytes = await build();
        if (!this.ended) this.write(bytes);
      })
      .catch((e: Error) => this.fail(e.message));
  }

  reply(id: number, headers: Headers = {}, fin = false): void {
    this.send(async () => {
      const block = await flushThrough(this.deflater, headerBlock(headers), MAX_HEADER_BYTES);
      const body = Buffer.alloc(4);
      body.writeUInt32BE(id & 0x7fffffff, 0);
      return controlFrame(TYPE.SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([body, block]));
    });
  }

  /** DATA on stream `id` (split into frames); `fin` half-closes the stream after it. */
  data(id: number, data: Buffer, fin = false): void {
    if (this.ended) return;
    let at = 0;
    do {
      const piece = data.subarray(at, at + MAX_DATA);
      at += piece.length;
      const head = Buffer.alloc(8);
      head.writeUInt32BE(id & 0x7fffffff, 0);
      head.writeUInt8(fin && at >= data.length ? FLAG_FIN : 0, 4);
      head.writeUIntBE(piece.length, 5, 3);
      this.send(() => Buffer.concat([head, piece]));
    } while (at < data.length);
  }

  resetStream(id: number, status: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(status, 4);
    this.control(TYPE.RST_STREAM, 0, body);
  }

  goAway(status = 0): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(this.lastStream, 0);
    body.writeUInt32BE(status, 4);
    this.control(TYPE.GOAWAY, 0, body);
  }

  private async frame(f: Buffer): Promise<void> {
    if (this.ended) return;
    const flags = f[4]!;
    const body = f.subarray(8);
    if ((f[0]! & 0x80) === 0) return this.on.data(f.readUInt32BE(0) & 0x7fffffff, body, (flags & FLAG_FIN) !== 0);
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) return this.fail(`SPDY version ${version} is not supported (3 only)`);
    const type = f.readUInt16BE(2);
    switch (type) {
      case TYPE.SYN_STREAM: {
        if (body.length < 10) return this.fail('short SYN_STREAM');
        const id = body.readUInt32BE(0) & 0x7fffffff;
        // Inflated even for a stream refused: the client's compressor went on with this block.
        const headers = parseHeaderBlock(await flushThrough(this.inflater, body.subarray(10), MAX_HEADER_BYTES));
        if (id === 0 || id % 2 === 0 || id <= this.lastStream) return this.resetStream(id, RST.PROTOCOL_ERROR);
        this.lastStream = id;
        return this.on.stream(id, headers, (flags & FLAG_FIN) !== 0);
      }
      case TYPE.HEADERS:
        if (body.length >= 4) await flushThrough(this.inflater, body.subarray(4), MAX_HEADER_BYTES); // kept in step with the client's compressor
        return;
      case TYPE.RST_STREAM:
        if (body.length < 8) return this.fail('short RST_STREAM');
        return this.on.reset(body.readUInt32BE(0) & 0x7fffffff, body.readUInt32BE(4));
      case TYPE.PING:
        return this.control(TYPE.PING, 0, body.subarray(0, 4));
      case TYPE.GOAWAY:
        return this.close('the client went away (GOAWAY)');
      case TYPE.SYN_REPLY:
        return this.fail('SYN_REPLY from the client: the server opens no streams');
      default:
        return; // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do
    }
  }

  private control(type: number, flags: number, body: Buffer): void {
    this.send(() => controlFrame(type, flags, body));
  }

  private fail(why: string): void {
    if (this.ended) return;
    const body = Buffer.alloc(8);
    body.writeUInt32BE(this.lastStream, 0);
    body.writeUInt32BE(1, 4); // PROTOCOL_ERROR
    this.write(controlFrame(TYPE.GOAWAY, 0, body));
    this.close(`SPDY protocol error: ${why}`);
  }
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt8(flags, 4);
  head.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([head, body]);
}

/** An inflated name/value block: count, then length-prefixed names and values (32-bit). */
export function parseHeaderBlock(raw: Buffer): Headers {
  const out: Headers = {};
  let at = 0;
  const take = (): string => {
    if (at + 4 > raw.length) throw new Error('truncated header block');
    const n = raw.readUInt32BE(at);
    at += 4;
    if (at + n > raw.length) throw new Error('truncated header block');
    const s = raw.subarray(at, at + n).toString('utf8');
    at += n;
    return s;
  };
  if (raw.length < 4) throw new Error('truncated header block');
  const count = raw.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take();
    out[name.toLowerCase()] = take();
  }
  return out;
}

export function headerBlock(headers: Headers): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(entries.length, 0);
  for (const [k, v] of entries) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}
