/**
 * One pod on this node: its built-in containers (sockets held by the agent) and its command
 * containers (supervised processes), all in the pod's network namespace.
 */
import { BuiltinContainer } from './builtin-container.js';
import { CommandContainer } from './command-container.js';
import type { Limiter } from './limit.js';
import { isCommandContainer, type PodSpec, type PodStatus } from './protocol.js';
import { openPorts, type WantedPort } from './sockets.js';
import type { ProbeRunner } from './container-prober.js';
import { runExecProbe } from './exec-probe.js';
import type { NodeProber } from './node-prober.js';
import { execArgv } from './sandbox-argv.js';
import { createVolumes, removeVolumes } from './sandbox.js';

export interface PodContext {
  stateDir: string;
  /** The node's namespace, used by hostNetwork pods (spec.netns === null). */
  nodeNetns: string;
  /** Bounds how many bootstrap children run at once, across all pods. */
  bootstraps: Limiter;
  /** Runs httpGet/tcpSocket/grpc probes from the node's namespace. */
  prober: NodeProber;
  log: (line: string) => void;
}

export class PodRuntime {
  private readonly containers: (BuiltinContainer | CommandContainer)[];
  /** Starting failed (e.g. a port in use): the next sync replaces the pod instead of keeping it. */
  failed = false;

  constructor(readonly spec: PodSpec, private readonly ctx: PodContext) {
    const netns = spec.netns ?? ctx.nodeNetns;
    this.containers = spec.containers.map((c) => {
      if (!isCommandContainer(c)) return new BuiltinContainer(ctx.stateDir, spec, c, this.probeRunner(() => undefined));
      const container: CommandContainer = new CommandContainer(ctx.stateDir, netns, spec, c, ctx.log, this.probeRunner(() => container));
      return container;
    });
  }

  /**
   * Probes as kubelet runs them: network ones from the node's namespace to the pod IP (a probe's
   * `host` overrides it; a hostNetwork pod's IP is its node's), exec ones inside the pod's
   * namespace. A built-in container has no image binaries to exec: its exec probes are skipped
   * and pass (the built-in server stands in for the image), which its log notes once. A command
   * container's exec probe runs inside its sandbox, with its credentials (as kubelet's exec does).
   */
  private probeRunner(command: () => CommandContainer | undefined): ProbeRunner {
    return {
      run: (handler, timeoutMs) => {
        // A hostNetwork pod without an IP (a bare agent client) listens in the node's own namespace.
        if (handler.kind !== 'exec') return this.ctx.prober.probe(handler, this.spec.ip || '127.0.0.1', timeoutMs);
        const container = command();
        if (container === undefined) return Promise.resolve({ ok: true, message: 'exec probe skipped: a built-in container has no image to run it in; counted as passing' });
        const pid = container.sandboxPid();
        if (pid === undefined) return Promise.resolve({ ok: false, message: 'container is not running' });
        return runExecProbe(this.ctx.stateDir, execArgv(pid, container.security, handler.command), timeoutMs);
      },
    };
  }

  get netns(): string {
    return this.spec.netns ?? this.ctx.nodeNetns;
  }

  /** Starts every container; resolves when the pod is ready or failed. Returns problems found. */
  async start(): Promise<string[]> {
    const builtins = this.containers.filter((c): c is BuiltinContainer => c instanceof BuiltinContainer);
    const commands = this.containers.filter((c): c is CommandContainer => c instanceof CommandContainer);
    if (commands.length > 0) createVolumes(this.ctx.stateDir, this.spec);
    const [builtinProblems, refused] = await Promise.all([this.startBuiltins(builtins), Promise.all(commands.map((c) => c.start()))]);
    const problems = [...builtinProblems, ...refused.filter((r): r is string => r !== undefined)];
    if (problems.length > 0) {
      this.failed = true;
      this.ctx.log(`${this.spec.key}: ${problems.join('; ')}`);
    }
    return problems.map((p) => `${this.spec.key}: ${p}`);
  }

  /** Opens all built-in ports of the pod through one bootstrap child and serves them. */
  private async startBuiltins(builtins: BuiltinContainer[]): Promise<string[]> {
    const problems: string[] = [];
    const owner = new Map<string, BuiltinContainer>();
    const wanted: WantedPort[] = [];
    for (const b of builtins) {
      for (const w of b.wantedPorts()) {
        const id = `${w.protocol}/${w.port}`;
        if (owner.has(id)) problems.push(`${b.spec.name}: ${id} is already used by ${owner.get(id)!.spec.name}`);
        else {
          owner.set(id, b);
          wanted.push(w);
        }
      }
    }
    const opened =
      wanted.length === 0 ? [] : await this.ctx.bootstraps.run(() => openPorts(this.ctx.stateDir, this.netns, wanted));
    for (const o of opened) {
      const problem = owner.get(`${o.protocol}/${o.port}`)!.attach(o);
      if (problem !== undefined) problems.push(problem);
    }
    if (problems.length === 0) for (const b of builtins) b.markStarted();
    return problems;
  }

  /**
   * Ready when every container is ready: running (a built-in one listening on its ports), past
   * its startupProbe and passing its readinessProbe, if it has them.
   */
  status(): PodStatus {
    const containers = this.containers.map((c) => c.status());
    return { key: this.spec.key, ready: containers.every((c) => c.ready), containers };
  }

  async stop(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.stop()));
    removeVolumes(this.ctx.stateDir, this.spec);
  }

  /** PID 1 of a running command container's sandbox (the named one, else the first), for exec. */
  execTarget(container?: string): { pid: number; security: CommandContainer['security'] } | undefined {
    const commands = this.containers.filter((c): c is CommandContainer => c instanceof CommandContainer && (container === undefined || c.spec.name === container));
    for (const c of commands) {
      const pid = c.sandboxPid();
      if (pid !== undefined) return { pid, security: c.security };
    }
    return undefined;
  }
}
