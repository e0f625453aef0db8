/**
 * pods/NAME/attach (`kubectl attach POD [-c C]`) over WebSocket: the running container's output
 * from now on, on channel 1, until the container stops running, the pod goes, or the client does;
 * then a Status on channel 3, as exec ends. podnet's containers have no stdin (their
 * `spec.containers[].stdin` is never honoured) and no terminal, so `-i` and `-t` are refused
 * before the upgrade with the kubelet's words. The output is the container's log (stdout and
 * stderr as the runtime's log file holds them, interleaved).
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { badRequest } from './errors.js';
import { ERROR, EXEC_PROTOCOLS, exitStatus, frame, pickProtocol, STDOUT } from './exec-stream.js';
import { containerOf, type LogFile } from './logs.js';
import { findResource } from './resources.js';
import type { Obj, Store } from './store.js';

const pods = findResource('', 'v1', 'pods')!;
const POLL_MS = 200;
type Raw = Record<string, unknown>;

const flag = (q: URLSearchParams, name: string) => ['true', '1'].includes(q.get(name) ?? '');

function running(pod: Obj, container: string): boolean {
  const statuses = (((pod.status ?? {}) as Raw).containerStatuses ?? []) as Raw[];
  const s = statuses.find((c) => c.name === container);
  return ((s?.state ?? {}) as Raw).running !== undefined;
}

/** The checks of an attach request; the container attached to. */
export function checkAttach(store: Store, namespace: string, name: string, q: URLSearchParams): string {
  const pod = store.mustGet(pods, namespace, name).obj;
  const container = containerOf(pod, q.get('container'));
  const phase = String(((pod.status ?? {}) as Raw).phase ?? '');
  // kubectl's own check, repeated for other clients: "cannot attach a container in a completed pod".
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot attach a container in a completed pod; current phase is ${phase}`);
  if (!flag(q, 'stdin') && !flag(q, 'stdout') && !flag(q, 'stderr')) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (flag(q, 'stdin')) throw badRequest(`container ${container} of pod ${name} has no stdin to attach to: podnet runs containers without one (spec.containers[].stdin is not honoured); attach without -i, or use kubectl exec -i`);
  if (flag(q, 'tty')) throw badRequest(`container ${container} of pod ${name} has no TTY: podnet runs containers without one; use kubectl exec -it`);
  if (!running(pod, container)) throw badRequest(`container ${container} is not running`);
  return container;
}

const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol(offered) ?? false });

export function upgradeAttach(req: IncomingMessage, socket: Duplex, head: Buffer, store: Store, namespace: string, name: string, q: URLSearchParams, logFile: LogFile): void {
  const container = checkAttach(store, namespace, name, q);
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  if (!pickProtocol(offered)) throw badRequest(`unable to upgrade: none of the subprotocols ${JSON.stringify(offered.filter(Boolean))} is supported (podnet speaks ${EXEC_PROTOCOLS.join(', ')})`);
  const path = logFile(namespace, name, container);
  // From now on: what the container writes after the client attached.
  let offset = existsSync(path) ? fstatSize(path) : 0;
  wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const uid = store.get(pods, namespace, name)?.obj.metadata.uid;
    const timer = setInterval(() => {
      const more = readFrom(path, offset);
      offset += more.length;
      if (more.length > 0 && ws.readyState === ws.OPEN) ws.send(frame(STDOUT, more));
      const pod = store.get(pods, namespace, name)?.obj;
      if (!pod || pod.metadata.uid !== uid || !running(pod, container)) end();
    }, POLL_MS);
    const end = () => {
      clearInterval(timer);
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(ERROR, JSON.stringify(exitStatus(0))));
      ws.close(1000);
    };
    ws.on('error', () => {});
    ws.on('close', () => clearInterval(timer));
  });
}

function fstatSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** The file's bytes from `offset` (none when it is missing or was not longer). */
function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, offset));
  } finally {
    closeSync(fd);
  }
}
