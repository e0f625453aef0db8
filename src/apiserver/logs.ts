/**
 * GET pods/NAME/log (`kubectl logs`): a container's output from the lab's log files, as text;
 * `container` (required when the pod has more than one), `tailLines`, `limitBytes`, and
 * `follow` (new output written as it comes, until the client goes, the pod is deleted, or
 * `timeoutSeconds`-less forever). As kubelet, the current instance of the container, or with
 * `previous` the one before it (the log's run index, src/lab/agent/log-runs.ts). podnet's log
 * files carry no timestamps: `sinceSeconds`, `sinceTime` and `timestamps` are answered with a
 * 400 that says so rather than with output that would be wrong.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { instanceRange, runStarts } from '../lab/agent/log-runs.js';
import { ApiError, badRequest } from './errors.js';
import { findResource } from './resources.js';
import type { Obj, Store } from './store.js';

/** Where a container's output is (src/lab/agent/paths.ts containerLogPath for a lab). */
export type LogFile = (namespace: string, pod: string, container: string) => string;

const POLL_MS = 200;
const pods = findResource('', 'v1', 'pods')!;
type Raw = Record<string, unknown>;

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((c) => String((c as Raw).name ?? '')) : [];
}

/** The container a request names (or the only one), as the API server checks it for log and exec. */
export function containerOf(pod: Obj, asked: string | null): string {
  const spec = (pod.spec ?? {}) as Raw;
  const app = names(spec.containers);
  const init = names(spec.initContainers);
  const name = pod.metadata.name;
  if (asked === null || asked === '') {
    if (app.length === 1) return app[0];
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${app.join(' ')}]${init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : ''}`);
  }
  if (!app.includes(asked) && !init.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** The last `lines` lines of `text` ("If set, the number of lines from the end of the logs to show"). */
export function tail(text: Buffer, lines: number): Buffer {
  if (lines <= 0) return Buffer.alloc(0);
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--; // a final newline ends the last line, it starts none
  let at = end;
  for (let n = 0; n < lines; n++) {
    const nl = text.lastIndexOf(0x0a, at - 1);
    if (nl < 0) return text;
    at = nl;
    if (n === lines - 1) return text.subarray(nl + 1);
  }
  return text;
}

function readFrom(path: string, offset: number, end: number | null = null): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = Math.min(statSync(path).size, end ?? Infinity);
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${name}: Invalid value: ${JSON.stringify(v)}: must be a non-negative integer`);
  return Number(v);
}

export function serveLog(req: IncomingMessage, res: ServerResponse, store: Store, namespace: string, name: string, q: URLSearchParams, logFile: LogFile): void {
  const pod = store.mustGet(pods, namespace, name).obj;
  const container = containerOf(pod, q.get('container'));
  for (const p of ['sinceSeconds', 'sinceTime']) if (q.get(p) !== null) throw badRequest(`${p} is not supported: podnet's container logs carry no timestamps`);
  if (q.get('timestamps') === 'true') throw badRequest('timestamps are not supported: podnet\'s container logs carry no timestamps');
  const tailLines = intParam(q, 'tailLines');
  let budget = intParam(q, 'limitBytes') ?? Infinity;
  const path = logFile(namespace, name, container);
  const previous = q.get('previous') === 'true';
  const range = instanceRange(runStarts(path), previous ? 'previous' : 'current');
  if (!range) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  if (!existsSync(path)) {
    const phase = ((pod.status ?? {}) as Raw).phase;
    if (phase === 'Pending' || phase === undefined) throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  const write = (b: Buffer) => {
    const part = b.length > budget ? b.subarray(0, budget) : b;
    budget -= part.length;
    if (part.length > 0) res.write(part);
    return budget > 0;
  };
  let offset = range.start;
  if (existsSync(path)) {
    const all = readFrom(path, range.start, range.end);
    offset += all.length;
    if (!write(tailLines === undefined ? all : tail(all, tailLines))) return void res.end();
  }
  // A terminated instance's log is complete: nothing to follow.
  if (q.get('follow') !== 'true' || range.end !== null) return void res.end();
  const timer = setInterval(() => {
    if (!store.get(pods, namespace, name)) return stop(); // the pod is gone: so is its log stream
    if (!existsSync(path)) return;
    const more = readFrom(path, offset);
    offset += more.length;
    if (more.length > 0 && !write(more)) stop();
  }, POLL_MS);
  const stop = () => {
    clearInterval(timer);
    res.end();
  };
  req.on('close', () => clearInterval(timer));
}
