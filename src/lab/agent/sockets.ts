/**
 * The agent's side of bootstrap.ts: open a pod's listening sockets inside its network namespace
 * through a short-lived child (nsenter --net) and receive them as live handles.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnv } from './paths.js';
import { forgetPid, recordPid } from './pidfiles.js';

export interface WantedPort {
  port: number;
  protocol: 'TCP' | 'UDP';
  /** The address to bind; absent: every address (0.0.0.0). */
  host?: string;
  /** SO_REUSEADDR: a UDP wildcard socket and one bound to an address of the same port (nodeAddressed). */
  reuseAddr?: boolean;
}

/**
 * The sockets for a pod's ports. A hostNetwork pod's UDP port gets a second socket bound to the
 * pod's IP (its node's address) beside the wildcard one: a reply from a wildcard socket leaves
 * from the address the route back prefers — for a pod on the same node, the node's pod gateway
 * (lo), not the address it was sent to — and a connected client drops it. The kernel gives each
 * datagram to the socket bound to its destination address first, which answers from that address.
 */
export function nodeAddressed(ports: readonly WantedPort[], hostNetworkIP?: string): WantedPort[] {
  if (!hostNetworkIP) return [...ports];
  return ports.flatMap((p) => (p.protocol !== 'UDP' ? [p] : [{ ...p, reuseAddr: true }, { ...p, host: hostNetworkIP, reuseAddr: true }]));
}

const portId = (p: WantedPort): string => `${p.protocol}/${p.host ?? '*'}/${p.port}`;

export type OpenedPort =
  | (WantedPort & { protocol: 'TCP'; server: net.Server })
  | (WantedPort & { protocol: 'UDP'; socket: dgram.Socket })
  | (WantedPort & { error: string });

const BOOTSTRAP_TIMEOUT_MS = 15_000;
/** After the child exits, handles already on their way still need a moment to be emitted. */
const EXIT_GRACE_MS = 500;
/** A child asked to stop is killed when it has not answered after this long. */
const STOP_GRACE_MS = 5_000;

/** bootstrap.js next to this module (bootstrap.ts when running from source under tsx). */
function bootstrapScript(): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `bootstrap${path.extname(self)}`);
}

/**
 * Attempts per port whose bootstrap failed for a passing reason (it timed out, or its child
 * exited or never started): on a loaded machine — several labs starting at once — the child can
 * take longer than its timeout to come up, and a pod must not stay ContainerCreating for that.
 * A refusal of the port itself (e.g. EADDRINUSE) is not retried.
 */
const ATTEMPTS = 3;
const RETRY_AFTER_MS = 1_000;
const TRANSIENT = /^(bootstrap timed out|bootstrap exited|no answer|cannot start bootstrap)/;

/**
 * Opens `ports` inside `netns`; every port comes back either opened or with an error. `log`
 * hears of each attempt that failed for a passing reason and is tried again.
 */
export async function openPorts(stateDir: string, netns: string, ports: WantedPort[], log?: (line: string) => void, timeoutMs = BOOTSTRAP_TIMEOUT_MS): Promise<OpenedPort[]> {
  const done = new Map<string, OpenedPort>();
  const id = portId;
  let todo = ports;
  for (let attempt = 1; attempt <= ATTEMPTS && todo.length > 0; attempt++) {
    // Before another attempt, the killed child's sockets get a moment to be closed by its exit.
    if (attempt > 1) await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
    const opened = await openPortsOnce(stateDir, netns, todo, timeoutMs);
    for (const o of opened) done.set(id(o), o);
    const again = attempt < ATTEMPTS ? opened.filter((o): o is WantedPort & { error: string } => 'error' in o && TRANSIENT.test(o.error)) : [];
    for (const o of again) log?.(`${netns}: ${o.protocol}/${o.port}: attempt ${attempt} of ${ATTEMPTS}: ${o.error}; trying again`);
    // Only what was wanted: an old error passed along came back with the socket and made an
    // opened port look failed (its listener left open: every later attempt got EADDRINUSE).
    todo = again.map((o) => ports.find((p) => id(p) === id(o))!);
  }
  return ports.map((p) => done.get(id(p))!);
}

