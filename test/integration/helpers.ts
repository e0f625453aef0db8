/**
 * Helpers for the lab integration tests: run the real CLI (`node --import tsx src/cli/main.ts`)
 * against a lab of a unique name and its own PODNET_STATE_ROOT, probe with real packets from
 * inside pods (`podnet exec`) and nodes (`ip netns exec`), and clean up by exact name.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO } from '../helpers/cli.js';

export { REPO, SHARED, HAVE_SHARED } from '../helpers/cli.js';

/** Root, and the `ip` tool: the lab tests create network namespaces. */
export const CAN_RUN_LAB = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;

export const FIXTURES = join(REPO, 'test', 'fixtures', 'lab');
export const fixture = (name: string): string => join(FIXTURES, name);

/** A fresh lab name: `it` (or another prefix) + 6 random [a-z0-9] characters. */
export function uniqueLabName(prefix = 'it'): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = prefix;
  for (let i = 0; i < 6; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  key: string;
  ip: string;
  node: string;
  phase: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  containers: { name: string; ports: { containerPort: number; protocol: string }[] }[];
}

export interface NodeInfo {
  name: string;
  ip: string;
  podCidr: string;
  labels: Record<string, string>;
}

/** What one probe reports; `body` is the server's JSON reply (HTTP body or UDP datagram). */
export interface ProbeResult {
  proto: 'http' | 'udp' | 'tcp';
  host: string;
  port: number;
  ok: boolean;
  status?: number;
  error?: string;
  body?: Record<string, unknown>;
}

/** The fields of `podnet get pods -o json` items the tests read. */
interface PodItem {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName?: string; hostNetwork?: boolean; containers?: { name: string; ports?: { containerPort: number; protocol?: string }[] }[] };
  status: { phase: string; podIP?: string };
}

interface NodeItem {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { podCIDR: string };
  status: { addresses: { type: string; address: string }[] };
}

export interface ProbeTarget {
  proto: 'http' | 'udp' | 'tcp';
  host: string;
  port: number;
  path?: string;
}

/**
 * A client run with `node -e` inside a pod or node namespace: probes every target at once
 * (HTTP GET, UDP datagram with resends, or a bare TCP connect) and prints one JSON array.
 */
export const PROBE_SCRIPT = `
const http = require('http'), dgram = require('dgram'), net = require('net');
const targets = JSON.parse(process.argv[1]);
const one = (t) => new Promise((res) => {
  let finished = false, cleanup = () => {};
  const done = (r) => { if (finished) return; finished = true; clearTimeout(timer); cleanup(); res({ ...t, ...r }); };
  const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), 5000);
  if (t.proto === 'http') {
    const req = http.get({ host: t.host, port: t.port, path: t.path || '/probe', agent: false }, (r) => {
      let b = ''; r.setEncoding('utf8'); r.on('data', (d) => (b += d));
      r.on('end', () => { try { done({ ok: true, status: r.statusCode, body: JSON.parse(b) }); } catch { done({ ok: false, error: 'not JSON: ' + b }); } });
    });
    req.on('error', (e) => done({ ok: false, error: e.message }));
    cleanup = () => req.destroy();
  } else if (t.proto === 'udp') {
    const s = dgram.createSocket('udp4');
    const send = () => s.send('probe', t.port, t.host, () => {});
    const again = setInterval(send, 500);
    cleanup = () => { clearInterval(again); try { s.close(); } catch {} };
    s.on('message', (m) => { let body; try { body = JSON.parse(m.toString()); } catch { body = { raw: m.toString() }; } done({ ok: true, body }); });
    s.on('error', (e) => done({ ok: false, error: e.message }));
    send();
  } else {
    const c = net.connect(t.port, t.host, () => done({ ok: true }));
    c.on('error', (e) => done({ ok: false, error: e.message }));
    cleanup = () => c.destroy();
  }
});
Promise.all(targets.map(one)).then((r) => { process.stdout.write(JSON.stringify(r) + '\\n'); process.exit(0); });
`;

function parseProbe(out: CliResult, where: string): ProbeResult[] {
  const line = out.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult[];
  } catch {
    throw new Error(`probe from ${where} printed no result (exit ${out.code}): ${out.stdout}${out.stderr}`);
  }
}

/** Spawns a command, collects its output; kills it after `timeoutMs`. */
export function spawnCollect(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** Names of the network namespaces whose name starts with `prefix`. */
export function netnsWithPrefix(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n !== '' && n.startsWith(prefix));
}

