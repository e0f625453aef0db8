/**
 * The remote-command stream protocol of pods/NAME/exec over WebSocket, as kubectl speaks it
 * (k8s.io/apimachinery/pkg/util/remotecommand, k8s.io/client-go/tools/remotecommand): the
 * subprotocols, the channel framing of binary messages, the request's options and the Status
 * that ends a command. Pure.
 */
import { badRequest } from './errors.js';

/**
 * "v5.channel.k8s.io ... adds support for a CLOSE signal"; "v4.channel.k8s.io ... adds support
 * for exit codes". kubectl 1.32 offers v5 only ("Only supports V5 protocol for correct version
 * skew functionality"); v4 is served too, for older clients. Earlier versions carry no exit code.
 */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

/** "The first three identifiers (for STDIN, STDOUT, STDERR) are the same as their file descriptors." */
export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** The error channel: one Status (JSON) when the command has ended. */
export const ERROR = 3;
/** Terminal size ({"Width","Height"}), sent with a TTY only. */
export const RESIZE = 4;

/** A resize message's payload as the pty helper's "COLUMNS ROWS" line; undefined when it is not one. */
export function resizeLine(payload: Uint8Array): string | undefined {
  let size: unknown;
  try {
    size = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  const { Width: w, Height: h } = (size ?? {}) as { Width?: unknown; Height?: unknown };
  const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 65536;
  return ok(w) && ok(h) ? `${w} ${h}\n` : undefined;
}
/** v5: payload is the channel the sender is done writing ("half-closes the stream"). */
export const CLOSE = 255;

/** The protocol we speak of those the client offers, ours in our order of preference; undefined for none. */
export function pickProtocol(offered: Iterable<string>): ExecProtocol | undefined {
  const set = new Set(offered);
  return EXEC_PROTOCOLS.find((p) => set.has(p));
}

/** A message on `channel`: its number as the first byte, then the data. */
export function frame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.alloc(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** A received message as channel and payload; undefined for an empty one (it names no channel). */
export function unframe(data: Uint8Array): { channel: number; payload: Uint8Array } | undefined {
  if (data.length === 0) return undefined;
  return { channel: data[0]!, payload: data.subarray(1) };
}

export interface ExecOptions { command: string[]; container?: string; stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }

const flag = (q: URLSearchParams, name: string) => ['true', '1'].includes(q.get(name) ?? '');

/** PodExecOptions from the query (command repeated, one argument each). */
export function execOptions(q: URLSearchParams): ExecOptions {
  const command = q.getAll('command');
  const container = q.get('container') ?? '';
  const o: ExecOptions = { command, ...(container !== '' ? { container } : {}), stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') };
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  if (!o.stdin && !o.stdout && !o.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  // "If TTY is true, stderr is merged into stdout" (client-go remotecommand): no stream of its own.
  if (o.tty && o.stderr) o.stderr = false;
  return o;
}

/**
 * The Status written on the error channel when the command ends. As the kubelet: success is
 * `Status: Success`; an exit code is `Reason: NonZeroExitCode` with a cause `ExitCode` whose
 * message is the code ("command terminated with non-zero exit code: %v" of the exit error),
 * which kubectl turns into its own exit code.
 */
export function exitStatus(code: number): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** A failure that is not an exit code (the command could not run): kubectl prints its message. */
export function failureStatus(message: string, reason = 'InternalError', code = 500): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason, details: { causes: [{ message }] }, code };
}
