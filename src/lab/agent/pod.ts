/**
 * One pod on this node: its built-in containers (sockets held by the agent) and its command
 * containers (supervised processes), all in the pod's network namespace.
 */
import { BuiltinContainer } from './builtin-container.js';
import { CommandContainer } from './command-container.js';
import type { Limiter } from './limit.js';
import { isCommandContainer, type ContainerSpec, type PodSpec, type PodStatus } from './protocol.js';
import type { LifecycleHandler } from '../../model/types.js';
import { nodeAddressed, openPorts, type WantedPort } from './sockets.js';
import type { HealthCheckRunner } from './health/checker.js';
import { runExecCheck } from './health/exec-check.js';
import { programOnHost } from '../../host/which.js';
import { InitRunner } from './init-runner.js';
import type { NodeHealthChecker } from './health/node-checker.js';
import { execArgv } from './sandbox-argv.js';
import { containerArgvSandboxed, createVolumes, newLayer, removeLayer, removeVolumes } from './sandbox.js';
import { resolveSecurity } from './security.js';

/** kubelet's minimumGracePeriodInSeconds: what a container gets after a preStop hook that used up the grace period. */
const MIN_GRACE_AFTER_HOOK_MS = 2_000;

export interface PodContext {
  stateDir: string;
  /** The node's namespace, used by hostNetwork pods (spec.netns === null). */
  nodeNetns: string;
  /** Bounds how many bootstrap children run at once, across all pods. */
  bootstraps: Limiter;
  /** Runs httpGet/tcpSocket/grpc probes from the node's namespace. */
  healthChecker: NodeHealthChecker;
  log: (line: string) => void;
}

export class PodRuntime {
  private readonly containers: (BuiltinContainer | CommandContainer)[];
  private readonly inits: InitRunner | undefined;
  private stopped = false;
  /** Starting failed (e.g. a port in use): the next sync replaces the pod instead of keeping it. */
  failed = false;

  constructor(readonly spec: PodSpec, private readonly ctx: PodContext) {
    const netns = spec.netns ?? ctx.nodeNetns;
    this.containers = spec.containers.map((c) => {
      if (!isCommandContainer(c)) return new BuiltinContainer(ctx.stateDir, spec, c, this.healthCheckRunner(c, () => undefined));
      const container: CommandContainer = new CommandContainer(ctx.stateDir, netns, spec, c, ctx.log, this.healthCheckRunner(c, () => container));
      return container;
    });
    if (spec.initContainers && spec.initContainers.length > 0) {
      this.inits = new InitRunner(spec, spec.initContainers, { stateDir: ctx.stateDir, netns, log: ctx.log, runner: (c, command) => this.healthCheckRunner(c, command), startBuiltins: (b) => this.startBuiltins(b) });
    }
  }

  /**
   * Probes as kubelet runs them: network ones from the node's namespace to the pod IP (a probe's
   * `host` overrides it; a hostNetwork pod's IP is its node's), exec ones inside the pod's
   * namespace. A command container's exec probe runs inside its sandbox, with its credentials
   * (as kubelet's exec does). A built-in container has no image binaries: its exec probe runs
   * the host's program, when there is one, in a sandbox of its own made for that one run (the
   * container's securityContext, a writable layer that goes with it); otherwise it is skipped and
   * passes, which its log notes once.
   */
  private healthCheckRunner(spec: ContainerSpec, command: () => CommandContainer | undefined): HealthCheckRunner {
    return {
      run: (handler, timeoutMs) => {
        // A hostNetwork pod without an IP (a bare agent client) listens in the node's own namespace.
        if (handler.kind !== 'exec') return this.ctx.healthChecker.check(handler, this.spec.ip || '127.0.0.1', timeoutMs);
        const container = command();
        if (container !== undefined) {
          const pid = container.sandboxPid();
          if (pid === undefined) return Promise.resolve({ ok: false, message: 'container is not running' });
          return runExecCheck(this.ctx.stateDir, execArgv(pid, container.security, handler.command), timeoutMs);
        }
        // The entrypoint rule (model/entrypoint.ts): an exec probe runs whenever its program is on the host.
        if (!programOnHost(handler.command[0] ?? '')) return Promise.resolve({ ok: true, message: `exec probe skipped: ${JSON.stringify(handler.command[0] ?? '')} is not on this host and a built-in container has no image to run it in; counted as passing` });
        const layer = newLayer(this.ctx.stateDir, `${this.spec.namespace}_${this.spec.name}_${spec.name}-probe`);
        const security = spec.security ?? resolveSecurity(undefined, undefined);
        const argv = containerArgvSandboxed(this.ctx.stateDir, this.netns, this.spec, spec, security, handler.command, layer);
        return runExecCheck(this.ctx.stateDir, argv, timeoutMs).finally(() => removeLayer(layer));
      },
    };
  }

  get netns(): string {
    return this.spec.netns ?? this.ctx.nodeNetns;
  }