/** PIDs of live (non-zombie) processes whose environment contains exactly `entry`. */
export function processesWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(f) || Number(f) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${f}/environ`, 'latin1').split('\0').includes(entry)) out.push(Number(f));
    } catch {
      /* gone, or not readable */
    }
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** One lab under test: its name, its own state root, and the CLI bound to both. */
export class TestLab {
  readonly name: string;
  private root: string | undefined;

  constructor(prefix = 'it') {
    this.name = uniqueLabName(prefix);
  }

  /** The lab's own PODNET_STATE_ROOT: a fresh temporary directory, made on first use. */
  get stateRoot(): string {
    this.root ??= mkdtempSync(join(tmpdir(), `podnet-${this.name}-`));
    return this.root;
  }

  /** The lab's state directory (what agents and containers carry as PODNET_STATE_DIR). */
  get stateDir(): string {
    return resolve(this.stateRoot, this.name);
  }

  /** The kubeconfig `up` writes the lab's context to (in the lab's temporary state root). */
  get kubeconfig(): string {
    return join(this.stateRoot, 'kubeconfig');
  }

  get netnsPrefix(): string {
    return `pn-${this.name}_`;
  }

  nodeNetns(node: string): string {
    return `${this.netnsPrefix}${node}`;
  }

  env(): NodeJS.ProcessEnv {
    // `up` merges the lab's context into $KUBECONFIG: a file of the test's own, never ~/.kube/config.
    const env: NodeJS.ProcessEnv = { ...process.env, PODNET_STATE_ROOT: this.stateRoot, KUBECONFIG: this.kubeconfig };
    delete env.PODNET_DEBUG;
    delete env.PODNET_STATE_DIR;
    return env;
  }

  /** The CLI argv for `podnet <command> --name LAB <rest...>`. */
  argv(command: string, rest: readonly string[] = []): string[] {
    // Cluster DNS is on by default; tests that are not about DNS leave it out (fewer pods, faster).
    // Those about DNS never forward to the host's resolvers: `none` unless they name an upstream.
    const dns = command !== 'up' ? [] : !rest.includes('--dns') ? ['--no-dns'] : rest.includes('--dns-upstream') ? [] : ['--dns-upstream', 'none'];
    return [process.execPath, '--import', 'tsx', 'src/cli/main.ts', command, '--name', this.name, ...dns, ...rest];
  }

  cli(command: string, rest: readonly string[] = [], timeoutMs = 120_000): Promise<CliResult> {
    return spawnCollect(this.argv(command, rest), { env: this.env(), timeoutMs });
  }

  /** Starts the CLI without waiting (for the SIGKILL test). */
  spawn(command: string, rest: readonly string[] = []): ChildProcess {
    return spawn(this.argv(command, rest)[0], this.argv(command, rest).slice(1), { cwd: REPO, env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(command: string, rest: readonly string[] = []): Promise<string> {
    const r = await this.cli(command, rest);
    if (r.code !== 0) throw new Error(`podnet ${command} ${rest.join(' ')} --name ${this.name} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  up(rest: readonly string[]): Promise<string> {
    return this.ok('up', rest);
  }

  async pods(): Promise<PodInfo[]> {
    const list = JSON.parse(await this.ok('get', ['pods', '-A', '-o', 'json'])) as { items: PodItem[] };
    return list.items.map((p) => ({
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      ip: p.status.podIP ?? '',
      node: p.spec.nodeName ?? '',
      phase: p.status.phase,
      hostNetwork: p.spec.hostNetwork === true,
      labels: p.metadata.labels ?? {},
      containers: (p.spec.containers ?? []).map((c) => ({ name: c.name, ports: (c.ports ?? []).map((x) => ({ containerPort: x.containerPort, protocol: x.protocol ?? 'TCP' })) })),
    }));
  }

  /** `get pods -A` as a table: NAME → READY column (e.g. "2/2"). */
  async readyColumn(): Promise<Map<string, { ready: string; status: string }>> {
    const out = await this.ok('get', ['pods', '-A']);
    const rows = out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    return new Map(rows.map((r) => [`${r[0]}/${r[1]}`, { ready: r[2], status: r[3] }]));
  }

  async nodes(): Promise<NodeInfo[]> {
    const list = JSON.parse(await this.ok('get', ['nodes', '-o', 'json'])) as { items: NodeItem[] };
    return list.items.map((n) => ({
      name: n.metadata.name,
      labels: n.metadata.labels ?? {},
      ip: n.status.addresses.find((a) => a.type === 'InternalIP')!.address,
      podCidr: n.spec.podCIDR,
    }));
  }

  /** `podnet exec --name LAB POD -- argv...` */
  exec(pod: string, argv: readonly string[]): Promise<CliResult> {
    return this.cli('exec', [pod, '--', ...argv], 60_000);
  }

  /** Probes every target from inside a pod (through `podnet exec`). */
  async probeFromPod(pod: string, targets: readonly ProbeTarget[]): Promise<ProbeResult[]> {
    return parseProbe(await this.exec(pod, ['node', '-e', PROBE_SCRIPT, JSON.stringify(targets)]), `pod ${pod}`);
  }

  /** Probes every target from a node's namespace (`ip netns exec pn-LAB_NODE`). */
  async probeFromNode(node: string, targets: readonly ProbeTarget[]): Promise<ProbeResult[]> {
    const r = await spawnCollect(['ip', 'netns', 'exec', this.nodeNetns(node), process.execPath, '-e', PROBE_SCRIPT, JSON.stringify(targets)], { timeoutMs: 30_000 });
    return parseProbe(r, `node ${node}`);
  }

  /**
   * The network namespace a pod runs in, as the pod itself sees it: the inode of its
   * /proc/self/ns/net, matched on the host against /run/netns (which the sandbox hides from pods).
   */
  async podNetns(pod: string): Promise<string> {
    const r = await this.exec(pod, ['readlink', '/proc/self/ns/net']);
    if (r.code !== 0) throw new Error(`podnet exec ${pod} -- readlink /proc/self/ns/net: exit ${r.code}: ${r.stderr}`);
    const inode = /net:\[(\d+)\]/.exec(r.stdout)?.[1];
    return readdirSync('/run/netns').find((n) => String(statSync(join('/run/netns', n)).ino) === inode) ?? '';
  }

  /**
   * Always safe to call: `podnet down`, then — only if something is still there — removes what
   * this lab left by exact name (its namespaces, processes carrying its state dir), and the
   * state root. Returns the problems found, for a test to assert on if it wants to.
   */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    if (this.root === undefined) return problems; // never used (e.g. its tests were skipped)
    try {
      const r = await this.cli('down', [], 60_000);
      if (r.code !== 0) problems.push(`podnet down: exit ${r.code}: ${r.stderr}`);
    } catch (e) {
      problems.push(`podnet down: ${(e as Error).message}`);
    }
    for (const pid of processesWithEnv(`PODNET_STATE_DIR=${this.stateDir}`)) {
      problems.push(`process ${pid} of the lab survived down`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of netnsWithPrefix(this.netnsPrefix)) {
      problems.push(`namespace ${ns} survived down`);
      spawnSync('ip', ['netns', 'del', ns]);
    }
    if (existsSync(this.stateRoot)) rmSync(this.stateRoot, { recursive: true, force: true });
    return problems;
  }
}

