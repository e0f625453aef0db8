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

export class BuiltinContainer {
  private readonly served: Served[] = [];
  private readonly logStream: fs.WriteStream;
  private readonly id: ServerIdentity;
  private state: ContainerStatus['state'] = 'waiting';
  private failed = false;

  constructor(stateDir: string, pod: PodSpec, readonly spec: ContainerSpec) {
    this.id = { namespace: pod.namespace, pod: pod.name, podIP: pod.ip, node: pod.node, container: spec.name };
    this.logStream = fs.createWriteStream(containerLogPath(stateDir, pod.namespace, pod.name, spec.name), { flags: 'a' });
    this.logStream.on('error', () => {}); // a lost log line must not take the agent down
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
    if (opened.protocol === 'TCP') this.served.push(serveHttp(opened.server, this.id, opened.port, log));
    else this.served.push(serveUdp(opened.socket, this.id, opened.port, log));
    return undefined;
  }

  /** Called once every wanted port was attached (or failed). */
  markStarted(): void {
    if (this.failed) return;
    this.state = 'running';
    const ports = this.spec.ports.filter((p) => p.protocol !== 'SCTP').map((p) => `${p.protocol}/${p.containerPort}`);
    this.note(ports.length > 0 ? `built-in server on ${ports.join(', ')}` : 'built-in server: no TCP or UDP ports to serve');
  }

  /** Listening on every port (SCTP ports excepted). */
  ready(): boolean {
    return this.state === 'running';
  }

  status(): ContainerStatus {
    return { name: this.spec.name, kind: 'builtin', state: this.state, restarts: 0 };
  }

  async stop(): Promise<void> {
    await Promise.all(this.served.map((s) => s.close()));
    this.served.length = 0;
    this.state = 'exited';
    await new Promise<void>((resolve) => this.logStream.end(resolve));
  }

  private note(text: string): void {
    this.logStream.write(noteLogLine(new Date(), text));
  }
}
