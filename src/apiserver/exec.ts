/**
 * pods/NAME/exec (`kubectl exec`) over WebSocket: the request is checked before the upgrade (a
 * Status with its code, as any error), then the command runs in the pod's container sandbox
 * (src/lab/exec.ts) with its stdin, stdout and stderr on channels 0, 1, 2 and its end as a
 * Status on channel 3. SPDY (the fallback of kubectl, by POST) is answered with the same checks
 * and then a 400 that says podnet speaks WebSocket only. With a TTY (-t) the command runs on a
 * pseudo-terminal of its own (lab/exec.ts ttyCommand): its output on channel 1, resizes (channel 4)
 * applied to the terminal.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { killGroup, removeExecLayer, startExec, ttyCommand, type SandboxedExec } from '../lab/exec.js';
import { ApiError, badRequest, statusObject } from './errors.js';
import { CLOSE, ERROR, EXEC_PROTOCOLS, execOptions, exitStatus, failureStatus, frame, pickProtocol, RESIZE, resizeLine, STDERR, STDIN, STDOUT, unframe, type ExecOptions, type ExecProtocol } from './exec-stream.js';
import type { Writable } from 'node:stream';
import { Outflow } from './flow.js';
import { containerOf } from './logs.js';
import { findResource } from './resources.js';
import type { Store } from './store.js';

/** Runs nothing yet: the argv for `command` in container `container` of pod `ns/name` (LabError if it cannot). */
export type ExecRunner = (key: string, container: string, command: string[]) => Promise<SandboxedExec>;

const pods = findResource('', 'v1', 'pods')!;

/** The checks of every exec request: the pod (404), the options and the container (400). */
export function checkExec(store: Store, namespace: string, name: string, q: URLSearchParams): ExecOptions & { container: string } {
  const pod = store.mustGet(pods, namespace, name).obj;
  const o = execOptions(q);
  return { ...o, container: containerOf(pod, o.container ?? null) };
}

/** An exec request without an upgrade (SPDY's POST, or a plain GET): checked, then refused. */
export function refuseNonWebSocket(store: Store, namespace: string, name: string, q: URLSearchParams): never {
  checkExec(store, namespace, name, q);
  throw badRequest(`podnet serves pods/exec over WebSocket only (subprotocols ${EXEC_PROTOCOLS.join(', ')}); SPDY is not supported`);
}

/** An HTTP answer on a socket that asked to upgrade (nothing was upgraded). */
export function refuseUpgrade(socket: Duplex, e: ApiError): void {
  const body = JSON.stringify(statusObject(e));
  socket.end(`HTTP/1.1 ${e.code} ${STATUS_CODES[e.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol(offered) ?? false });

/** Checks, prepares the command, upgrades and runs it; every refusal is an ApiError (thrown before the upgrade). */
export async function upgradeExec(req: IncomingMessage, socket: Duplex, head: Buffer, store: Store, namespace: string, name: string, q: URLSearchParams, runner: ExecRunner): Promise<void> {
  const o = checkExec(store, namespace, name, q);
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const protocol = pickProtocol(offered);
  if (!protocol) throw badRequest(`unable to upgrade: none of the subprotocols ${JSON.stringify(offered.filter(Boolean))} is supported (podnet speaks ${EXEC_PROTOCOLS.join(', ')})`);
  let exec: SandboxedExec;
  try {
    exec = await runner(`${namespace}/${name}`, o.container, o.tty ? ttyCommand(o.command) : o.command);
  } catch (e) {
    if ((e as Error).name === 'LabError') throw badRequest((e as Error).message);
    throw e;
  }
  if (socket.destroyed) return removeExecLayer(exec);
  wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, protocol, o, exec));
}

const bytes = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));

function runExec(ws: WebSocket, protocol: ExecProtocol, o: ExecOptions, exec: SandboxedExec): void {
  let flow: Outflow | null = null;
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState !== ws.OPEN) return;
    const f = frame(channel, data);
    // Called once the frame is written out to the socket: the command waits for a slow client.
    ws.send(f, flow ? flow.sent(f.length) : undefined);
  };
  const stdio = [o.stdin ? 'pipe' : 'ignore', o.stdout ? 'pipe' : 'ignore', o.stderr ? 'pipe' : 'ignore', ...(o.tty ? ['pipe'] : [])] as ('pipe' | 'ignore')[];
  const child = startExec(exec, stdio, true, (end) => {
    send(ERROR, JSON.stringify('code' in end ? exitStatus(end.code) : failureStatus(`error executing command in container: ${end.error}`)));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  flow = new Outflow([child.stdout, child.stderr]);
  child.stdout?.on('data', (d: Buffer) => send(STDOUT, d));
  child.stderr?.on('data', (d: Buffer) => send(STDERR, d));
  child.stdin?.on('error', () => {}); // the command may end without reading its input
  const sizes = o.tty ? (child.stdio[3] as Writable | null) : null;
  sizes?.on('error', () => {});
  let inputHeld = false;
  ws.on('message', (data) => {
    const f = unframe(bytes(data));
    if (!f) return;
    // The other way: a command that reads its input slower than the client sends it holds the client.
    if (f.channel === STDIN) {
      if (child.stdin?.write(f.payload) === false && !inputHeld) {
        inputHeld = true;
        ws.pause();
        child.stdin.once('drain', () => {
          inputHeld = false;
          ws.resume();
        });
      }
    }
    // v5: "CLOSE signal" for stdin is the client's EOF; v4 has none (stdin ends with the socket).
    else if (f.channel === CLOSE && protocol === 'v5.channel.k8s.io' && f.payload[0] === STDIN) child.stdin?.end();
    else if (f.channel === RESIZE && sizes !== null) {
      const line = resizeLine(f.payload);
      if (line !== undefined) sizes.write(line);
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    child.stdin?.end();
    killGroup(child); // the client went first: so does the command
  });
}
