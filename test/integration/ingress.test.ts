/**
 * The ingress controller for real (issue 6): a 2-node lab whose objects hold Ingresses gets
 * podnet's controller behind a LoadBalancer Service; every request here goes from the host
 * (root namespace) to that LB address, through the controller pod, to endpoints — host and path
 * routing, element-wise Prefix, Exact, port by name, default backend (added by apply), 404, 502,
 * 503, TLS with SNI from two Secrets, WebSocket echo, classes, `get ingress`, NetworkPolicy on
 * the controller pod and on its backends, and removal.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSigned } from '../../src/ingress/certs.js';
import { parseCidr, parseIPv4 } from '../../src/model/ip.js';
import { CAN_RUN_LAB, REPO, TestLab, until } from './helpers.js';

const ws = createRequire(import.meta.url)('../fixtures/ingress/ws-echo.cjs') as {
  encodeFrame(opcode: number, payload: string, masked: boolean): Buffer;
  decodeFrames(buf: Buffer): { frames: { opcode: number; payload: Buffer }[] };
};

type Obj = Record<string, unknown>;
const NS = 'shop';
const HOST = 'shop.ingress.test';

function deployment(name: string, replicas: number, container: Obj): Obj {
  const labels = { app: name };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS }, spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: 'x', ...container }] } } } };
}
function service(name: string, app: string, port: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { selector: { app }, ports: [port] } };
}
const builtin = { ports: [{ name: 'http', containerPort: 8080 }] };
const to = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const path = (p: string, pathType: string, svc: string, port: number | string = 80) => ({ path: p, pathType, backend: to(svc, port) });
const ingress = (name: string, spec: Obj): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: NS }, spec });

function appObjects(): Obj[] {
  return [
    deployment('web', 2, builtin),
    deployment('api', 1, builtin),
    deployment('docs', 1, builtin),
    deployment('fallback', 1, builtin),
    deployment('fresh', 1, builtin),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    { ...deployment('client', 1, builtin), metadata: { name: 'client', namespace: 'other' } },
    deployment('ws', 1, { command: [process.execPath, join(REPO, 'test', 'fixtures', 'ingress', 'ws-echo.cjs'), '8080'], ports: [{ containerPort: 8080 }] }),
    service('web', 'web', { port: 80, targetPort: 8080 }),
    service('api', 'api', { name: 'http', port: 8000, targetPort: 'http' }),
    service('docs', 'docs', { port: 80, targetPort: 8080 }),
    service('fallback', 'fallback', { port: 80, targetPort: 8080 }),
    service('ws', 'ws', { port: 80, targetPort: 8080 }),
    service('fresh', 'fresh', { port: 80, targetPort: 8080 }),
    service('empty', 'nobody', { port: 80, targetPort: 8080 }),
    // Selects the command pod: a built-in one would serve the Service's targetPort (model/served-ports.ts).
    service('broken', 'ws', { port: 80, targetPort: 9999 }),
  ];
}

function ingressObjects(certs: Record<'a' | 'b', { cert: string; key: string }>): Obj[] {
  const secret = (name: string, pair: { cert: string; key: string }) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') } });
  return [
    secret('tls-a', certs.a),
    secret('tls-b', certs.b),
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
    ingress('main', {
      ingressClassName: 'podnet',
      rules: [
        { host: HOST, http: { paths: [path('/api', 'Prefix', 'api', 'http'), path('/exact', 'Exact', 'docs'), path('/', 'Prefix', 'web'), path('/empty', 'Prefix', 'empty'), path('/broken', 'Prefix', 'broken'), path('/ws', 'Prefix', 'ws'), path('/fresh', 'Prefix', 'fresh')] } },
        { host: '*.wild.ingress.test', http: { paths: [path('/', 'ImplementationSpecific', 'docs')] } },
      ],
    }),
    // No class: podnet's IngressClass is the default one.
    ingress('secure', {
      tls: [{ hosts: ['a.ingress.test'], secretName: 'tls-a' }, { hosts: ['b.ingress.test'], secretName: 'tls-b' }],
      rules: [{ host: 'a.ingress.test', http: { paths: [path('/', 'Prefix', 'web')] } }, { host: 'b.ingress.test', http: { paths: [path('/', 'Prefix', 'api', 8000)] } }],
    }),
    ingress('foreign', { ingressClassName: 'nginx', rules: [{ host: 'foreign.ingress.test', http: { paths: [path('/', 'Prefix', 'web')] } }] }),
  ];
}

interface Answer {
  status: number;
  body: string;
  pod?: string;
  headers?: Record<string, string>;
}

/** One GET from the host (this process) to the LB address with a Host header. */
function hostGet(ip: string, host: string, p: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: p, headers: { host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        let j: { pod?: string; headers?: Record<string, string> } = {};
        try {
          j = JSON.parse(body) as typeof j;
        } catch {
          /* the controller's own text answers */
        }
        resolve({ status: res.statusCode ?? 0, body, pod: j.pod, headers: j.headers });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

/** Which app answered: the pod name without its generated suffixes. */
const app = (a: Answer) => (a.status === 200 ? (a.pod ?? '?').replace(/-[a-z0-9]+-[a-z0-9]+$/, '') : String(a.status));

const lab = new TestLab('ig');
let dir: string;
let lbIP: string;

describe.skipIf(!CAN_RUN_LAB)('ingress controller in a lab', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-ingress-it-'));
    writeFileSync(join(dir, 'app.yaml'), appObjects().map((o) => stringify(o)).join('---\n'));
    writeFileSync(join(dir, 'ingress.yaml'), ingressObjects({ a: selfSigned('a.ingress.test'), b: selfSigned('b.ingress.test') }).map((o) => stringify(o)).join('---\n'));
    await lab.up(['-f', join(dir, 'app.yaml'), '-f', join(dir, 'ingress.yaml')]);
    const list = JSON.parse(await lab.ok('get', ['ingress', '-n', NS, '-o', 'json'])) as { items: { metadata: { name: string }; status: { loadBalancer: { ingress?: { ip: string }[] } } }[] };
    lbIP = list.items.find((i) => i.metadata.name === 'main')!.status.loadBalancer.ingress![0].ip;
  });

  afterAll(async () => {
    const problems = await lab.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('the controller runs in podnet-ingress behind a LoadBalancer; its address is the Ingresses\' status', async () => {
    const pods = await lab.pods();
    expect(pods.filter((p) => p.namespace === 'podnet-ingress').map((p) => p.phase)).toEqual(['Running']);
    const svc = JSON.parse(await lab.ok('get', ['services', '-n', 'podnet-ingress', '-o', 'json'])) as { items: { spec: { type: string; ports: { port: number }[] }; status: { loadBalancer: { ingress: { ip: string }[] } } }[] };
    expect(svc.items[0].spec.type).toBe('LoadBalancer');
    expect(svc.items[0].spec.ports.map((p) => p.port)).toEqual([80, 443]);
    expect(svc.items[0].status.loadBalancer.ingress[0].ip).toBe(lbIP);
    const nodes = await lab.nodes();
    const pool = parseCidr(`${nodes[0].ip.split('.').slice(0, 3).join('.')}.0/23`)!;
    expect(parseIPv4(lbIP)! >= pool.start && parseIPv4(lbIP)! <= pool.end).toBe(true);
    const rows = (await lab.ok('get', ['ingress', '-n', NS])).trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual([
      ['main', 'podnet', `${HOST},*.wild.ingress.test`, lbIP, '80', expect.any(String)],
      ['secure', '<none>', 'a.ingress.test,b.ingress.test', lbIP, '80,', '443', expect.any(String)],
      ['foreign', 'nginx', 'foreign.ingress.test', '80', expect.any(String)],
    ]);
  });

  it('routes by host and path: element-wise Prefix, Exact, wildcard host, port by name; 404 otherwise', async () => {
    const cases: [string, string, string][] = [
      [HOST, '/', 'web'],
      [HOST, '/api', 'api'],
      [HOST, '/api/v1/items?x=1', 'api'],
      [HOST, '/apix', 'web'], // not an element-wise prefix of /api
      [HOST, '/exact', 'docs'],
      [HOST, '/exact/', 'web'], // Exact does not match the trailing slash
      [HOST, '/exactly', 'web'],
      ['one.wild.ingress.test', '/anything', 'docs'],
      ['two.one.wild.ingress.test', '/', '404'], // a wildcard covers one label
      ['a.ingress.test', '/', 'web'],
      ['b.ingress.test', '/', 'api'],
      ['foreign.ingress.test', '/', '404'], // class nginx: not podnet's
      ['nobody.ingress.test', '/', '404'],
    ];
    const got: string[] = [];
    for (const [host, p] of cases) got.push(app(await hostGet(lbIP, host, p)));
    expect(cases.map(([h, p], i) => `${h}${p} → ${got[i]}`)).toEqual(cases.map(([h, p, want]) => `${h}${p} → ${want}`));
  });

  it('the backend sees the host as client (externalTrafficPolicy Local) and the forwarded headers', async () => {
    const a = await hostGet(lbIP, HOST, '/headers');
    const link = (await lab.nodes())[0].ip.replace(/\.\d+$/, '.1');
    expect(a.headers).toMatchObject({ host: HOST, 'x-forwarded-for': link, 'x-forwarded-proto': 'http', 'x-forwarded-host': HOST, 'x-forwarded-port': '80' });
  });

  it('503 for a Service without endpoints, 502 when the endpoint refuses, both with the reason', async () => {
    const empty = await hostGet(lbIP, HOST, '/empty');
    expect([empty.status, empty.body]).toEqual([503, 'podnet ingress: 503 Service Unavailable: no ready endpoints for shop/empty:80 (ingress shop/main)\n']);
    const broken = await hostGet(lbIP, HOST, '/broken');
    expect(broken.status).toBe(502);
    expect(broken.body).toMatch(/^podnet ingress: 502 Bad Gateway: endpoint 10\.244\.\d+\.\d+:9999 \(shop\/broken:80\): ECONNREFUSED\n$/);
  });

  it('TLS: the certificate of each Secret by SNI, the default one otherwise; HTTPS is routed too', async () => {
    const handshake = (servername: string) =>
      new Promise<{ cn: string; reply: string }>((resolve, reject) => {
        const s = tls.connect({ host: lbIP, port: 443, servername, rejectUnauthorized: false, timeout: 5000 }, () => {
          const cn = String(s.getPeerCertificate().subject.CN);
          s.write(`GET /tls HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
        });
        let text = '';
        s.setEncoding('utf8').on('data', (d: string) => (text += d));
        s.on('end', () => resolve({ cn: String(s.getPeerCertificate().subject?.CN), reply: text }));
        s.on('error', reject);
      });
    const a = await handshake('a.ingress.test');
    const b = await handshake('b.ingress.test');
    const other = await handshake(HOST);
    expect([a.cn, b.cn, other.cn]).toEqual(['a.ingress.test', 'b.ingress.test', 'podnet ingress default certificate']);
    expect(a.reply).toMatch(/^HTTP\/1.1 200 OK/);
    expect(JSON.parse(a.reply.slice(a.reply.indexOf('\r\n\r\n') + 4)) as { pod: string; headers: Record<string, string> }).toMatchObject({ pod: expect.stringMatching(/^web-/), headers: { 'x-forwarded-proto': 'https' } });
    expect(JSON.parse(b.reply.slice(b.reply.indexOf('\r\n\r\n') + 4)) as { pod: string }).toMatchObject({ pod: expect.stringMatching(/^api-/) });
  });

  it('WebSocket: upgraded through the controller to a pod that echoes', async () => {
    const s = net.connect(80, lbIP);
    let buf = Buffer.alloc(0);
    const received = (test: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(buf.toString('latin1'))}`)), 5000);
        const check = () => {
          if (test()) {
            clearTimeout(timer);
            s.off('data', onData);
            resolve();
          }
        };
        const onData = (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          check();
        };
        s.on('data', onData).once('error', reject);
        check();
      });
    try {
      s.write(`GET /ws HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await received(() => buf.includes('\r\n\r\n'));
      const end = buf.indexOf('\r\n\r\n');
      expect(buf.subarray(0, end).toString()).toMatch(/^HTTP\/1.1 101 [^]*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
      buf = buf.subarray(end + 4);
      s.write(ws.encodeFrame(0x1, 'hello through podnet', true));
      await received(() => ws.decodeFrames(buf).frames.length > 0);
      expect(ws.decodeFrames(buf).frames[0].payload.toString()).toMatch(/^echo: hello through podnet \(ws-[a-z0-9]+-[a-z0-9]+\)$/);
    } finally {
      s.destroy();
    }
  });

  it('apply of an Ingress with a defaultBackend: unmatched requests go there instead of 404', async () => {
    writeFileSync(join(dir, 'default.yaml'), stringify(ingress('default', { defaultBackend: to('fallback', 80) })));
    await lab.ok('apply', ['-f', join(dir, 'app.yaml'), '-f', join(dir, 'ingress.yaml'), '-f', join(dir, 'default.yaml')]);
    await until('the default backend to answer', async () => app(await hostGet(lbIP, 'nobody.ingress.test', '/')) === 'fallback', 10_000);
    expect(app(await hostGet(lbIP, 'foreign.ingress.test', '/x'))).toBe('fallback');
    expect(app(await hostGet(lbIP, HOST, '/api/x'))).toBe('api'); // rules still come first
  });

  it('NetworkPolicy: backends may admit only the controller; the controller pod is isolated like any pod', async () => {
    const policy = (name: string, namespace: string, spec: Obj): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
    const pods = await lab.pods();
    const client = pods.find((p) => p.namespace === 'other')!;
    const ipOf = (prefix: string) => pods.find((p) => p.namespace === NS && p.name.startsWith(`${prefix}-`))!.ip;
    const link = (await lab.nodes())[0].ip.replace(/\.\d+$/, '.1');
    const file = join(dir, 'policies.yaml');
    const apply = async (objs: Obj[]) => {
      writeFileSync(file, objs.map((o) => stringify(o)).join('---\n'));
      await lab.ok('apply', ['-f', file]);
    };
    // 1. web admits only the controller's namespace.
    const webFromIngress = policy('web-from-ingress', NS, { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'podnet-ingress' } } }] }] });
    await apply([webFromIngress]);
    const through: string[] = [];
    for (let i = 0; i < 4; i++) through.push(app(await hostGet(lbIP, HOST, `/via-ingress-${i}`)));
    expect(through).toEqual(['web', 'web', 'web', 'web']);
    const direct = await lab.probeFromPod(client.key, [{ proto: 'tcp', host: ipOf('web'), port: 8080 }, { proto: 'tcp', host: ipOf('api'), port: 8080 }]);
    expect(direct.map((r) => r.ok)).toEqual([false, true]);

    // 2. The controller admits only the host's address, on port 80: HTTP goes through, HTTPS does not.
    const controllerIn = policy('from-host-http', 'podnet-ingress', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: `${link}/32` } }], ports: [{ port: 80 }] }] });
    await apply([webFromIngress, controllerIn]);
    expect(app(await hostGet(lbIP, HOST, '/after-isolation'))).toBe('web');
    const https = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: lbIP, port: 443, servername: 'a.ingress.test', rejectUnauthorized: false, timeout: 3000 }, () => resolve('connected'));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message)).on('timeout', () => resolve('timeout'));
    });
    expect(https).toMatch(/^(EHOSTUNREACH|ECONNREFUSED|timeout)$/);

    // 3. The controller may only open connections to web: a fresh backend is a clear 502.
    const controllerOut = policy('egress-to-web', 'podnet-ingress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } }, podSelector: { matchLabels: { app: 'web' } } }] }] });
    await apply([webFromIngress, controllerIn, controllerOut]);
    const fresh = await hostGet(lbIP, HOST, '/fresh');
    expect(fresh.status).toBe(502);
    expect(fresh.body).toMatch(new RegExp(`^podnet ingress: 502 Bad Gateway: endpoint ${ipOf('fresh').replace(/\./g, '\\.')}:8080 \\(shop/fresh:80\\): (EHOSTUNREACH|ECONNREFUSED)\n$`));
    expect(app(await hostGet(lbIP, HOST, '/still-web'))).toBe('web');

    await lab.ok('delete', ['-f', file]);
    expect(app(await hostGet(lbIP, HOST, '/fresh'))).toBe('fresh');
    expect((await lab.probeFromPod(client.key, [{ proto: 'tcp', host: ipOf('web'), port: 8080 }]))[0].ok).toBe(true);
  });

  it('deleting every Ingress removes the controller, its Service and IngressClass', async () => {
    await lab.ok('delete', ['-f', join(dir, 'ingress.yaml'), '-f', join(dir, 'default.yaml')]);
    const pods = await lab.pods();
    expect(pods.filter((p) => p.namespace === 'podnet-ingress')).toEqual([]);
    expect(await lab.ok('get', ['services', '-n', 'podnet-ingress'])).toMatch(/^No resources found/);
  });
});