function openPortsOnce(stateDir: string, netns: string, ports: WantedPort[], timeoutMs: number): Promise<OpenedPort[]> {
  if (ports.length === 0) return Promise.resolve([]);
  // nsenter joins the network namespace only: sockets need nothing else. `ip netns exec` also
  // makes a mount namespace and remounts /sys, whose cost grows with the host's mount table (every
  // sandbox's mounts) — with several labs starting at once the child took over 15 s to come up.
  const argv = [`--net=/run/netns/${netns}`, '--', process.execPath, ...process.execArgv, bootstrapScript(), JSON.stringify(ports)];
  const child = spawn('nsenter', argv, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: baseEnv(stateDir) });
  if (child.pid !== undefined) recordPid(stateDir, child.pid);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-2000)));

  return new Promise((resolve) => {
    const results = new Map<string, OpenedPort>();
    const id = portId;
    let finished = false;
    let gaveUp: string | undefined;
    const finish = (why?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      const reason = `${why ?? 'no answer'}${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
      resolve(ports.map((p) => results.get(id(p)) ?? { ...p, error: reason }));
    };
    // On timeout the child is asked to stop, never killed first: with its channel closed while
    // a socket is being received (Node converts a received handle asynchronously, and drops it
    // when the channel is gone by then) this process holds a listener nobody serves — every
    // retry of that port failed with EADDRINUSE. The child closes what it has not sent and
    // says how many messages it sent; once all of them are here the channel is closed, and
    // what arrived is used. Only a child that does not answer is killed. setImmediate: under
    // load the timer can come due in the same loop turn as the answer it waits for; I/O first.
    let expected = Infinity;
    let received = 0;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (finished) return;
          gaveUp = `bootstrap timed out after ${timeoutMs} ms`;
          if (!child.connected) return finish(gaveUp);
          child.send({ stop: true }, (err) => void (err && finish(gaveUp)));
          setTimeout(() => {
            if (finished) return;
            child.kill('SIGKILL');
            finish(gaveUp);
          }, STOP_GRACE_MS).unref();
        }),
      timeoutMs,
    );
    const settle = (): void => {
      if (results.size === ports.length || received >= expected) finish(gaveUp);
    };

    child.on('message', (msg: WantedPort & { error?: string; stopped?: boolean; sent?: number }, handle: unknown) => {
      if (finished) return closeLate(handle);
      if (msg.stopped) {
        expected = msg.sent ?? 0;
        return settle();
      }
      received++;
      const wanted = ports.find((p) => id(p) === id(msg)) ?? { port: msg.port, protocol: msg.protocol, host: msg.host };
      if (msg.error !== undefined) results.set(id(wanted), { ...wanted, error: msg.error });
      else if (msg.protocol === 'TCP' && handle instanceof net.Server) {
        results.set(id(wanted), { ...wanted, protocol: 'TCP', server: handle });
      } else if (msg.protocol === 'UDP' && handle instanceof dgram.Socket) {
        results.set(id(wanted), { ...wanted, protocol: 'UDP', socket: handle });
      } else results.set(id(wanted), { ...wanted, error: 'bootstrap sent no socket' });
      settle();
    });
    child.on('error', (err) => finish(`cannot start bootstrap: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) forgetPid(stateDir, child.pid);
      setTimeout(() => finish(gaveUp ?? `bootstrap exited (${signal ?? code})`), EXIT_GRACE_MS);
    });
  });
}

/** A socket that arrived after we gave up on its bootstrap: nobody will serve it, so close it. */
function closeLate(handle: unknown): void {
  if (handle instanceof net.Server) handle.close();
  else if (handle instanceof dgram.Socket) handle.close();
}
