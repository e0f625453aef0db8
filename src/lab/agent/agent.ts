/**
 * The agent's state: the pods running on this node, reconciled to what each sync asks for.
 * Syncs and shutdown run one at a time, in arrival order; status answers at any time.
 */
import { Limiter } from './limit.js';
import { NodeHealthChecker } from './health/node-checker.js';
import { PodRuntime, type PodContext } from './pod.js';
import type { AgentReply, PodSpec, PodStatus, PodTermination } from './protocol.js';

/** How many bootstrap children (one per pod with built-in ports) may run at once. */
export const BOOTSTRAP_CONCURRENCY = 4;

export interface AgentOptions {
  stateDir: string;
  node: string;
  nodeNetns: string;
  log: (line: string) => void;
}

export class Agent {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly ctx: PodContext;
  private queue: Promise<unknown> = Promise.resolve();
  /** Set by shutdown: later syncs are refused. */
  private closed = false;

  constructor(private readonly opts: AgentOptions) {
    this.ctx = {
      stateDir: opts.stateDir,
      nodeNetns: opts.nodeNetns,
      bootstraps: new Limiter(BOOTSTRAP_CONCURRENCY),
      healthChecker: new NodeHealthChecker(opts.stateDir, opts.nodeNetns, opts.log),
      log: opts.log,
    };
  }

  /** Runs `task` after every previously queued sync/shutdown has finished. */
  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => {});
    return result;
  }

  status(): AgentReply {
    return { ok: true, pods: this.statuses() };
  }

  sync(specs: PodSpec[], terminate: readonly PodTermination[] = []): Promise<AgentReply> {
    return this.serialize(async (): Promise<AgentReply> => {
      if (this.closed) return { ok: false, error: 'agent is shutting down' };
      const foreign = specs.filter((s) => s.node !== this.opts.node).map((s) => `${s.key} (node ${s.node})`);
      if (foreign.length > 0) {
        return { ok: false, error: `pods for another node, this agent runs ${this.opts.node}: ${foreign.join(', ')}` };
      }
      const wanted = new Map(specs.map((s) => [s.key, s]));
      const ending = new Map(terminate.map((t) => [t.key, t]));
      // Being deleted gracefully: stopped in the background, reported until a sync names it no more.
      for (const p of this.pods.values()) if (!wanted.has(p.spec.key) && ending.has(p.spec.key)) p.terminate(ending.get(p.spec.key)!.graceMs);
      // Unchanged = same key, same hash, started fine: left alone (same processes, same sockets).
      const stale = [...this.pods.values()].filter((p) => {
        const w = wanted.get(p.spec.key);
        if (w === undefined) return !ending.has(p.spec.key);
        // A pod of that name to run again while the old one terminates: the old one ends, a new one starts.
        return w.hash !== p.spec.hash || p.failed || p.terminating;
      });
      // Stop first: a changed pod's new incarnation needs the ports the old one holds. A pod still
      // terminating that the lab no longer names is ended now (SIGKILL).
      await Promise.all(stale.map((p) => (p.terminating ? p.kill() : p.stop())));
      for (const p of stale) this.pods.delete(p.spec.key);

      const fresh = specs.filter((s) => !this.pods.has(s.key)).map((s) => new PodRuntime(s, this.ctx));
      for (const p of fresh) this.pods.set(p.spec.key, p);
      const started = Date.now();
      const problems = (await Promise.all(fresh.map((p) => p.start()))).flat();
      this.opts.log(
        `sync: ${specs.length} pods, ${stale.length} stopped, ${fresh.length} started in ${Date.now() - started} ms` +
          (problems.length > 0 ? `, ${problems.length} problems` : ''),
      );
      const pods = this.statuses();
      return problems.length > 0 ? { ok: false, error: problems.join('; '), pods } : { ok: true, pods };
    });
  }

  /** Stops every pod; the agent accepts no more syncs afterwards. */
  shutdown(): Promise<void> {
    return this.serialize(async () => {
      const all = [...this.pods.values()];
      await Promise.all(all.map((p) => p.stop()));
      this.pods.clear();
      this.ctx.healthChecker.close();
      this.closed = true;
    });
  }

  private statuses(): PodStatus[] {
    return [...this.pods.values()].map((p) => p.status()).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