/** What podnet must leave unchanged in the root namespace: link names, routes, nft tables. */
export interface RootSnapshot {
  links: string[];
  routes: string[];
  nftTables: string;
}

export function rootSnapshot(): RootSnapshot {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(':')[1].trim().split('@')[0])
    .sort();
  const routes = execFileSync('ip', ['route', 'show', 'table', 'all'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
  const nft = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return { links, routes, nftTables: nft.status === 0 ? nft.stdout : `nft unavailable: ${nft.error?.message ?? nft.stderr}` };
}

/** Finds a pod by its name prefix (Deployment pods carry generated suffixes). */
export function podsNamed(pods: readonly PodInfo[], prefix: string, namespace = 'default'): PodInfo[] {
  return pods.filter((p) => p.namespace === namespace && (p.name === prefix || p.name.startsWith(`${prefix}-`)));
}

/** Whether the real kubectl is installed (the lab API's tests need it). */
export const HAVE_KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** The real kubectl against `lab`'s API (its kubeconfig): text output, `input` on stdin. */
export function kubectlFor(lab: TestLab, timeoutMs = 60_000): (args: string[], input?: string) => SpawnSyncReturns<string> {
  return (args, input) => spawnSync('kubectl', ['--kubeconfig', lab.kubeconfig, ...args], { encoding: 'utf8', timeout: timeoutMs, input });
}
