/**
 * A container without a command: podnet's built-in server, run by the agent itself on sockets
 * opened inside the pod's namespace (see sockets.ts). No process per pod, only sockets.
 */
import fs from 'node:fs';
import type { ContainerSpec, ContainerStatus, PodSpec } from './protocol.js';
import { containerLogPath } from './paths.js';
import type { OpenedPort } from './sockets.js';
import { serveHttp, serveUdp, type Served } from '../../servers/workload/serve.js';
import { noteLogLine, type ServerIdentity } from '../../servers/workload/response.js';
import { ContainerHealthChecker, type HealthCheckRunner } from './health/checker.js';
import { builtinTlsContext } from '../../servers/workload/tls.js';

export class BuiltinContainer {
  private readonly served: Served[] = [];
  private readonly logStream: fs.WriteStream;
  private readonly id: ServerIdentity;
  private state: ContainerStatus['state'] = 'waiting';
  private startedAt: string | undefined;
  private failed = false;
  private readonly health: ContainerHealthChecker;
  /** Set when liveness failed; cleared when a liveness probe passes again (see healthCheckFailed). */
  private unhealthy = false;

  constructor(stateDir: string, pod: PodSpec, readonly spec: ContainerSpec, runner: HealthCheckRunner) {
    this.id = { namespace: pod.namespace, pod: pod.name, podIP: pod.ip, node: pod.node, container: spec.name };
    this.logStream = fs.createWriteStream(containerLogPath(stateDir, pod.namespace, pod.name, spec.name), { flags: 'a' });
    this.logStream.on('error', () => {}); // a lost log line must not take the agent down
    this.health = new ContainerHealthChecker(spec, runner, {
      kill: (reason) => this.healthCheckFailed(reason),
      note: (text) => this.note(text),
      result: (role, ok) => {
        if ((role === 'liveness' || role === 'startup') && ok) this.unhealthy = false;
      },
    });
    if (spec.builtin) this.note(spec.builtin);
  }

  /**
   * A liveness (or startup) probe failed failureThreshold times. There is no process to kill:
   * the built-in server stands in for the image. The container is NOT restarted (its restart
   * count stays); the failure is noted in its log, it is marked not ready, and its probes start
   * a new run — it is ready again once a liveness or startup probe passes (and its readiness
   * probe, which starts over too).
   */
  private healthCheckFailed(reason: string): void {
    this.note(`${reason}: the built-in server is not restarted; not ready until its probes pass`);
    this.unhealthy = true;
    this.health.containerStarted();
  }

  /** The TCP and UDP ports this container serves; SCTP ones are noted in its log and skipped. */
  wantedPorts(): { port: number; protocol: 'TCP' | 'UDP' }[] {
    const out: { port: number; protocol: 'TCP' | 'UDP' }[] = [];
    for (const p of this.spec.ports) {
      if (p.protocol === 'SCTP') this.note(`SCTP/${p.containerPort} skipped: SCTP is not served by the built-in server`);
      else out.push({ port: p.containerPort, protocol: p.protocol });
    }
    return out;
  }

  /** Serves one socket opened for this container; returns an error message when it failed. */
  attach(opened: OpenedPort): string | undefined {
    const log = (line: string): void => void this.logStream.write(line);
    if ('error' in opened) {
      this.failed = true;
      this.note(`cannot listen on ${opened.protocol}/${opened.port}: ${opened.error}`);
      return `${opened.protocol}/${opened.port}: ${opened.error}`;
    }
    const tlsPort = this.spec.ports.some((p) => p.tls && p.protocol === 'TCP' && p.containerPort === opened.port);
    if (opened.protocol === 'TCP') this.served.push(serveHttp(opened.server, this.id, opened.port, log, tlsPort ? builtinTlsContext() : undefined));
    else this.served.push(serveUdp(opened.socket, this.id, opened.port, log));
    return undefined;
  }

  /** Called once every wanted port was attached (or failed). */
  markStarted(): void {
    if (this.failed) return;
    this.state = 'running';
    this.startedAt = new Date().toISOString();
    this.health.containerStarted();
    const ports = this.spec.ports.filter((p) => p.protocol !== 'SCTP').map((p) => `${p.protocol}/${p.containerPort}${p.tls ? ' (TLS, self-signed)' : ''}`);
    this.note(ports.length > 0 ? `built-in server on ${ports.join(', ')}` : 'built-in server: no TCP or UDP ports to serve');
  }

  /** Listening on every port (SCTP ports excepted), started and passing its probes. */
  ready(): boolean {
    return this.state === 'running' && !this.unhealthy && this.health.ready();
  }

  status(): ContainerStatus {
    const started = this.state === 'running' && this.health.started();
    return { name: this.spec.name, kind: 'builtin', state: this.state, restarts: 0, ready: this.ready(), started, ...(this.startedAt && this.state === 'running' ? { startedAt: this.startedAt } : {}) };
  }

  async stop(): Promise<void> {
    this.health.close();
    await Promise.all(this.served.map((s) => s.close()));
    this.served.length = 0;
    this.state = 'exited';
    await new Promise<void>((resolve) => this.logStream.end(resolve));
  }

  private note(text: string): void {
    this.logStream.write(noteLogLine(new Date(), text));
  }
}
