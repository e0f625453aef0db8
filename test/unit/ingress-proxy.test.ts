/**
 * podnet's ingress server against real loopback backends, spoken to with raw sockets where the
 * bytes matter: routing, forwarded and hop-by-hop headers, streamed bodies both ways, keep-alive
 * reuse, 502/503/504/404, ambiguous framing refused before anything reaches a backend,
 * WebSocket through the proxy, and the certificate chosen by SNI.
 */
import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSigned, type KeyPair } from '../../src/ingress/certs.js';
import { buildRouteTable } from '../../src/ingress/routes.js';
import { IngressServer } from '../../src/ingress/server.js';
import { buildTlsTable } from '../../src/ingress/tls-hosts.js';
import type { ServiceEntry } from '../../src/model/service-table.js';
import { readObjects } from './fixtures.js';

const ws = createRequire(import.meta.url)('../fixtures/ingress/ws-echo.cjs') as {
  accept(key: string): string;
  encodeFrame(opcode: number, payload: string, masked: boolean): Buffer;
  decodeFrames(buf: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer };
  serve(port: number, host: string): http.Server;
};

interface Seen {
  method: string;
  url: string;
  raw: string[];
  body: string;
  remotePort: number;
}

/** The backend: records every request; /stream waits for /release before its second chunk. */
function startBackend(): Promise<{ server: http.Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  let release: () => void = () => undefined;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', raw: req.rawHeaders, body, remotePort: req.socket.remotePort ?? 0 });
      if (req.url === '/never') return; // no answer at all
      if (req.url === '/release') {
        release();
        return void res.end('released');
      }
      if (req.url === '/break') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('only ten b');
        setImmediate(() => res.socket?.destroy());
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        release = () => res.end('second');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive, x-hop', 'x-hop': 'secret', 'keep-alive': 'timeout=5' });
      res.end(JSON.stringify({ url: req.url, body }));
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as net.AddressInfo).port, seen })));
}

function entry(name: string, ports: number[]): ServiceEntry {
  return {
    key: `web/${name}`,
    type: 'ClusterIP',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, endpoints: ports.map((port) => ({ ip: '127.0.0.1', port, node: 'n', ready: true, serving: true, terminating: false })) }],
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
  };
}

/** A free loopback port with nothing listening on it (for 502). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Writes raw bytes, returns everything read until the server closes (or 3 s pass). */
function rawExchange(port: number, text: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let out = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: out, closed: false });
    }, 3000);
    s.setEncoding('utf8').on('data', (d: string) => (out += d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ text: out, closed: true });
    });
    s.on('error', () => undefined);
  });
}

function get(port: number, path: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { host: 'shop.test', ...headers }, agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

const backend = (name: string, port = 80) => ({ service: { name, port: { number: port } } });
const rule = (path: string, svc: string) => ({ path, pathType: 'Prefix', backend: backend(svc) });

let be: Awaited<ReturnType<typeof startBackend>>;
let wsServer: http.Server;
let server: IngressServer;
let ports: { http: number; https: number };
let certs: Record<'default' | 'a' | 'b', KeyPair>;

beforeAll(async () => {
  be = await startBackend();
  wsServer = ws.serve(0, '127.0.0.1');
  await new Promise((r) => wsServer.once('listening', r));
  const wsPort = (wsServer.address() as net.AddressInfo).port;
  certs = { default: selfSigned(), a: selfSigned('a.test'), b: selfSigned('b.test') };
  const secret = (name: string, pair: KeyPair) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'web' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': pair.cert, 'tls.key': pair.key } });
  const cluster = readObjects([
    secret('tls-a', certs.a),
    secret('tls-b', certs.b),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: 'web' },
      spec: {
        tls: [{ hosts: ['a.test'], secretName: 'tls-a' }, { hosts: ['b.test'], secretName: 'tls-b' }],
        rules: [{ host: 'shop.test', http: { paths: [rule('/', 'app'), rule('/ws', 'ws'), rule('/down', 'down'), rule('/empty', 'empty'), rule('/gone', 'gone')] } }],
      },
    },
  ]);
  const services = { services: [entry('app', [be.port]), entry('ws', [wsPort]), entry('down', [await closedPort()]), entry('empty', [])] };
  server = new IngressServer({ address: '127.0.0.1', httpPort: 0, httpsPort: 0, timeouts: { connectMs: 2000, readMs: 400 }, defaultCert: certs.default, log: () => undefined });
  expect(server.update(buildRouteTable(cluster.ingresses, services), buildTlsTable(cluster.ingresses, cluster.secrets))).toEqual([]);
  ports = await server.listen();
});

