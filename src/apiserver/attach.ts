/**
 * pods/NAME/attach (`kubectl attach POD [-c C] [-i]`, `kubectl run -i`) over WebSocket: the
 * running container's output from now on, on channel 1, until the container stops running, the
 * pod goes, or the client does; then a Success Status on channel 3, as a runtime's attach ends
 * (`kubectl run` takes the exit code from the pod's status afterwards). The output is the
 * container's log (stdout and stderr as the runtime's log file holds them, interleaved). With `-i`, channel 0 goes into the container's stdin buffer
 * (src/lab/agent/stdin.ts), which a container has only with `stdin: true` ("If this is not set,
 * reads from stdin in the container will always result in EOF"); for `stdinOnce` the first
 * session's end (or its stdin's: v5's CLOSE) closes it. `-t` needs a container with `tty: true`
 * (and stdin), which runs on a pseudo-terminal of its own: its output is the terminal's, and
 * kubectl's resize messages (channel 4) go to the terminal's size FIFO.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, writeFileSync, constants as fsc } from 'node:fs';
import { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { badRequest } from './errors.js';
import { CLOSE, ERROR, EXEC_PROTOCOLS, exitStatus, frame, pickProtocol, RESIZE, resizeLine, STDIN, STDOUT, unframe } from './exec-stream.js';
import { closedMark, resizeFifo } from '../lab/agent/stdin.js';
import { instanceRange, runStarts } from '../lab/agent/log-runs.js';
import { containerOf, type LogFile } from './logs.js';
import { findResource } from './resources.js';
import type { Obj, Store } from './store.js';

const pods = findResource('', 'v1', 'pods')!;
const POLL_MS = 200;
type Raw = Record<string, unknown>;

const flag = (q: URLSearchParams, name: string) => ['true', '1'].includes(q.get(name) ?? '');

function running(pod: Obj, container: string): boolean {
  const statuses = (((pod.status ?? {}) as Raw).containerStatuses ?? []) as Raw[];
  return ((statuses.find((c) => c.name === container)?.state ?? {}) as Raw).running !== undefined;
}

/** How the container's spec asks for stdin: none, kept open, or closed after the first session. */
const specOf = (pod: Obj, container: string) => ((((pod.spec ?? {}) as Raw).containers ?? []) as Raw[]).find((x) => x.name === container);
function stdinOf(pod: Obj, container: string): 'open' | 'once' | undefined {
  const c = specOf(pod, container);
  return c?.stdin === true ? (c.stdinOnce === true ? 'once' : 'open') : undefined;
}
/** "tty: Whether this container should allocate a TTY for itself, also requires 'stdin' to be true." */
const hasTty = (pod: Obj, container: string) => specOf(pod, container)?.tty === true && stdinOf(pod, container) !== undefined;

