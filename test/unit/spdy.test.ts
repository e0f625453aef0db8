/**
 * The SPDY/3.1 server session (src/apiserver/spdy.ts) against a client made here frame by frame:
 * header blocks compressed across frames with one zlib stream per direction and the SPDY/3
 * dictionary, SYN_REPLY before the DATA of its stream, FIN, PING echoed, RST_STREAM, GOAWAY,
 * and a protocol error ending the session. kubectl itself is the check in
 * test/integration/apiserver-port-forward.test.ts.
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { headerBlock, parseHeaderBlock, SPDY_DICTIONARY, SpdySession } from '../../src/apiserver/spdy.js';

const flushed = (z: zlib.Deflate | zlib.Inflate, b: Buffer) =>
  new Promise<Buffer>((resolve) => {
    z.write(b);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const c: Buffer[] = [];
      for (let x = z.read() as Buffer | null; x !== null; x = z.read() as Buffer | null) c.push(x);
      resolve(Buffer.concat(c));
    });
  });

function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt8(flags, 4);
  h.writeUIntBE(body.length, 5, 3);
  return Buffer.concat([h, body]);
}
function data(id: number, payload: string, fin = false): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id, 0);
  h.writeUInt8(fin ? 1 : 0, 4);
  h.writeUIntBE(Buffer.byteLength(payload), 5, 3);
  return Buffer.concat([h, Buffer.from(payload)]);
}
const u32 = (...n: number[]) => Buffer.concat(n.map((v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v, 0); return b; }));
const settle = () => new Promise((r) => setTimeout(r, 50));

/** A client: its own compressor, the frames the server wrote, and what the server heard. */
function pair() {
  const deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  const written: Buffer[] = [];
  const heard: string[] = [];
  const session: SpdySession = new SpdySession((b) => written.push(b), {
    stream: (id, h, fin) => heard.push(`stream ${id} ${JSON.stringify(h)}${fin ? ' fin' : ''}`),
    data: (id, b, fin) => heard.push(`data ${id} ${b.toString()}${fin ? ' fin' : ''}`),
    reset: (id, status) => heard.push(`reset ${id} ${status}`),
    end: (why) => heard.push(`end ${why}`),
  });
  const synStream = async (id: number, h: Record<string, string>, flags = 0) => control(1, flags, Buffer.concat([u32(id, 0), Buffer.from([0, 0]), await flushed(deflate, headerBlock(h))]));
  return { session, written, heard, synStream };
}

describe('SPDY/3.1 session (server side)', () => {
  it('the dictionary is SPDY/3\'s: 1423 bytes, from "options" to "enq=0."', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    expect(SPDY_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'));
    expect(SPDY_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });

  it('header blocks round-trip; names are lower case', () => {
    expect(parseHeaderBlock(headerBlock({ StreamType: 'error', port: '8080' }))).toEqual({ streamtype: 'error', port: '8080' });
    expect(() => parseHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9]))).toThrow(/truncated/);
  });

  it('streams opened in one compressed context, data in order, even split into pieces of any size', async () => {
    const c = pair();
    const bytes = Buffer.concat([
      await c.synStream(1, { streamtype: 'error', port: '80', requestid: '0' }),
      await c.synStream(3, { streamtype: 'data', port: '80', requestid: '0' }),
      data(3, 'GET / HTTP/1.1\r\n'),
      data(3, '\r\n', true),
    ]);
    for (let at = 0; at < bytes.length; at += 7) c.session.receive(bytes.subarray(at, at + 7));
    await settle();
    expect(c.heard).toEqual([
      'stream 1 {"streamtype":"error","port":"80","requestid":"0"}',
      'stream 3 {"streamtype":"data","port":"80","requestid":"0"}',
      'data 3 GET / HTTP/1.1\r\n',
      'data 3 \r\n fin',
    ]);
  });

  it('a SYN_REPLY (its block compressed in the session\'s context) precedes the DATA sent after it', async () => {
    const c = pair();
    for (const id of [1, 3]) {
      c.session.reply(id);
      c.session.data(id, Buffer.from(`to ${id}`), true);
    }
    await settle();
    expect(c.written.map((f) => ((f[0]! & 0x80) !== 0 ? `ctl ${f.readUInt16BE(2)} stream ${f.readUInt32BE(8)}` : `data ${f.readUInt32BE(0)} ${f.subarray(8).toString()} flags ${f[4]}`))).toEqual([
      'ctl 2 stream 1', 'data 1 to 1 flags 1', 'ctl 2 stream 3', 'data 3 to 3 flags 1',
    ]);
    const inflate = zlib.createInflate({ dictionary: SPDY_DICTIONARY });
    for (const f of c.written.filter((f) => (f[0]! & 0x80) !== 0)) expect(parseHeaderBlock(await flushed(inflate, f.subarray(12)))).toEqual({});
  });

  it('a stream id that is not new is refused (RST_STREAM), and its header block still read: the next stream\'s decompresses', async () => {
    const c = pair();
    c.session.receive(await c.synStream(3, { streamtype: 'data', port: '1', requestid: '0' }));
    c.session.receive(await c.synStream(1, { streamtype: 'error', port: '1', requestid: '0' }));
    c.session.receive(await c.synStream(5, { streamtype: 'error', port: '2', requestid: '1' }));
    await settle();
    expect(c.heard).toEqual(['stream 3 {"streamtype":"data","port":"1","requestid":"0"}', 'stream 5 {"streamtype":"error","port":"2","requestid":"1"}']);
    expect(c.written).toEqual([control(3, 0, u32(1, 1))]);
  });

  it('PING is echoed; RST_STREAM reaches the handler; GOAWAY ends the session', async () => {
    const c = pair();
    c.session.receive(control(6, 0, u32(7)));
    c.session.receive(control(3, 0, u32(5, 5)));
    c.session.receive(control(7, 0, u32(0, 0)));
    await settle();
    expect(c.written).toEqual([control(6, 0, u32(7))]);
    expect(c.heard).toEqual(['reset 5 5', 'end the client went away (GOAWAY)']);
  });

  it('a protocol error (SPDY/2, a bad header block) is a GOAWAY and the end', async () => {
    const v2 = pair();
    const frame = control(4, 0, u32(0));
    frame.writeUInt16BE(0x8002, 0);
    v2.session.receive(frame);
    await settle();
    expect(v2.heard).toEqual(['end SPDY protocol error: SPDY version 2 is not supported (3 only)']);
    expect(v2.written[0]!.readUInt16BE(2)).toBe(7);
    const junk = pair();
    junk.session.receive(control(1, 0, Buffer.concat([u32(1, 0), Buffer.from([0, 0]), Buffer.from('not zlib')])));
    await settle();
    expect(junk.heard[0]).toMatch(/^end SPDY protocol error/);
  });
});
