/**
 * The control socket: JSON lines over a Unix socket. Requests on one connection are answered in
 * order, one reply line per request line.
 */
import net from 'node:net';
import { parseRequest, type AgentReply, type AgentRequest } from './protocol.js';

export type Handler = (request: AgentRequest) => Promise<AgentReply> | AgentReply;

/** Longest accepted request line (a sync of many pods is large, but not this large). */
const MAX_LINE = 64 * 1024 * 1024;

/**
 * `admit` decides, before any request of a connection is answered, whether its peer may use the
 * socket (peer.ts): a refusal is the one reply the peer gets, then the connection ends.
 */
export function serveControl(handler: Handler, afterReply: (request: AgentRequest) => void, admit?: (conn: net.Socket) => Promise<string | undefined>): net.Server {
  return net.createServer((conn) => {
    let buffered = '';
    let refused: string | undefined;
    let chain: Promise<void> = admit === undefined ? Promise.resolve() : admit(conn).then((why) => {
      if (why === undefined) return;
      refused = why;
      conn.end(`${JSON.stringify({ ok: false, error: why })}\n`);
    });
    conn.setEncoding('utf8');
    conn.on('error', () => {}); // a client that went away is not our problem
    conn.on('data', (chunk: string) => {
      if (refused !== undefined) return;
      buffered += chunk;
      if (buffered.length > MAX_LINE) {
        conn.end(`${JSON.stringify({ ok: false, error: 'request line too long' })}\n`);
        buffered = '';
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        chain = chain.then(() => answer(line));
      }
    });

    async function answer(line: string): Promise<void> {
      if (refused !== undefined) return;
      const parsed = parseRequest(line);
      let reply: AgentReply;
      if ('error' in parsed) reply = { ok: false, error: parsed.error };
      else {
        try {
          reply = await handler(parsed.request);
        } catch (err) {
          reply = { ok: false, error: (err as Error).message };
        }
      }
      await new Promise<void>((resolve) => {
        if (conn.destroyed) return resolve();
        conn.write(`${JSON.stringify(reply)}\n`, () => resolve());
      });
      if (!('error' in parsed)) afterReply(parsed.request);
    }
  });
}
