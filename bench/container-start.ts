/**
 * Pod start with command containers, sandboxed against unsandboxed, in the same run: one node
 * agent starts PODS pods (default 100), each in its own network namespace with one command
 * container `sh -c 'echo started; exec sleep 3600'`. Timed from the sync request until every
 * container's log says "started" (the command really runs, past the whole sandbox set-up). The
 * baseline agent runs with --unsandboxed-baseline (`ip netns exec NETNS COMMAND`, as before the
 * sandbox). Runs alternate, median of 3 each. Also the steady RSS of agent + every container
 * process. Targets: sandboxed ≤ 1.3× unsandboxed; ≤ 1 GiB for 100 pods. Root only:
 *
 *   npm run build && node --import tsx bench/container-start.ts [PODS]
 *
 * Creates namespaces pnc-<random>-<i> (loopback only) and deletes them, whatever happens.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentRequest } from '../src/lab/agent/client.js';
import { killRecordedProcesses } from '../src/lab/agent/cleanup.js';
import type { PodSpec } from '../src/lab/agent/protocol.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const count = Number(process.argv[2] ?? 100);
const tag = Math.random().toString(36).slice(2, 8).padEnd(6, '0');
const names = Array.from({ length: count }, (_, i) => `pnc-${tag}-${i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every live process carrying the run's state directory (agent, container processes). */
function labProcesses(stateDir: string): number[] {
  const marker = `PODNET_STATE_DIR=${stateDir}`;
  return fs.readdirSync('/proc').filter((f) => /^\d+$/.test(f)).map(Number).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
    } catch {
      return false;
    }
  });
}

async function oneRun(sandboxed: boolean): Promise<{ ms: number; rssMiB: number; processes: number }> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'podnet-bench-'));
  const dist = path.join(repo, 'dist/lab/agent/main.js');
  const entry = fs.existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src/lab/agent/main.ts')];
  const args = [...entry, '--state-dir', stateDir, '--node', 'bench', '--node-netns', names[0]!, ...(sandboxed ? [] : ['--unsandboxed-baseline'])];
  const agent = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PODNET_STATE_DIR: stateDir } });
  const sock = path.join(stateDir, 'agents', 'bench.sock');
  try {
    for (let i = 0; i < 200 && !fs.existsSync(path.join(stateDir, 'agents', 'bench.pid')); i++) await sleep(50);
    const pods: PodSpec[] = names.map((netns, i) => ({
      key: `bench/pod-${i}`, hash: '1', namespace: 'bench', name: `pod-${i}`, node: 'bench', ip: `10.244.0.${i}`, netns,
      containers: [{ name: 'app', command: ['sh', '-c', 'echo started; exec sleep 3600'], ports: [] }],
    }));
    const logs = names.map((_, i) => path.join(stateDir, 'logs', `bench_pod-${i}_app.log`));
    const t0 = performance.now();
    const reply = await agentRequest(sock, { op: 'sync', pods }, 300_000);
    if (!reply.ok) throw new Error(`sync failed: ${reply.error}`);
    const started = (f: string) => {
      try {
        return fs.readFileSync(f, 'utf8').includes('started');
      } catch {
        return false;
      }
    };
    let pending = logs;
    while ((pending = pending.filter((f) => !started(f))).length > 0) {
      if (performance.now() - t0 > 120_000) throw new Error(`${pending.length} containers never started`);
      await sleep(5);
    }
    const ms = performance.now() - t0;
    await sleep(500);
    const procs = labProcesses(stateDir);
    const rssMiB = procs.reduce((sum, p) => sum + rssKiB(p), 0) / 1024;
    await agentRequest(sock, { op: 'shutdown' }, 60_000);
    return { ms, rssMiB, processes: procs.length };
  } finally {
    try {
      process.kill(agent.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    killRecordedProcesses(stateDir, { graceMs: 500 });
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(): Promise<number> {
  const created: string[] = [];
  try {
    execFileSync('ip', ['-batch', '-'], { input: `${names.map((n) => `netns add ${n}`).join('\n')}\n` });
    created.push(...names);
    const load = os.loadavg()[0]!.toFixed(2);
    const runs = { sandboxed: [] as Awaited<ReturnType<typeof oneRun>>[], unsandboxed: [] as Awaited<ReturnType<typeof oneRun>>[] };
    for (let i = 0; i < 3; i++) {
      for (const sandboxed of i % 2 === 0 ? [false, true] : [true, false]) {
        const r = await oneRun(sandboxed);
        (sandboxed ? runs.sandboxed : runs.unsandboxed).push(r);
        console.log(`run ${i + 1} ${sandboxed ? 'sandboxed  ' : 'unsandboxed'}: ${count} pods started in ${r.ms.toFixed(0)} ms; RSS ${r.rssMiB.toFixed(1)} MiB in ${r.processes} processes`);
        await sleep(1_000);
      }
    }
    const s = median(runs.sandboxed.map((r) => r.ms));
    const u = median(runs.unsandboxed.map((r) => r.ms));
    const rss = Math.max(...runs.sandboxed.map((r) => r.rssMiB));
    console.log(`load average at start: ${load} (the machine may be shared)`);
    console.log(`median pod start, ${count} command containers: sandboxed ${s.toFixed(0)} ms, unsandboxed ${u.toFixed(0)} ms: ratio ${(s / u).toFixed(2)} (target ≤ 1.3: ${s / u <= 1.3 ? 'PASS' : 'MISS'})`);
    console.log(`steady RSS, ${count} sandboxed pods (agent + every container process): ${rss.toFixed(1)} MiB (target ≤ 1024: ${rss <= 1024 ? 'PASS' : 'MISS'})`);
    return 0;
  } finally {
    for (const n of created) spawnSync('ip', ['netns', 'del', n]);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) process.exitCode = await main();