afterAll(async () => {
  await server?.close();
  be?.server.closeAllConnections();
  await new Promise((r) => be?.server.close(r));
  wsServer?.closeAllConnections();
  await new Promise((r) => wsServer?.close(r));
});

describe('forwarding', () => {
  it('routes by host and path; forwarded headers set, hop-by-hop ones stripped both ways', async () => {
    const r = await get(ports.http, '/x?y=1', { 'x-forwarded-for': '203.0.113.9', connection: 'keep-alive, x-drop', 'x-drop': 'no', te: 'trailers' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ url: '/x?y=1', body: '' });
    const sent = be.seen.at(-1)!.raw.map((h, i, a) => (i % 2 === 0 ? `${h.toLowerCase()}: ${a[i + 1]}` : '')).filter((x) => x !== '');
    expect(sent).toEqual(expect.arrayContaining(['host: shop.test', 'x-forwarded-for: 203.0.113.9, 127.0.0.1', 'x-forwarded-proto: http', 'x-forwarded-host: shop.test', `x-forwarded-port: ${ports.http}`]));
    expect(sent.some((h) => h.startsWith('x-drop') || h.startsWith('te:'))).toBe(false);
    expect(r.headers['x-hop']).toBeUndefined();
    expect(r.headers['content-type']).toBe('application/json');
  });

  it('routes and forwards the normalized path: dot-segments removed, unreserved %XX decoded', async () => {
    const dotted = await rawExchange(ports.http, 'GET /gone/../x/./y?q=/../z HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
    expect(dotted.text).toMatch(/^HTTP\/1.1 200/); // not the /gone rule's 503
    expect(be.seen.at(-1)!.url).toBe('/x/y?q=/../z');
    const encoded = await rawExchange(ports.http, 'GET /%67one HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n');
    expect(encoded.text).toMatch(/^HTTP\/1.1 503/); // /gone, as the endpoint would read it
  });

  it('streams a chunked upload and a response that is still being written', async () => {
    const up = await rawExchange(ports.http, 'POST /upload HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    expect(up.text).toMatch(/^HTTP\/1.1 200/);
    expect(be.seen.at(-1)!.body).toBe('hello world');
    // The first chunk must arrive before the backend is told to finish: nothing is buffered.
    const first = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: ports.http, path: '/stream', headers: { host: 'shop.test' }, agent: false }, (res) => {
        res.setEncoding('utf8').once('data', (d: string) => {
          let rest = '';
          res.on('data', (x: string) => (rest += x)).on('end', () => resolve(`${d}|${rest}`));
          void get(ports.http, '/release');
        });
      }).on('error', reject);
    });
    expect(first).toBe('first;|second');
  });

  it('keeps upstream connections alive across requests', async () => {
    await get(ports.http, '/k1');
    await get(ports.http, '/k2');
    const [a, b] = be.seen.slice(-2);
    expect([a.url, b.url]).toEqual(['/k1', '/k2']);
    expect(a.remotePort).toBe(b.remotePort);
  });
});