/** The checks of an attach request; the container attached to, and its pod as checked. */
export function checkAttach(store: Store, namespace: string, name: string, q: URLSearchParams): { container: string; pod: Obj } {
  const pod = store.mustGet(pods, namespace, name).obj;
  const container = containerOf(pod, q.get('container'));
  const phase = String(((pod.status ?? {}) as Raw).phase ?? '');
  // kubectl's own check, repeated for other clients: "cannot attach a container in a completed pod".
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot attach a container in a completed pod; current phase is ${phase}`);
  if (!flag(q, 'stdin') && !flag(q, 'stdout') && !flag(q, 'stderr')) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (flag(q, 'stdin') && !stdinOf(pod, container)) throw badRequest(`container ${container} of pod ${name} has no stdin to attach to: its spec.containers[].stdin is not true; attach without -i, or use kubectl exec -i`);
  if (flag(q, 'tty') && !hasTty(pod, container)) throw badRequest(`container ${container} of pod ${name} has no TTY: its spec.containers[].tty (with stdin) is not true; use kubectl exec -it`);
  if (!running(pod, container)) throw badRequest(`container ${container} is not running`);
  return { container, pod };
}

const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol(offered) ?? false });

export function upgradeAttach(req: IncomingMessage, socket: Duplex, head: Buffer, store: Store, namespace: string, name: string, q: URLSearchParams, logFile: LogFile, stdinFile?: LogFile): void {
  const { container, pod } = checkAttach(store, namespace, name, q);
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = pickProtocol(offered);
  if (!protocol) throw badRequest(`unable to upgrade: none of the subprotocols ${JSON.stringify(offered.filter(Boolean))} is supported (podnet speaks ${EXEC_PROTOCOLS.join(', ')})`);
  const path = logFile(namespace, name, container);
  const mode = flag(q, 'stdin') ? stdinOf(pod, container) : undefined;
  const input = mode && stdinFile ? openInput(stdinFile(namespace, name, container)) : null;
  const sizes = flag(q, 'tty') && stdinFile ? openInput(resizeFifo(stdinFile(namespace, name, container)), false) : null;
  // From now on: what the container writes after the client attached. But the first session of
  // a stdinOnce container (`kubectl run -i`, which attaches once the pod runs) gets its run's
  // output from the start, so a command that printed before kubectl attached is not lost
  // (kubectl 1.32 fetches no logs before attaching; later ones do, for the same reason).
  const first = mode === 'once' && input !== null;
  let offset = first ? instanceRange(runStarts(path), 'current')?.start ?? 0 : existsSync(path) ? fstatSize(path) : 0;
  wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const uid = pod.metadata.uid;
    const timer = setInterval(() => {
      const more = readFrom(path, offset);
      offset += more.length;
      if (more.length > 0 && ws.readyState === ws.OPEN) ws.send(frame(STDOUT, more));
      const now = store.get(pods, namespace, name)?.obj;
      if (!now || now.metadata.uid !== uid || !running(now, container)) end();
    }, POLL_MS);
    // stdinOnce: "stdin is closed after the first attach session ends" — the client's EOF ends it too.
    const endInput = () => {
      if (!input || input.destroyed) return;
      input.end();
      if (mode === 'once') writeFileSync(closedMark(input.path), '', { mode: 0o600 });
    };
    // The input ends with the socket (its 'close' below), which this closes.
    const end = () => {
      clearInterval(timer);
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(ERROR, JSON.stringify(exitStatus(0))));
      ws.close(1000);
    };
    let held = false;
    ws.on('message', (data) => {
      const f = unframe(data instanceof Buffer ? data : Buffer.from(data as ArrayBuffer));
      if (f?.channel === RESIZE && sizes && !sizes.destroyed) {
        const line = resizeLine(f.payload);
        if (line !== undefined) sizes.socket.write(line);
        return;
      }
      if (!f || !input) return;
      if (f.channel === STDIN && !input.destroyed) {
        // A container that reads slower than the client sends holds the client (the pipe is 64 KiB).
        if (!input.socket.write(f.payload) && !held) {
          held = true;
          ws.pause();
          input.socket.once('drain', () => {
            held = false;
            ws.resume();
          });
        }
      } else if (f.channel === CLOSE && protocol === 'v5.channel.k8s.io' && f.payload[0] === STDIN) endInput();
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(timer);
      endInput();
      sizes?.end();
    });
  });
}

/** The container's stdin buffer, opened for writing without blocking (its agent holds it open). */
function openInput(path: string, closable = true): { path: string; socket: Socket; readonly destroyed: boolean; end(): void } | null {
  // Already closed for good (stdinOnce after its first session): nothing to write to.
  if (closable && existsSync(closedMark(path))) return null;
  let fd: number;
  try {
    fd = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK | fsc.O_NOFOLLOW);
  } catch {
    return null; // no buffer (the container has not run yet, or is gone): the input goes nowhere
  }
  const socket = new Socket({ fd, readable: false, writable: true });
  socket.on('error', () => {}); // the container may end without reading it all
  return { path, socket, get destroyed() { return socket.destroyed || socket.writableEnded; }, end: () => void socket.end() };
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
