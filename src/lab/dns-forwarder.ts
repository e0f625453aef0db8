/**
 * The lab's DNS forwarder process (src/dns/forwarder.ts): `--dns-upstream` is resolved once, at
 * `up` (`host`: the host's /etc/resolv.conf as it is then), and the forwarder is started in the
 * root namespace when there is an upstream — and again by a later apply if it died. It carries
 * the lab's PODNET_STATE_DIR and its PID is recorded under pids/, so `podnet down` ends it like
 * every other process of the lab, also after a crash.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { relaySocket } from '../dns/exchange.js';
import { forwarderDir } from '../dns/forwarder.js';
import { formatUpstream, parseUpstreamSpec, upstreamsFor, type Upstream } from '../model/dns-upstream.js';
import { isAlive, startedFor } from './agent/cleanup.js';
import { baseEnv, pidsDir } from './agent/paths.js';
import { recordPid } from './agent/pidfiles.js';
import { programCommand } from './program.js';
import { labDir, saveState, type LabState } from './state.js';

const START_TIMEOUT_MS = 10_000;

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Resolves the upstreams at the first call (up), then keeps a forwarder running for them. */
export async function ensureDnsForwarder(state: LabState): Promise<void> {
  if (!state.config.dns) return;
  if (!state.dnsForwarder) {
    const spec = parseUpstreamSpec(state.config.dnsUpstream ?? 'host');
    if ('error' in spec) throw new Error(`--dns-upstream: ${spec.error}`); // validated before
    state.dnsForwarder = { upstreams: upstreamsFor(spec, hostResolvConf) };
    saveState(state);
  }
  const fwd = state.dnsForwarder;
  if (fwd.upstreams.length === 0) return;
  const dir = labDir(state.config.name);
  if (fwd.pid !== undefined && isAlive(fwd.pid) && startedFor(fwd.pid, dir)) return;
  fwd.pid = await startForwarder(dir, fwd.upstreams);
  saveState(state);
}

async function startForwarder(stateDir: string, upstreams: readonly Upstream[]): Promise<number> {
  const dir = forwarderDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(pidsDir(stateDir), { recursive: true });
  const logPath = join(dir, 'forwarder.log');
  const log = openSync(logPath, 'a');
  const [cmd, ...args] = programCommand('dns/forwarder-main');
  const child = spawn(cmd, [...args, dir, ...upstreams.map(formatUpstream)], { detached: true, stdio: ['ignore', log, log], env: baseEnv(stateDir), cwd: '/' });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`the DNS forwarder did not start; see ${logPath}`);
  recordPid(stateDir, child.pid);
  // Ready when both sockets accept connections.
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if ((await Promise.all((['udp', 'tcp'] as const).map((t) => listening(relaySocket(dir, t))))).every(Boolean)) return child.pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the DNS forwarder did not start; see ${logPath}`);
}

function listening(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const c = net.connect({ path }, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}
