/**
 * Connections to endpoints: one keep-alive http.Agent per endpoint (IP:port), reused across
 * route table updates and dropped when the endpoint leaves every backend; round-robin over a
 * backend's endpoints.
 */
import http from 'node:http';
import type { Target, Upstream } from './routes.js';

/** Idle upstream connections are closed after this, before a backend's own keep-alive timeout (5 s in Node). */
const IDLE_MS = 4_000;
const MAX_IDLE_PER_ENDPOINT = 256;

export class UpstreamPool {
  private readonly agents = new Map<string, http.Agent>();
  private readonly turn = new Map<string, number>();

  /** The next endpoint of the backend (round-robin); undefined when it has none. */
  pick(target: Target): Upstream | undefined {
    const eps = target.endpoints;
    if (eps.length === 0) return undefined;
    const n = this.turn.get(target.backend) ?? 0;
    this.turn.set(target.backend, (n + 1) % eps.length);
    return eps[n % eps.length];
  }

  agent(up: Upstream): http.Agent {
    const key = `${up.ip}:${up.port}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1_000, maxFreeSockets: MAX_IDLE_PER_ENDPOINT, timeout: IDLE_MS, scheduling: 'lifo' });
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Closes the pools of endpoints that are no longer in `live` ("ip:port" keys). */
  retain(live: ReadonlySet<string>): void {
    for (const [key, agent] of this.agents) {
      if (live.has(key)) continue;
      agent.destroy();
      this.agents.delete(key);
    }
    for (const backend of [...this.turn.keys()]) if (!live.has(`backend:${backend}`)) this.turn.delete(backend);
  }

  close(): void {
    this.retain(new Set());
  }
}

/** Every "ip:port" and "backend:<name>" a set of targets uses (what `retain` keeps). */
export function liveKeys(targets: Iterable<Target>): Set<string> {
  const out = new Set<string>();
  for (const t of targets) {
    out.add(`backend:${t.backend}`);
    for (const e of t.endpoints) out.add(`${e.ip}:${e.port}`);
  }
  return out;
}
