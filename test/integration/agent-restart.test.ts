/**
 * A node agent that dies is started again by the lab's monitor (as systemd restarts a kubelet),
 * and what its predecessor ran does not linger: the containers died with it (the launcher
 * dies with its parent), so the new agent starts each pod once — one coredns per replica, DNS
 * answering, no EADDRINUSE crash loop. Node nft tables changed by hand are restored. Both
 * counted in /metrics. Needs root; unique lab, cleaned up.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, TestLab, until } from './helpers.js';

const T = 120_000;

describe.skipIf(!CAN_RUN_LAB)('agent restart (root, real namespaces)', () => {
  const lab = new TestLab('sb');
  const agentPid = () => Number(readFileSync(join(lab.stateDir, 'agents', 'node-1.pid'), 'utf8'));
  /** Live processes of coredns containers: `node … dns/main` carrying the lab's state dir. */
  const corednsProcesses = () => {
    const marker = `PODNET_STATE_DIR=${lab.stateDir}`;
    return readFileSyncList().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node' && readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker) && readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').some((a) => /dns\/main\.[jt]s$/.test(a)) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
      } catch {
        return false;
      }
    });
  };

  beforeAll(async () => {
    const file = join(lab.stateRoot, 'client.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n  containers: [{name: c, image: x, command: [sleep, "3600"]}]\n');
    await lab.up(['--nodes', '1', '--dns', '--agent-restart-delay', '1s', '-f', file]);
    await lab.ok('wait', ['pods', '--all', '-A', '--for', 'condition=Ready', '--timeout', '30s']);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('SIGKILLed agent: its containers go with it, the monitor starts it again, each pod runs once', async () => {
    const before = corednsProcesses();
    expect(before).toHaveLength(2); // two replicas
    const old = agentPid();
    process.kill(old, 'SIGKILL'); // the agent this lab started for node-1
    await until('the old coredns processes to be gone', () => corednsProcesses().every((p) => !before.includes(p)), 5_000);
    await until('a new agent', () => {
      try {
        return agentPid() !== old;
      } catch {
        return false;
      }
    }, 20_000);
    await until('coredns to run again, twice', () => corednsProcesses().length === 2, 20_000);
    await lab.ok('wait', ['pods', '--all', '-A', '--for', 'condition=Ready', '--timeout', '30s']);
    const r = await lab.exec('client', ['getent', 'hosts', 'kube-dns.kube-system.svc.cluster.local']);
    expect(r.stdout).toMatch(/^10\.96\.0\.10\s/);
    const logs = readFileSync(join(lab.stateDir, 'agents', 'node-1.log'), 'utf8');
    expect(logs).not.toMatch(/EADDRINUSE/);
    expect(await lab.ok('metrics')).toMatch(/^podnet_agent_restarts_total\{lab="[^"]+",node="node-1"\} 1$/m);
  }, T);

  it('nft tables changed behind podnet\'s back are restored by the monitor, and counted', async () => {
    const list = (table: string) => spawnSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'nft', '-s', 'list', 'table', 'ip', table], { encoding: 'utf8' }).stdout;
    const services = list('podnet');
    // The policy table's generation marker names the sync that wrote it: a restore is a new one.
    const policyTable = () => list('podnet-policy').replace(/\bgen-[0-9a-f]+\b/g, 'gen-*');
    const policy = policyTable();
    expect(policy).toContain('gen-*');
    expect(services).toContain('10.96.0.10');
    // What a pod with CAP_NET_ADMIN over its node could have done (no pod has it any more).
    expect(spawnSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'nft', 'flush', 'table', 'ip', 'podnet']).status).toBe(0);
    expect(spawnSync('ip', ['netns', 'exec', lab.nodeNetns('node-1'), 'nft', 'delete', 'table', 'ip', 'podnet-policy']).status).toBe(0);
    await until('the monitor to restore both tables', () => list('podnet') === services && policyTable() === policy, 20_000);
    const r = await lab.exec('client', ['getent', 'hosts', 'kube-dns.kube-system.svc.cluster.local']);
    expect(r.stdout).toMatch(/^10\.96\.0\.10\s/);
    expect(await lab.ok('metrics')).toMatch(/^podnet_nft_table_restores_total\{lab="[^"]+",node="node-1"\} 1$/m);
  }, T);
});

function readFileSyncList(): number[] {
  return readdirSync('/proc').filter((f) => /^[0-9]+$/.test(f)).map(Number);
}
