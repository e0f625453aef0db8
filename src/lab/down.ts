/**
 * `podnet down`: removes every process, namespace (and with them every link, route and address)
 * and file of a lab. Works from whatever is left — state file, pid files, namespace names —
 * so it also cleans up after podnet or an agent was killed with SIGKILL mid-way.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../host/host.js';
import { labNetnsPrefix } from '../model/lab.js';
import { hostLink, renderLabTeardown } from '../render/lab-network.js';
import { removeSeal } from '../render/nft/seal.js';
import { hostNft } from '../host/nft-native.js';
import { applyPlan } from '../host/executor.js';
import { request, sleep } from './agent-client.js';
import { detachAll } from './attach-sync.js';
import { isAlive, killRecordedProcesses, startedFor } from './agent/cleanup.js';
import { removeResolvConfs } from './resolv.js';
import { removeFromKubeconfig } from './kubeconfig.js';
import { labDir, removeLabDir } from './state.js';

export interface DownReport {
  agents: number;
  processes: number;
  namespaces: number;
  /** Secondary network attachments given back by CNI DEL (from the recorded state). */
  attachments: number;
}

export async function labDown(host: Host, lab: string): Promise<DownReport> {
  const dir = labDir(lab);
  const agents = await stopAgents(dir);
  // CNI DEL of every recorded secondary attachment while the namespaces still exist: IPAM
  // leases are released wherever the plugin keeps them.
  const attachments = await detachAll(lab).catch(() => 0);
  let processes = killRecordedProcesses(dir);
  processes += await killMarkedProcesses(dir);
  const namespaces = (await host.listNetns()).filter((n) => n.startsWith(labNetnsPrefix(lab)));
  // Whatever still runs inside the lab's namespaces was started by the lab.
  for (const ns of namespaces) {
    const r = await host.exec(null, ['ip', 'netns', 'pids', ns]);
    for (const pid of r.stdout.split(/\s+/).filter((s) => /^[0-9]+$/.test(s))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        processes++;
      } catch {
        /* already gone */
      }
    }
  }
  await applyPlan(host, renderLabTeardown(lab, namespaces));
  removeResolvConfs(lab);
  // Gone with the underlay namespace already, unless that namespace was never made.
  await host.exec(null, ['ip', 'link', 'del', hostLink(lab)]);
  try {
    await hostNft(host).run(null, removeSeal(lab)); // idempotent: also when up never sealed
  } catch {
    /* nft itself failed: nothing more down can do about the seal; the rest still goes */
  }
  removeFromKubeconfig(dir, lab); // exactly what `up` added
  removeLabDir(lab);
  return { agents, processes, namespaces: namespaces.length, attachments };
}

/** Asks each agent to shut down; kills those that do not answer (only if they are this lab's). */
async function stopAgents(dir: string): Promise<number> {
  const agentsDir = join(dir, 'agents');
  if (!existsSync(agentsDir)) return 0;
  const nodes = readdirSync(agentsDir).filter((f) => f.endsWith('.pid')).map((f) => f.slice(0, -'.pid'.length));
  await Promise.all(
    nodes.map(async (node) => {
      const pid = Number(readFileSync(join(agentsDir, `${node}.pid`), 'utf8').trim());
      try {
        await request(dir, node, { op: 'shutdown' }, 3_000);
        for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(50);
      } catch {
        /* not answering: killed below */
      }
      if (isAlive(pid) && startedFor(pid, dir)) process.kill(pid, 'SIGKILL');
    }),
  );
  return nodes.length;
}

/**
 * Kills every process whose environment names the lab's state directory but that no pid file
 * records: an agent still starting (no pid file yet) when `up` was killed, or its first children.
 */
async function killMarkedProcesses(dir: string): Promise<number> {
  const killed = new Set<number>();
  for (let round = 0; round < 10; round++) {
    let pids: number[];
    try {
      pids = readdirSync('/proc').filter((f) => /^[0-9]+$/.test(f)).map(Number);
    } catch {
      return killed.size; // no /proc
    }
    const found = pids.filter((pid) => pid !== process.pid && startedFor(pid, dir));
    if (found.length === 0) break;
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        /* already gone */
      }
    }
    await sleep(50);
  }
  return killed.size;
}
