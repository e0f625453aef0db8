/**
 * Serving podnet's built-in workload on sockets someone else opened: the agent receives
 * listening sockets created inside a pod's network namespace and answers on them here.
 * HTTP on TCP ports (200 + JSON about the pod and the request; gRPC health checks over h2c,
 * see grpc-health.ts), a JSON line on UDP ports.
 */
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import type dgram from 'node:dgram';
import { healthServer, sniffPreface } from './grpc-health.js';
import { httpBody, httpLogLine, noteLogLine, udpLogLine, udpReply, type ServerIdentity } from './response.js';

export type LogSink = (line: string) => void;

/** Something being served; `close` stops it and drops open connections. */
export interface Served {
  close(): Promise<void>;
}

/**
 * Answers HTTP on an already-listening net.Server. Connections are handed to an http.Server
 * that never listens itself, so the socket stays the one created in the pod's namespace.
 */
export function serveHttp(listener: net.Server, id: ServerIdentity, port: number, log: LogSink, secure?: tls.SecureContext): Served {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const info = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? '',
      remotePort: req.socket.remotePort ?? 0,
      port,
    };
    const body = `${JSON.stringify(httpBody(id, info))}\n`;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    req.resume();
    log(httpLogLine(new Date(), info, 200));
  });
  server.keepAliveTimeout = 5_000;
  const h2 = healthServer((line) => log(noteLogLine(new Date(), `TCP/${port} ${line}`)));
  let closing = false;
  const onConnection = (socket: net.Socket): void => {
    // A connection accepted while closing would keep listener.close() waiting: drop it.
    if (closing) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (secure) {
      // HTTPS (an HTTPS probe names the port): TLS first, then the same HTTP answers.
      const t = new tls.TLSSocket(socket, { isServer: true, secureContext: secure });
      t.on('error', () => socket.destroy());
      return void server.emit('connection', t);
    }
    sniffPreface(socket, (s) => h2.emit('connection', s), (s) => server.emit('connection', s));
  };
  listener.on('connection', onConnection);
  listener.on('error', (err) => log(`server error on TCP/${port}: ${err.message}\n`));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const s of sockets) s.destroy();
        listener.close(() => resolve());
      }),
  };
}

/** Replies to every datagram on a bound UDP socket with a JSON line naming the pod. */
export function serveUdp(socket: dgram.Socket, id: ServerIdentity, port: number, log: LogSink): Served {
  socket.on('message', (msg, rinfo) => {
    const info = { remoteAddress: rinfo.address, remotePort: rinfo.port, port, bytes: msg.length };
    socket.send(udpReply(id, info), rinfo.port, rinfo.address, (err) => {
      if (err) log(`reply error on UDP/${port}: ${err.message}\n`);
    });
    log(udpLogLine(new Date(), info));
  });
  socket.on('error', (err) => log(`socket error on UDP/${port}: ${err.message}\n`));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      }),
  };
}
