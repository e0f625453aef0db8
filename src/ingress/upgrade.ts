/**
 * Upgraded connections (WebSocket): the request goes to an endpoint on a connection of its own;
 * on 101 the two sockets are joined byte for byte; any other answer is relayed as is and the
 * connection closed. Errors before the switch are written as plain HTTP answers on the socket.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { endToEnd, upstreamHeaders, type ClientInfo, type RawHeaders } from './headers.js';
import { armTimeouts, chooseEndpoint, errorBody, REASONS, type ProxyContext } from './proxy.js';
import type { Target } from './routes.js';

/** An HTTP/1.1 response head from a status line and flat raw headers. */
function head(status: number, message: string, raw: RawHeaders): string {
  const lines = [`HTTP/1.1 ${status} ${message}`];
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The controller's own answer on a raw socket, then close. */
export function rawError(socket: Duplex, status: number, why: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = errorBody(status, why);
  socket.end(head(status, REASONS[status] ?? 'Error', ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close']) + body);
}

export function forwardUpgrade(ctx: ProxyContext, req: http.IncomingMessage, socket: Duplex, early: Buffer, target: Target, client: ClientInfo): void {
  const chosen = chooseEndpoint(ctx, target);
  if ('why' in chosen) return rawError(socket, 503, chosen.why);
  const { up } = chosen;
  const where = `${up.ip}:${up.port} (${target.backend})`;
  const protocol = String(req.headers.upgrade ?? '');
  const upReq = http.request({ host: up.ip, port: up.port, method: req.method, path: req.url, headers: upstreamHeaders(req.rawHeaders, client, `${up.ip}:${up.port}`, protocol), agent: false, setHost: false });
  let settled = false;
  const fail = (status: number, why: string) => {
    if (settled) return;
    settled = true;
    upReq.destroy();
    ctx.log(`${req.method} ${req.headers.host ?? ''}${req.url} (upgrade): ${status}: ${why}`);
    rawError(socket, status, why);
  };
  armTimeouts(upReq, ctx.timeouts, (phase) => fail(504, `endpoint ${where} did not ${phase === 'connect' ? 'accept the connection' : 'answer the upgrade'} in time`));
  upReq.on('error', (err: NodeJS.ErrnoException) => fail(502, `endpoint ${where}: ${err.code ?? err.message}`));
  socket.on('error', () => upReq.destroy());
  upReq.on('upgrade', (upRes, upSocket, upHead) => {
    settled = true;
    upSocket.setTimeout(0);
    const back = ['Connection', 'Upgrade', 'Upgrade', String(upRes.headers.upgrade ?? protocol), ...endToEnd(upRes.rawHeaders)];
    socket.write(head(101, upRes.statusMessage || 'Switching Protocols', back));
    if (upHead.length > 0) socket.write(upHead);
    if (early.length > 0) upSocket.write(early);
    const close = () => {
      socket.destroy();
      upSocket.destroy();
    };
    // No half-open tunnels (as nginx): when one side ends, the other is ended, then both closed.
    socket.on('error', close).on('close', close).on('end', () => upSocket.end(close));
    upSocket.on('error', close).on('close', close).on('end', () => socket.end(close));
    socket.pipe(upSocket, { end: false });
    upSocket.pipe(socket, { end: false });
  });
  upReq.on('response', (upRes) => {
    // The endpoint declined the upgrade: its answer goes back as is, delimited by closing.
    settled = true;
    const raw = endToEnd(upRes.rawHeaders);
    const pairs: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() !== 'content-length') pairs.push(raw[i], raw[i + 1]);
    socket.write(head(upRes.statusCode ?? 502, upRes.statusMessage ?? '', [...pairs, 'Connection', 'close']));
    upRes.pipe(socket);
    upRes.on('error', () => socket.destroy());
  });
  upReq.end();
}
