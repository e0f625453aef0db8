/**
 * The network probes against the real built-in server on loopback: httpGet, tcpSocket and gRPC
 * health checking over h2c (one port speaks both HTTP/1 and HTTP/2), and failures.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNetCheck } from '../../src/lab/agent/health/net-checks.js';
import { serveHttp, type Served } from '../../src/servers/workload/serve.js';
import { grpcFrame, grpcHealthRequest, parseHealthResponse } from '../../src/servers/workload/grpc-health.js';

const id = { namespace: 'ns', pod: 'p', podIP: '127.0.0.1', node: 'n', container: 'c' };
let served: Served;
let port = 0;
const logged: string[] = [];

beforeAll(async () => {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as net.AddressInfo).port;
  served = serveHttp(listener, id, port, (l) => void logged.push(l));
});
afterAll(() => served.close());

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

describe('probes against the built-in server', () => {
  it('httpGet: 200 from any path, headers sent', async () => {
    const r = await runNetCheck({ kind: 'httpGet', path: '/_healthz', port, scheme: 'HTTP', headers: [{ name: 'Cookie', value: 'a=b' }] }, '127.0.0.1', 1000);
    expect(r).toEqual({ ok: true, message: 'HTTP 200' });
    expect(logged.join('')).toContain('/_healthz');
  });

  it('grpc: the same port answers Health/Check with SERVING', async () => {
    expect(await runNetCheck({ kind: 'grpc', port, service: 'shop' }, '127.0.0.1', 1000)).toEqual({ ok: true, message: 'SERVING' });
    expect(await runNetCheck({ kind: 'grpc', port }, '127.0.0.1', 1000)).toEqual({ ok: true, message: 'SERVING' });
  });

  it('grpc: an unknown method is UNIMPLEMENTED (grpc-status 12)', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc' });
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('trailers', resolve));
    req.end(grpcFrame(grpcHealthRequest('')));
    req.resume();
    expect((await trailers)['grpc-status']).toBe('12');
    session.destroy();
  });

  it('tcpSocket: connects to a listening port, fails on a closed one', async () => {
    expect((await runNetCheck({ kind: 'tcpSocket', port }, '127.0.0.1', 1000)).ok).toBe(true);
    const r = await runNetCheck({ kind: 'tcpSocket', port: await deadPort() }, '127.0.0.1', 1000);
    expect(r.ok).toBe(false);
    expect(r.message).toContain('ECONNREFUSED');
  });

  it('httpGet and grpc fail on a closed port; a probe host overrides the default', async () => {
    const dead = await deadPort();
    expect((await runNetCheck({ kind: 'httpGet', path: '/', port: dead, scheme: 'HTTP', headers: [] }, '127.0.0.1', 1000)).ok).toBe(false);
    expect((await runNetCheck({ kind: 'grpc', port: dead }, '127.0.0.1', 1000)).ok).toBe(false);
    expect((await runNetCheck({ kind: 'tcpSocket', port, host: '127.0.0.1' }, '192.0.2.1', 1000)).ok).toBe(true);
  });

  it('grpc against a plain HTTP/1 server fails instead of hanging', async () => {
    const plain = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const p = (plain.address() as net.AddressInfo).port;
    expect((await runNetCheck({ kind: 'grpc', port: p }, '127.0.0.1', 1000)).ok).toBe(false);
    plain.close();
  });
});

describe('gRPC wire helpers', () => {
  it('frames and parses HealthCheckResponse', () => {
    expect([...grpcFrame(Buffer.from([0x08, 0x01]))]).toEqual([0, 0, 0, 0, 2, 0x08, 0x01]);
    expect(parseHealthResponse(grpcFrame(Buffer.from([0x08, 0x01])))).toBe(1);
    expect(parseHealthResponse(grpcFrame(Buffer.from([0x08, 0x02])))).toBe(2);
    expect(parseHealthResponse(grpcFrame(Buffer.alloc(0)))).toBe(0);
    expect(parseHealthResponse(Buffer.from([0, 0, 0]))).toBeUndefined();
    expect([...grpcHealthRequest('ab')]).toEqual([0x0a, 2, 0x61, 0x62]);
  });
});