describe('errors', () => {
  it('404 without a matching rule, 503 without endpoints or Service, 502 when refused, 504 when silent', async () => {
    const other = await get(ports.http, '/', { host: 'other.test' });
    expect([other.status, other.body]).toEqual([404, 'podnet ingress: 404 Not Found: no Ingress rule matches host "other.test" path "/"\n']);
    expect(await get(ports.http, '/empty')).toMatchObject({ status: 503, body: expect.stringContaining('no ready endpoints for web/empty:80 (ingress web/shop)') });
    expect(await get(ports.http, '/gone')).toMatchObject({ status: 503, body: expect.stringContaining('service web/gone does not exist') });
    expect(await get(ports.http, '/down')).toMatchObject({ status: 502, body: expect.stringContaining('ECONNREFUSED') });
    expect(await get(ports.http, '/never')).toMatchObject({ status: 504, body: expect.stringContaining('did not answer within 400 ms') });
  });

  it('an endpoint that breaks off mid-body: the client sees a broken response, not a short one', async () => {
    const outcome = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: ports.http, path: '/break', headers: { host: 'shop.test' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(`complete: ${body}`));
        res.on('close', () => resolve(res.complete ? `complete: ${body}` : `broken after ${JSON.stringify(body)}`));
        res.on('error', () => undefined);
      }).on('error', (e) => resolve(`error ${e.message}`));
    });
    expect(outcome).toBe('broken after "only ten b"');
  });

  const ambiguous: [string, string][] = [
    ['Content-Length with Transfer-Encoding', 'POST /smuggle HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX'],
    ['two different Content-Length', 'POST /smuggle HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nXY'],
    ['Transfer-Encoding without chunked last', 'POST /smuggle HTTP/1.1\r\nHost: shop.test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
    ['space before the colon', 'POST /smuggle HTTP/1.1\r\nHost: shop.test\r\nContent-Length : 1\r\n\r\nX'],
    ['two Host headers', 'GET /smuggle HTTP/1.1\r\nHost: shop.test\r\nHost: other.test\r\n\r\n'],
    ['HTTP/1.1 without Host', 'GET /smuggle HTTP/1.1\r\n\r\n'],
  ];
  it.each(ambiguous)('%s: 400, connection closed, nothing forwarded', async (_, text) => {
    const before = be.seen.length;
    const r = await rawExchange(ports.http, text);
    expect(r.text).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(r.closed).toBe(true);
    expect(be.seen.length).toBe(before);
    expect(be.seen.some((s) => s.url === '/smuggle')).toBe(false);
  });
});

describe('limits', () => {
  it('headers over 16 KiB: 431 and the connection closed', async () => {
    const r = await rawExchange(ports.http, `GET /big HTTP/1.1\r\nHost: shop.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(r.text).toMatch(/^HTTP\/1.1 431 Request Header Fields Too Large\r\n[^]*\r\n\r\npodnet ingress: 431 Request Header Fields Too Large: HPE_HEADER_OVERFLOW/);
    expect(r.closed).toBe(true);
    expect(be.seen.some((x) => x.url === '/big')).toBe(false);
  });
});

describe('WebSocket', () => {
  it('upgrades through the proxy and echoes frames both ways', async () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const s = net.connect(ports.http, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const waitFor = (test: (b: Buffer) => boolean) => new Promise<void>((resolve, reject) => {
      const check = () => (test(buf) ? resolve() : undefined);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        check();
      });
      s.on('error', reject);
      check();
    });
    s.write(`GET /ws/chat HTTP/1.1\r\nHost: shop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await waitFor((b) => b.includes('\r\n\r\n'));
    const end = buf.indexOf('\r\n\r\n');
    const head = buf.subarray(0, end).toString();
    buf = buf.subarray(end + 4);
    expect(head).toMatch(/^HTTP\/1.1 101 /);
    expect(head).toContain(`Sec-WebSocket-Accept: ${ws.accept(key)}`);
    s.write(ws.encodeFrame(0x1, 'hello', true));
    await waitFor((b) => ws.decodeFrames(b).frames.length > 0);
    const frame = ws.decodeFrames(buf).frames[0];
    expect(frame.payload.toString()).toMatch(/^echo: hello /);
    s.destroy();
  });

  it('an upgrade to a backend without endpoints is a plain 503', async () => {
    const r = await rawExchange(ports.http, 'GET /empty HTTP/1.1\r\nHost: shop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n');
    expect(r.text).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
  });
});

describe('TLS', () => {
  function handshake(servername: string | undefined): Promise<{ cn: string; status: string }> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: ports.https, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
        const cn = String(s.getPeerCertificate().subject.CN);
        s.write(`GET /tls HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n`);
        let text = '';
        s.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ cn, status: text.split('\r\n')[0] }));
      });
      s.on('error', reject);
    });
  }

  it('serves the certificate of the Secret whose tls host is the SNI name, else the default', async () => {
    expect(await handshake('a.test')).toEqual({ cn: 'a.test', status: 'HTTP/1.1 200 OK' });
    expect(await handshake('b.test')).toEqual({ cn: 'b.test', status: 'HTTP/1.1 200 OK' });
    expect((await handshake('c.test')).cn).toBe('podnet ingress default certificate');
    expect((await handshake(undefined)).cn).toBe('podnet ingress default certificate');
    expect(be.seen.at(-1)!.raw).toEqual(expect.arrayContaining(['X-Forwarded-Proto', 'https']));
  });
});
