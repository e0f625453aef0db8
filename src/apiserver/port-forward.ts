/**
 * pods/NAME/portforward (`kubectl port-forward`): the portforward.k8s.io protocol on a SPDY/3.1
 * session (spdy.ts), reached either by an HTTP upgrade to SPDY/3.1 or tunnelled in a WebSocket
 * (subprotocol SPDY/3.1+portforward.k8s.io, kubectl's first choice since 1.31: each binary
 * message carries SPDY bytes).
 *
 * For every connection it forwards, the client opens two streams with the same `requestID` and
 * `port` headers: `streamType: error` and `streamType: data`. Once both are there the server
 * connects to localhost:PORT inside the pod's network namespace and copies bytes both ways on the
 * data stream; a failure is written on the error stream, as kubelet does ("error forwarding port
 * %d to pod %s, uid %v: %v"). Half-closes travel as FLAG_FIN both ways.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import { badRequest } from './errors.js';
import { findResource } from './resources.js';
import { SpdySession, RST } from './spdy.js';
import type { Store } from './store.js';

/** A connection to localhost:`port` in the network namespace of pod `key` ("ns/name"). */
export type PortDialer = (key: string, port: number) => Promise<Socket>;

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_WS_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** Connections forwarded at once on one session (each holds a socket in the pod). */
const MAX_PAIRS = 256;
/** Bytes from the client held for a connection still being made before the client is paused. */
const MAX_EARLY_BYTES = 1 << 20;
/** Bytes queued towards the client before the pod's connections are paused (WebSocket). */
const MAX_QUEUED = 1 << 20;

/**
 * The session's byte stream. SPDY's own flow control is not used by Kubernetes' ends, so
 * backpressure is the transport's: reading from the client stops while a pod's connection cannot
 * take more, and reading from the pods stops while the client cannot.
 */
interface Transport {
  write(b: Buffer): void;
  pause(): void;
  resume(): void;
  congested(): boolean;
  onDrain(cb: () => void): void;
  hangUp(): void;
}

const pods = findResource('', 'v1', 'pods')!;

interface Pair {
  requestId: string;
  port: number;
  error?: number;
  data?: number;
  conn?: Socket;
  early: Buffer[];
  earlyBytes: number;
  clientDone: boolean;
  started: boolean;
}

/** The checks before any upgrade: the pod exists (404), and the request asks for a protocol podnet speaks (400). */
export function checkPortForward(store: Store, namespace: string, name: string, req: IncomingMessage): 'spdy' | 'websocket' {
  store.mustGet(pods, namespace, name);
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(PORT_FORWARD_WS_PROTOCOL)) throw badRequest(`unable to upgrade: none of the subprotocols ${JSON.stringify(offered.filter(Boolean))} is supported (podnet speaks ${PORT_FORWARD_WS_PROTOCOL})`);
    return 'websocket';
  }
  if (upgrade === 'spdy/3.1') {
    const wanted = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((p) => p.trim());
    if (!wanted.includes(PORT_FORWARD_PROTOCOL)) throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(wanted.filter(Boolean))}, server supports [${JSON.stringify(PORT_FORWARD_PROTOCOL)}]`);
    return 'spdy';
  }
  throw badRequest('Upgrade request required');
}

// The subprotocol's "/" is not a token character (RFC 6455 asks for tokens), which `ws` refuses:
// the request's offer, checked above, is taken out before the handshake and the answer put in.
const wss = new WebSocketServer({ noServer: true });
wss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_WS_PROTOCOL}`));

/** Upgrades the checked request and serves port-forwarding to pod `namespace/name`. */
export function upgradePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, kind: 'spdy' | 'websocket', store: Store, namespace: string, name: string, dial: PortDialer): void {
  const uid = String((store.mustGet(pods, namespace, name).obj.metadata as { uid?: string } | undefined)?.uid ?? '');
  if (kind === 'spdy') {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    const session = forward({
      write: (b) => void socket.write(b),
      pause: () => void socket.pause(),
      resume: () => void socket.resume(),
      congested: () => socket.writableNeedDrain,
      onDrain: (cb) => void socket.once('drain', cb),
      hangUp: () => socket.destroy(),
    }, `${namespace}/${name}`, uid, dial);
    if (head.length > 0) session.receive(head);
    socket.on('data', (d: Buffer) => session.receive(d));
    socket.on('close', () => session.close());
    return;
  }
  delete req.headers['sec-websocket-protocol'];
  wss.handleUpgrade(req, socket, head, (ws) => {
    const waitDrain = (cb: () => void): void => void (ws.bufferedAmount > MAX_QUEUED / 2 && ws.readyState === ws.OPEN ? setTimeout(() => waitDrain(cb), 10) : cb());
    const session = forward({
      write: (b) => void (ws.readyState === ws.OPEN && ws.send(b)),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      congested: () => ws.bufferedAmount > MAX_QUEUED,
      onDrain: waitDrain,
      hangUp: () => ws.terminate(),
    }, `${namespace}/${name}`, uid, dial);
    ws.on('message', (data: RawData) => session.receive(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)));
    ws.on('close', () => session.close());
    ws.on('error', () => session.close());
  });
}

