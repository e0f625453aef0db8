/**
 * gRPC health checking (grpc.health.v1) for the built-in server, over h2c with prior knowledge:
 * a TCP connection whose first bytes are the HTTP/2 preface goes to a node:http2 server that
 * answers /grpc.health.v1.Health/Check with SERVING; anything else stays HTTP/1. Also the wire
 * helpers the probe client uses (length-prefixed messages, the two tiny protobuf messages).
 */
import http2 from 'node:http2';
import type net from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
/** HealthCheckResponse.ServingStatus.SERVING */
export const SERVING = 1;

/** A gRPC length-prefixed message: flag 0 (uncompressed), 4-byte big-endian length, bytes. */
export function grpcFrame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** HealthCheckRequest{service}: field 1, wire type 2 (omitted when empty, as proto3 does). */
export function grpcHealthRequest(service: string): Buffer {
  const s = Buffer.from(service);
  if (s.length === 0) return Buffer.alloc(0);
  if (s.length > 127) throw new Error('service name too long for this encoder');
  return Buffer.concat([Buffer.from([0x0a, s.length]), s]);
}

/** HealthCheckResponse{status}: field 1, varint (0x08 0x01 for SERVING). */
export function healthResponse(status: number): Buffer {
  return Buffer.from([0x08, status]);
}

/** The status in a framed HealthCheckResponse; 0 (UNKNOWN) when the field is absent; undefined if unreadable. */
export function parseHealthResponse(body: Buffer): number | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  if (msg.length !== len) return undefined;
  if (len === 0) return 0;
  return msg[0] === 0x08 && msg.length >= 2 && msg[1]! < 0x80 ? msg[1] : undefined;
}

/** An h2c server that answers health checks; other methods get grpc-status 12 (UNIMPLEMENTED). */
export function healthServer(log: (line: string) => void): http2.Http2Server {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path'] ?? '');
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      if (stream.destroyed) return;
      const known = path === HEALTH_CHECK_PATH;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(known ? { 'grpc-status': '0' } : { 'grpc-status': '12', 'grpc-message': `unknown method ${path}` }));
      stream.end(known ? grpcFrame(healthResponse(SERVING)) : undefined);
      log(`gRPC ${path} ${known ? 'SERVING' : 'UNIMPLEMENTED'}`);
    });
  });
  server.on('sessionError', () => {});
  return server;
}

/**
 * Reads the first bytes of `socket` and hands it to `onH2` when they are the HTTP/2 preface,
 * else to `onHttp1`, so that the server sees every byte: node:http2 reads what is unshifted back
 * into the socket; node:http's parser reads the socket's handle directly and would miss it, so
 * there the bytes are replayed as a 'data' event once the server listens to the socket.
 */
export function sniffPreface(socket: net.Socket, onH2: (s: net.Socket) => void, onHttp1: (s: net.Socket) => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const isPrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPrefix && seen.length < PREFACE.length) return; // wait for more
    socket.off('data', onData);
    if (isPrefix) {
      socket.pause();
      socket.unshift(seen);
      onH2(socket);
    } else {
      onHttp1(socket);
      socket.emit('data', seen);
    }
  };
  socket.on('data', onData);
}
