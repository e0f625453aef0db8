/**
 * Memory of the node agent serving 100 pods with the built-in server (one TCP and one UDP port
 * each), every pod in its own network namespace. Not a test: run as root with
 *
 *   npm run build && node --import tsx bench/agent-memory.ts [PODS]
 *
 * Prints the sync time, the agent's RSS (now and peak), the RSS of any children left, and the
 * peak of agent + bootstrap children sampled during the sync. Target: ≤ 1 GiB for 100 pods.
 * Creates namespaces pnb-<random>-<i> (loopback only) and deletes them, whatever happens.
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
const names = Array.from({ length: count }, (_, i) => `pnb-${tag}-${i}`);
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'podnet-bench-'));
const sock = path.join(stateDir, 'agents', 'bench.sock');

/** Resident set size of a process in KiB (0 when it is gone). */
function rssKiB(pid: number, field = 'VmRSS'): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const childPids = (): number[] => fs.readdirSync(path.join(stateDir, 'pids')).map(Number);
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

function probe(netns: string): string {
  const script = `const http=require('http'),d=require('dgram').createSocket('udp4');let out=[];
http.get('http://127.0.0.1:8080/',r=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>{out.push('http:'+JSON.parse(b).pod);done()})});
d.on('message',m=>{out.push('udp:'+JSON.parse(m).pod);done()});d.send('x',5353,'127.0.0.1');
function done(){if(out.length===2){console.log(out.sort().join(' '));process.exit(0)}}setTimeout(()=>process.exit(1),5000)`;
  return execFileSync('ip', ['netns', 'exec', netns, process.execPath, '-e', script], { encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const created: string[] = [];
  let agentPid: number | undefined;
  try {
    const t0 = Date.now();
    for (const n of names) {
      execFileSync('ip', ['netns', 'add', n]);
      created.push(n);
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    console.log(`created ${count} namespaces in ${Date.now() - t0} ms`);

    const dist = path.join(repo, 'dist/lab/agent/main.js');
    const fromDist = fs.existsSync(dist);
    const entry = fromDist ? [dist] : ['--import', 'tsx', path.join(repo, 'src/lab/agent/main.ts')];
    const args = [...entry, '--state-dir', stateDir, '--node', 'bench', '--node-netns', names[0]];
    const agent = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    agentPid = agent.pid!;
    console.log(`agent from ${fromDist ? 'dist/ (built)' : 'src/ via tsx (run npm run build for realistic figures)'}`);
    for (let i = 0; i < 200 && !fs.existsSync(path.join(stateDir, 'agents', 'bench.pid')); i++) await sleep(50);
    console.log(`agent idle: ${mib(rssKiB(agentPid))}`);

    const pods: PodSpec[] = names.map((netns, i) => ({
      key: `bench/pod-${i}`, hash: '1', namespace: 'bench', name: `pod-${i}`, node: 'bench', ip: `10.244.0.${i}`, netns,
      containers: [{ name: 'web', ports: [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 5353, protocol: 'UDP' }] }],
    }));
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(agentPid!) + childPids().reduce((sum, p) => sum + rssKiB(p), 0));
    }, 20);
    const t1 = Date.now();
    const reply = await agentRequest(sock, { op: 'sync', pods }, 300_000);
    clearInterval(sampler);
    if (!reply.ok) throw new Error(`sync failed: ${reply.error}`);
    const ready = reply.pods.filter((p) => p.ready).length;
    console.log(`sync of ${count} pods: ${Date.now() - t1} ms, ${ready} ready`);

    for (const i of [0, Math.floor(count / 2), count - 1]) console.log(`probe ${names[i]}: ${probe(names[i])}`);

    await sleep(500); // let bootstrap children finish exiting
    const agentRss = rssKiB(agentPid);
    const left = childPids();
    const leftRss = left.reduce((sum, p) => sum + rssKiB(p), 0);
    const inNetns = names.flatMap((n) => execFileSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).split(/\s+/).filter(Boolean));
    console.log(`agent RSS after sync: ${mib(agentRss)} (peak VmHWM ${mib(rssKiB(agentPid, 'VmHWM'))})`);
    console.log(`children left: ${left.length} (${mib(leftRss)}); processes inside the namespaces: ${inNetns.length}`);
    console.log(`TOTAL steady RSS for ${count} pods: ${mib(agentRss + leftRss)}`);
    console.log(`peak during sync (agent + bootstrap children): ${mib(peak)}`);
    await agentRequest(sock, { op: 'shutdown' }, 30_000);
  } finally {
    if (agentPid !== undefined) {
      try {
        process.kill(agentPid, 'SIGKILL'); // only if the shutdown above did not happen
      } catch {
        /* already gone */
      }
    }
    killRecordedProcesses(stateDir, { graceMs: 500 });
    for (const n of created) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