/** One session: pairs streams by requestID and connects each pair to the pod. */
function forward(transport: Transport, key: string, uid: string, dial: PortDialer): SpdySession {
  const pairs = new Map<string, Pair>();
  const byStream = new Map<number, Pair>();
  // Reading from the client is paused while any of these cannot take more.
  const blockers = new Set<Pair>();
  const block = (pair: Pair) => {
    blockers.add(pair);
    if (blockers.size === 1) transport.pause();
  };
  const unblock = (pair: Pair) => {
    if (blockers.delete(pair) && blockers.size === 0) transport.resume();
  };
  const podName = key.slice(key.indexOf('/') + 1);

  const forget = (pair: Pair) => {
    unblock(pair);
    pairs.delete(pair.requestId);
    for (const id of [pair.error, pair.data]) if (id !== undefined) byStream.delete(id);
  };
  const fail = (pair: Pair, message: string) => {
    forget(pair);
    if (pair.error !== undefined) session.data(pair.error, Buffer.from(`error forwarding port ${pair.port} to pod ${podName}, uid ${uid}: ${message}`), true);
    if (pair.data !== undefined) session.data(pair.data, Buffer.alloc(0), true);
  };
  const start = (pair: Pair) => {
    pair.started = true;
    dial(key, pair.port).then(
      (conn) => {
        pair.conn = conn;
        conn.on('data', (d: Buffer) => {
          session.data(pair.data!, d);
          if (transport.congested()) {
            conn.pause();
            transport.onDrain(() => conn.resume());
          }
        });
        conn.on('drain', () => unblock(pair));
        conn.on('end', () => session.data(pair.data!, Buffer.alloc(0), true));
        conn.on('error', () => {});
        conn.on('close', () => {
          forget(pair);
          if (pair.error !== undefined) session.data(pair.error, Buffer.alloc(0), true);
        });
        let room = true;
        for (const b of pair.early) room = conn.write(b);
        pair.early = [];
        if (room) unblock(pair);
        if (pair.clientDone) conn.end();
        conn.resume();
      },
      (err: Error) => fail(pair, err.message),
    );
  };

  const session: SpdySession = new SpdySession((b) => transport.write(b), {
    stream(id, headers) {
      const type = headers['streamtype'];
      const port = Number(headers['port']);
      const requestId = headers['requestid'] ?? String(port); // kubectl before 1.6 sent none
      if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) return session.resetStream(id, RST.PROTOCOL_ERROR);
      let pair = pairs.get(requestId);
      if (!pair) {
        if (pairs.size >= MAX_PAIRS) return session.resetStream(id, RST.REFUSED_STREAM);
        pair = { requestId, port, early: [], earlyBytes: 0, clientDone: false, started: false };
        pairs.set(requestId, pair);
      }
      if (pair[type] !== undefined || pair.port !== port) return session.resetStream(id, RST.PROTOCOL_ERROR);
      pair[type] = id;
      byStream.set(id, pair);
      session.reply(id);
      if (pair.error !== undefined && pair.data !== undefined && !pair.started) start(pair);
    },
    data(id, data, fin) {
      const pair = byStream.get(id);
      if (!pair || id !== pair.data) return; // the error stream carries nothing from the client
      if (pair.conn) {
        if (data.length > 0 && !pair.conn.write(data)) block(pair); // until the connection drains
        if (fin) pair.conn.end();
        return;
      }
      pair.earlyBytes += data.length;
      if (pair.earlyBytes > MAX_EARLY_BYTES) block(pair); // until the connection is made
      if (data.length > 0) pair.early.push(data);
      if (fin) pair.clientDone = true;
    },
    reset(id) {
      const pair = byStream.get(id);
      pair?.conn?.destroy();
    },
    end() {
      for (const pair of pairs.values()) pair.conn?.destroy();
      pairs.clear();
      byStream.clear();
      transport.hangUp();
    },
  });
  return session;
}