  /**
   * Starts every container; resolves when the pod is ready or failed. Returns problems found.
   * With init containers it resolves at once: they run in order, then the app containers start.
   */
  async start(): Promise<string[]> {
    const all = [...this.spec.containers, ...(this.spec.initContainers ?? [])];
    if (all.some((c) => isCommandContainer(c))) createVolumes(this.ctx.stateDir, this.spec);
    if (!this.inits) return this.startApps();
    void this.inits.run().then(async (ok) => {
      if (ok && !this.stopped) await this.startApps();
    });
    return [];
  }

  private async startApps(): Promise<string[]> {
    const builtins = this.containers.filter((c): c is BuiltinContainer => c instanceof BuiltinContainer);
    const commands = this.containers.filter((c): c is CommandContainer => c instanceof CommandContainer);
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
    const sockets = nodeAddressed(wanted, this.spec.netns === null ? this.spec.ip : undefined);
    const opened =
      sockets.length === 0 ? [] : await this.ctx.bootstraps.run(() => openPorts(this.ctx.stateDir, this.netns, sockets, this.ctx.log));
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
    const ending = this.ending ? { terminating: true as const, ...(this.ended ? { stopped: true as const } : {}) } : {};
    if (!this.inits) return { key: this.spec.key, ready: containers.every((c) => c.ready), containers, ...ending };
    const ready = this.inits.statusText() === undefined && this.inits.sidecarsReady() && containers.every((c) => c.ready);
    return { key: this.spec.key, ready, containers, initContainers: this.inits.statuses(), ...ending };
  }

  /**
   * Stops every container (command ones: SIGTERM, SIGKILL after `graceMs`, default 2 s). With
   * `hooks` (a graceful deletion) each container's preStop hook runs first, within the grace period.
   */
  async stop(graceMs?: number, hooks = false): Promise<void> {
    if (this.ending) return this.ending; // terminating: it ends as that termination does
    this.stopped = true;
    const start = Date.now();
    const stopOne = async (c: BuiltinContainer | CommandContainer) => {
      let grace = graceMs;
      if (hooks && c.spec.preStop && graceMs !== undefined) {
        await this.preStop(c, c.spec.preStop, graceMs);
        // kubelet: the grace period left after the hook, never below its minimum of 2 s.
        grace = Math.max(graceMs - (Date.now() - start), MIN_GRACE_AFTER_HOOK_MS);
      }
      await (c instanceof CommandContainer ? c.stop(grace) : c.stop());
    };
    await Promise.all([...this.containers.map(stopOne), this.inits?.stop()]);
    removeVolumes(this.ctx.stateDir, this.spec);
  }

  /**
   * Runs a container's preStop hook for at most `budgetMs`: an exec one inside its sandbox (as
   * an exec probe runs), an HTTP GET from the node to the pod, a sleep. A failure is logged; the
   * container is stopped anyway, as kubelet does (its event FailedPreStopHook).
   */
  private async preStop(c: BuiltinContainer | CommandContainer, hook: LifecycleHandler, budgetMs: number): Promise<void> {
    if (hook.kind === 'sleep') {
      return new Promise((r) => {
        const timer = setTimeout(r, Math.min(hook.seconds * 1000, budgetMs));
        this.hurry.signal.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
      });
    }
    const runner = this.healthCheckRunner(c.spec, () => (c instanceof CommandContainer ? c : undefined));
    const result = await runner.run(hook, Math.max(1, budgetMs)).catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    if (!result.ok) this.ctx.log(`${this.spec.key}/${c.spec.name}: FailedPreStopHook: ${result.message ?? 'the hook failed'}`);
  }

  /** The graceful deletion under way (terminate), and whether it has ended. */
  private ending: Promise<void> | undefined;
  private ended = false;

  /**
   * The pod is being deleted: its containers are stopped in the background, each given
   * `graceMs` between SIGTERM and SIGKILL; status() says so, and says when all have stopped.
   */
  terminate(graceMs: number): void {
    if (this.ending) return;
    this.ending = this.stop(graceMs, true).then(
      () => void (this.ended = true),
      (e: unknown) => {
        this.ended = true;
        this.ctx.log(`${this.spec.key}: stopping: ${(e as Error).message}`);
      },
    );
  }

  /** Being deleted gracefully (terminate was called). */
  get terminating(): boolean {
    return this.ending !== undefined;
  }

  /** Aborted by kill(): sleeping preStop hooks end at once. */
  private readonly hurry = new AbortController();

  /**
   * Ends a termination under way now (the lab wants the pod gone: a pod of its name is to run,
   * or a deletion with grace period 0): sleeping hooks end, every process gets SIGKILL.
   */
  async kill(): Promise<void> {
    if (!this.ending) return this.stop(0);
    this.hurry.abort();
    for (const c of this.containers) if (c instanceof CommandContainer) c.kill();
    await this.ending;
  }
}
