/**
 * The controller's listeners: HTTP and HTTPS (certificate by SNI), each routing every request
 * through the current route table. Requests with ambiguous framing are refused with 400 before
 * routing; a request no rule (and no default backend) takes gets 404.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { CertStore, type KeyPair } from './certs.js';
import { ambiguity, clientAddress, type ClientInfo } from './headers.js';
import { normalizeTarget } from './normalize.js';
import { liveKeys, UpstreamPool } from './pool.js';
import { forward, sendError, type ProxyContext, type Timeouts } from './proxy.js';
import { route, type RouteTable, type Target } from './routes.js';
import type { TlsTable } from './tls-hosts.js';
import { forwardUpgrade, rawError } from './upgrade.js';

export interface IngressServerOptions {
  address: string;
  /** 0 picks a free port (tests). */
  httpPort: number;
  httpsPort: number;
  timeouts: Timeouts;
  defaultCert: KeyPair;
  log: (line: string) => void;
}

export class IngressServer {
  private table: RouteTable = { exact: new Map(), wildcard: new Map() };
  private readonly pool = new UpstreamPool();
  private readonly certs: CertStore;
  private readonly ctx: ProxyContext;
  private readonly http: http.Server;
  private readonly https: https.Server;

  constructor(private readonly opts: IngressServerOptions) {
    this.certs = new CertStore(opts.defaultCert);
    this.ctx = { pool: this.pool, timeouts: opts.timeouts, log: opts.log };
    this.http = http.createServer({ requireHostHeader: false }, (req, res) => this.onRequest(req, res, 'http'));
    this.https = https.createServer({ ...opts.defaultCert, SNICallback: this.certs.sniCallback, requireHostHeader: false }, (req, res) => this.onRequest(req, res, 'https'));
    for (const [server, proto] of [[this.http, 'http'], [this.https, 'https']] as const) {
      server.keepAliveTimeout = 60_000;
      server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head, proto));
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket));
    }
  }

  async listen(): Promise<{ http: number; https: number }> {
    const bind = (s: net.Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, this.opts.address, () => resolve((s.address() as net.AddressInfo).port));
      });
    return { http: await bind(this.http, this.opts.httpPort), https: await bind(this.https, this.opts.httpsPort) };
  }

  /** Swaps in new routes and certificates; returns the certificates that could not be loaded. */
  update(table: RouteTable, tls: TlsTable): string[] {
    const problems = this.certs.update(tls);
    this.https.setSecureContext(this.certs.noSniPair());
    this.table = table;
    this.pool.retain(liveKeys(targetsOf(table)));
    return problems;
  }

  close(): Promise<void> {
    this.pool.close();
    const stop = (s: http.Server) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
    return Promise.all([stop(this.http), stop(this.https)]).then(() => undefined);
  }

  private client(req: http.IncomingMessage, proto: 'http' | 'https'): ClientInfo {
    return { address: clientAddress(req.socket.remoteAddress), proto, port: req.socket.localPort ?? 0 };
  }

  /** The target for a request, or the reason to refuse it (status + why). */
  private decide(req: http.IncomingMessage): { target: Target } | { status: number; why: string } {
    const bad = ambiguity(req.rawHeaders, req.httpVersion);
    if (bad) return { status: 400, why: `ambiguous request: ${bad}` };
    // Routed and forwarded normalized (normalize.ts): the endpoint acts on the path that matched.
    req.url = normalizeTarget(req.url);
    const r = route(this.table, req.headers.host, req.url);
    if (r.kind === 'none') return { status: 404, why: `no Ingress rule matches host ${JSON.stringify(req.headers.host ?? '')} path ${JSON.stringify(req.url ?? '')}` };
    return { target: r.target };
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse, proto: 'http' | 'https'): void {
    const d = this.decide(req);
    if ('status' in d) {
      if (d.status === 400) this.opts.log(`400 from ${req.socket.remoteAddress}: ${d.why}`);
      return sendError(res, d.status, d.why, d.status === 400);
    }
    forward(this.ctx, req, res, d.target, this.client(req, proto));
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, proto: 'http' | 'https'): void {
    const d = this.decide(req);
    if ('status' in d) return rawError(socket, d.status, d.why);
    forwardUpgrade(this.ctx, req, socket, head, d.target, this.client(req, proto));
  }
}

function targetsOf(table: RouteTable): Target[] {
  const hosts = [...table.exact.values(), ...table.wildcard.values(), ...(table.anyHost ? [table.anyHost] : [])];
  return [...hosts.flatMap((h) => [...h.paths.map((p) => p.target), ...(h.fallback ? [h.fallback] : [])]), ...(table.defaultBackend ? [table.defaultBackend] : [])];
}

/** What Node's parser refused (e.g. both Content-Length and Transfer-Encoding): 400 (431), close. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const why = `${err.code ?? 'malformed request'}${'reason' in err ? ` (${String((err as { reason: unknown }).reason)})` : ''}`;
  rawError(socket, err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, why);
}
