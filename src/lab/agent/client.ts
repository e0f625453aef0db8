/** Talking to an agent: one request, one reply, over its control socket. */
import net from 'node:net';
import type { AgentReply, AgentRequest } from './protocol.js';

export function agentRequest(socketPath: string, request: AgentRequest, timeoutMs = 120_000): Promise<AgentReply> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let buffered = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`agent at ${socketPath}: no reply to ${request.op} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      try {
        resolve(JSON.parse(buffered.slice(0, nl)) as AgentReply);
      } catch {
        reject(new Error(`agent at ${socketPath}: reply is not JSON`));
      }
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`agent at ${socketPath}: ${err.message}`));
    });
    conn.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`agent at ${socketPath}: connection closed without a reply`));
    });
  });
}
