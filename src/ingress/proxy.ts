/**
 * Forwarding one HTTP request to an endpoint over the keep-alive pools, bodies streamed both ways.
 * Failures are answered clearly: 503 when the backend has no endpoints (or cannot be used), 502
 * when the endpoint refuses or breaks the exchange, 504 when it does not connect or answer in time.
 */
import http from 'node:http';
import { endToEnd, isChunked, upstreamHeaders, type ClientInfo } from './headers.js';
import type { UpstreamPool } from './pool.js';
import type { Target, Upstream } from './routes.js';

export interface Timeouts {
  /** To establish the TCP connection to an endpoint (nginx's proxy_connect_timeout). */
  connectMs: number;
  /** Between two reads from the endpoint, also before its response head (proxy_read_timeout). */
  readMs: number;
}

export interface ProxyContext {
  pool: UpstreamPool;
  timeouts: Timeouts;
  log: (line: string) => void;
}

export const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** A short text answer from the controller itself ("podnet ingress: 503 …: why"). */
export function errorBody(status: number, why: string): string {
  return `podnet ingress: ${status} ${REASONS[status] ?? ''}: ${why}\n`;
}

export function sendError(res: http.ServerResponse, status: number, why: string, close = false): void {
  if (res.headersSent) return void res.destroy();
  const body = errorBody(status, why);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

/** Why a target cannot take a request now (a 503), or the endpoint to use. */
export function chooseEndpoint(ctx: ProxyContext, target: Target): { up: Upstream } | { why: string } {
  if (target.problem) return { why: `${target.backend} (ingress ${target.ingress}): ${target.problem}` };
  const up = ctx.pool.pick(target);
  return up ? { up } : { why: `no ready endpoints for ${target.backend} (ingress ${target.ingress})` };
}

/**
 * Arms the connect timer; once connected, the read timeout. Calls `onTimeout` with the phase
 * that ran out. Works for fresh and for reused (already connected) sockets.
 */
export function armTimeouts(req: http.ClientRequest, t: Timeouts, onTimeout: (phase: 'connect' | 'read') => void): void {
  req.once('socket', (socket) => {
    const read = () => req.setTimeout(t.readMs, () => onTimeout('read'));
    if (!socket.connecting) return read();
    const timer = setTimeout(() => onTimeout('connect'), t.connectMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      read();
    });
    socket.once('close', () => clearTimeout(timer));
  });
}

/** Forwards a routed request; retries once on a fresh connection when a reused one was closed under it. */
export function forward(ctx: ProxyContext, req: http.IncomingMessage, res: http.ServerResponse, target: Target, client: ClientInfo): void {
  const chosen = chooseEndpoint(ctx, target);
  if ('why' in chosen) return sendError(res, 503, chosen.why);
  const bodyless = !isChunked(req.rawHeaders) && Number(req.headers['content-length'] ?? 0) === 0;
  if (bodyless) req.resume();
  attempt(ctx, req, res, target, chosen.up, client, bodyless, bodyless);
}

/** `bodyless`: nothing to stream upstream; `mayRetry`: a reset reused connection may be retried (once). */
function attempt(ctx: ProxyContext, req: http.IncomingMessage, res: http.ServerResponse, target: Target, up: Upstream, client: ClientInfo, bodyless: boolean, mayRetry: boolean): void {
  const where = `${up.ip}:${up.port} (${target.backend})`;
  const upReq = http.request({
    host: up.ip,
    port: up.port,
    method: req.method,
    path: req.url,
    headers: upstreamHeaders(req.rawHeaders, client, `${up.ip}:${up.port}`),
    agent: ctx.pool.agent(up),
    setHost: false,
  });
  let answered = false;
  const fail = (status: number, why: string) => {
    if (answered) return void res.destroy();
    answered = true;
    req.unpipe(upReq);
    upReq.destroy();
    ctx.log(`${req.method} ${req.headers.host ?? ''}${req.url}: ${status}: ${why}`);
    sendError(res, status, why, !req.complete);
  };
  armTimeouts(upReq, ctx.timeouts, (phase) => fail(504, `endpoint ${where} did not ${phase === 'connect' ? 'accept the connection' : 'answer'} within ${phase === 'connect' ? ctx.timeouts.connectMs : ctx.timeouts.readMs} ms`));
  upReq.on('error', (err: NodeJS.ErrnoException) => {
    if (!answered && mayRetry && upReq.reusedSocket && err.code === 'ECONNRESET') {
      answered = true; // this attempt is over; the retry answers
      return attempt(ctx, req, res, target, up, client, bodyless, false);
    }
    fail(502, `endpoint ${where}: ${err.code ?? err.message}`);
  });
  upReq.on('response', (upRes) => {
    answered = true;
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEnd(upRes.rawHeaders));
    upRes.pipe(res);
    // The endpoint broke off mid-body: the client must not take a truncated body for a whole one.
    upRes.on('error', () => res.destroy());
    upRes.on('close', () => {
      if (!upRes.complete) res.destroy();
    });
  });
  // The client went away before the answer was complete: nothing is waiting for the endpoint.
  res.on('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  if (bodyless) upReq.end();
  else req.pipe(upReq);
}
