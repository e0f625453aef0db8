/**
 * `podnet ui`'s HTTP server, on 127.0.0.1 only: the page (page.ts + the bundle), the pure JSON
 * endpoints (api.ts), POST /api/probe (real probes, a lab as root) and GET /api/events —
 * server-sent events: `changed` when the lab changed (the page fetches again), `flows` with the
 * connections the lab's monitor wrote to flows.jsonl since the last batch (every 100 ms).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFlowLines } from '../flows/format.js';
import type { FlowRecord } from '../flows/attribute.js';
import { BadRequest, handleGet, queryPort, queryProtocol } from './api.js';
import { pageHtml } from './page.js';
import type { UiSource } from './sources.js';
import { LineTail } from './tail.js';

const FLOW_BATCH_MS = 100;
/** Flows kept for a page that connects later. */
const HISTORY = 2_000;

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** Only requests naming this server (no DNS rebinding: another name resolving to 127.0.0.1). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

export async function startUiServer(source: UiSource, options: { port?: number; bundle: string }): Promise<UiServer> {
  const clients = new Set<ServerResponse>();
  const history: FlowRecord[] = [];
  const send = (event: string, data: string) => {
    for (const c of clients) c.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  let version = 0;
  source.onChange(() => send('changed', String(++version)));
  const tail = source.flowsPath ? new LineTail(source.flowsPath) : null;
  const flowTimer = tail
    ? setInterval(() => {
        const flows = parseFlowLines(tail.readNew().join('\n'));
        if (flows.length === 0) return;
        history.push(...flows);
        if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
        send('flows', JSON.stringify(flows));
      }, FLOW_BATCH_MS)
    : null;
  const boot = { kind: 'live' as const, lab: source.lab, probes: source.probe !== null, flows: tail !== null };
  const html = pageHtml(options.bundle, boot, source.lab ? `podnet ui — ${source.lab}` : 'podnet ui');

  const server = createServer((req, res) => {
    void serve(req, res).catch((e: unknown) => json(res, 500, { error: (e as Error).message }));
  });
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, (server.address() as AddressInfo).port)) return json(res, 403, { error: 'unexpected Host header' });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return void res.end(html);
    }
    if (req.method === 'GET' && url.pathname === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: hello\ndata: ${version}\n\n`);
      if (history.length > 0) res.write(`event: flows\ndata: ${JSON.stringify(history)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/api/probe') {
      // A custom header: a page of another origin cannot send it without a preflight we refuse.
      if (req.headers['x-podnet'] !== '1') return json(res, 403, { error: 'missing X-Podnet header' });
      if (!source.probe) return json(res, 501, { error: source.lab ? 'real probes need root' : 'no lab: real probes need a running lab' });
      try {
        const port = queryPort(url.searchParams, true)!;
        const protocol = queryProtocol(url.searchParams);
        if (protocol === 'SCTP') throw new BadRequest('protocol: SCTP cannot be probed on this kernel');
        return json(res, 200, await source.probe(port, protocol));
      } catch (e) {
        if (e instanceof BadRequest) return json(res, 400, { error: e.message });
        throw e;
      }
    }
    if (req.method === 'GET') {
      const r = handleGet(url.pathname, url.searchParams, source.context());
      if (r) return json(res, r.status, r.body);
    }
    json(res, 404, { error: `no ${req.method} ${url.pathname}` });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      if (flowTimer) clearInterval(flowTimer);
      source.close();
      for (const c of clients) c.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive sockets of a page would hold close() open
      await closed;
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
