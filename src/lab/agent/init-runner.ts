/**
 * A pod's init containers, run as init-sequence.ts decides: each to completion, in order, under
 * the init restart policy (OnFailure, or Never in a Never pod); sidecars started and kept
 * running. An init container with nothing to run on this host (no command, or its program is
 * not here: the entrypoint rule, model/entrypoint.ts) cannot complete anything: it counts as
 * completed at once, and its log says so.
 */
import fs from 'node:fs';
import { BuiltinContainer } from './builtin-container.js';
import { CommandContainer } from './command-container.js';
import type { HealthCheckRunner } from './health/checker.js';
import { initRestartPolicy, initStatusText, nextInitStep, type InitEntry } from './init-sequence.js';
import { containerLogPath } from './paths.js';
import { isCommandContainer, type ContainerSpec, type ContainerStatus, type PodSpec } from './protocol.js';
import { noteLogLine } from '../../servers/workload/response.js';

const POLL_MS = 100;

/** An init container with nothing to run here: completed (exit 0) as soon as it is created. */
class SkippedInit {
  constructor(stateDir: string, pod: PodSpec, readonly spec: ContainerSpec) {
    const why = spec.builtin ?? 'it has no command (its image entrypoint is not on this host)';
    fs.appendFile(containerLogPath(stateDir, pod.namespace, pod.name, spec.name), noteLogLine(new Date(), `init container not run: ${why}; counted as completed (exit 0)`), () => {});
  }
  status(): ContainerStatus {
    return { name: this.spec.name, kind: 'builtin', state: 'exited', restarts: 0, ready: false, started: false, exitCode: 0 };
  }
  async stop(): Promise<void> {}
}

export interface InitDeps {
  stateDir: string;
  netns: string;
  log: (line: string) => void;
  /** The probe runner of init container `spec` (command: the running one, for exec probes in its sandbox). */
  runner: (spec: ContainerSpec, command: () => CommandContainer | undefined) => HealthCheckRunner;
  startBuiltins: (b: BuiltinContainer[]) => Promise<string[]>;
}

export class InitRunner {
  private readonly created: (CommandContainer | BuiltinContainer | SkippedInit | undefined)[];
  private stopped = false;

  constructor(private readonly pod: PodSpec, private readonly specs: ContainerSpec[], private readonly deps: InitDeps) {
    this.created = specs.map(() => undefined);
  }

  private entries(): InitEntry[] {
    return this.specs.map((s, i) => ({ sidecar: s.sidecar === true, status: this.created[i]?.status() }));
  }

  /** Runs the sequence; resolves true when the app containers may start, false when the pod failed or stopped. */
  async run(): Promise<boolean> {
    while (!this.stopped) {
      const step = nextInitStep(this.entries());
      if (step.action === 'done') return true;
      if (step.action === 'failed') {
        this.deps.log(`${this.pod.key}: init container ${this.specs[step.index].name} failed; the pod will not start (restartPolicy Never)`);
        return false;
      }
      if (step.action === 'wait') await new Promise((r) => setTimeout(r, POLL_MS));
      else await this.startOne(step.index);
    }
    return false;
  }

  private async startOne(i: number): Promise<void> {
    const spec = this.specs[i];
    const sidecar = spec.sidecar === true;
    const { stateDir, netns, log, runner } = this.deps;
    if (isCommandContainer(spec)) {
      const c: CommandContainer = new CommandContainer(stateDir, netns, { ...this.pod, restartPolicy: initRestartPolicy(this.pod.restartPolicy, sidecar) }, spec, log, runner(spec, () => c));
      this.created[i] = c;
      await c.start();
    } else if (sidecar) {
      const b = new BuiltinContainer(stateDir, this.pod, spec, runner(spec, () => undefined));
      this.created[i] = b;
      const problems = await this.deps.startBuiltins([b]);
      if (problems.length > 0) log(`${this.pod.key}: sidecar ${spec.name}: ${problems.join('; ')}`);
    } else this.created[i] = new SkippedInit(stateDir, this.pod, spec);
  }

  statuses(): (ContainerStatus | null)[] {
    return this.created.map((c) => c?.status() ?? null);
  }

  /** Init:N/M, Init:Error, Init:CrashLoopBackOff; undefined once done. */
  statusText(): string | undefined {
    return initStatusText(this.entries());
  }

  /** Sidecars count for the pod's readiness ("ready" when they have no readinessProbe and run). */
  sidecarsReady(): boolean {
    return this.specs.every((s, i) => !s.sidecar || this.created[i]?.status().ready === true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.created.map((c) => c?.stop()));
  }
}
