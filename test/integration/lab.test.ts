/**
 * `podnet up` for real: nodes and pods are network namespaces, servers are real sockets, and
 * every claim is checked with real packets sent from inside pods (`podnet exec`) and nodes.
 * Routed and VXLAN modes, placement, shared pod namespaces, hostNetwork, incremental
 * apply/delete, clean `down` after SIGKILL, two labs side by side, and CLI error paths.
 * Needs root and `ip`; each lab has a unique name and its own PODNET_STATE_ROOT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideVxlanChecksumOffload } from '../../src/model/kernel.js';
import {
  CAN_RUN_LAB,
  fixture,
  netnsWithPrefix,
  podsNamed,
  processesWithEnv,
  rootSnapshot,
  sleep,
  TestLab,
  until,
  type NodeInfo,
  type PodInfo,
  type ProbeResult,
} from './helpers.js';

const T = 120_000;

function expectOk(r: ProbeResult): Record<string, unknown> {
  expect(r, `${r.proto} ${r.host}:${r.port}: ${r.error ?? ''}`).toMatchObject({ ok: true });
  return r.body ?? {};
}

function byNode(pods: readonly PodInfo[], node: string): PodInfo[] {
  return pods.filter((p) => p.node === node);
}

function flannelTxPackets(netns: string): number {
  const j = JSON.parse(execFileSync('ip', ['-n', netns, '-s', '-j', 'link', 'show', 'flannel.1'], { encoding: 'utf8' })) as { stats64: { tx: { packets: number } } }[];
  return j[0].stats64.tx.packets;
}

describe.skipIf(!CAN_RUN_LAB)('podnet lab (root, real namespaces and packets)', () => {
  describe('a routed lab and a VXLAN lab side by side', () => {
    const routed = new TestLab();
    const vxlan = new TestLab();
    let rPods: PodInfo[] = [];
    let rNodes: NodeInfo[] = [];
    let vPods: PodInfo[] = [];
    let vNodes: NodeInfo[] = [];

    beforeAll(async () => {
      // Both at once: two labs must not share anything but the host.
      await Promise.all([
        routed.up(['--mode', 'routed', '--nodes', '2', '-f', fixture('routed.yaml')]),
        vxlan.up(['--mode', 'vxlan', '--nodes', '2', '--pod-cidr', '10.245.0.0/16', '-f', fixture('web.yaml')]),
      ]);
      [rPods, rNodes, vPods, vNodes] = await Promise.all([routed.pods(), routed.nodes(), vxlan.pods(), vxlan.nodes()]);
    }, T);

    afterAll(async () => {
      await Promise.all([routed.cleanup(), vxlan.cleanup()]);
    }, T);

    describe('routed mode', () => {
      it('names the nodes after the Node manifests, with their labels', () => {
        expect(rNodes.map((n) => n.name)).toEqual(['node-a', 'node-b']);
        expect(rNodes[0].labels).toMatchObject({ disktype: 'ssd', 'kubernetes.io/hostname': 'node-a' });
        expect(rNodes[1].labels).toMatchObject({ disktype: 'hdd', 'kubernetes.io/hostname': 'node-b' });
        expect(rNodes.map((n) => n.podCidr)).toEqual(['10.244.0.0/24', '10.244.1.0/24']);
        expect(netnsWithPrefix(routed.netnsPrefix)).toEqual(expect.arrayContaining([routed.nodeNetns('node-a'), routed.nodeNetns('node-b')]));
      });

      it('places pods: replicas spread, nodeName and nodeSelector honoured, a DaemonSet pod per node', async () => {
        expect(rPods).toHaveLength(11);
        expect(rPods.every((p) => p.phase === 'Running'), JSON.stringify(rPods)).toBe(true);
        const web = podsNamed(rPods, 'web');
        expect(web).toHaveLength(4);
        expect(new Set(web.map((p) => p.node))).toEqual(new Set(['node-a', 'node-b']));
        expect(podsNamed(rPods, 'pinned')[0].node).toBe('node-b');
        const fast = podsNamed(rPods, 'fast');
        expect(fast).toHaveLength(2);
        expect(fast.map((p) => p.node)).toEqual(['node-a', 'node-a']); // nodeSelector disktype=ssd
        const exporter = podsNamed(rPods, 'exporter', 'monitoring');
        expect(exporter.map((p) => p.node).sort()).toEqual(['node-a', 'node-b']);
        // Pod IPs come from the node's pod CIDR.
        for (const p of rPods.filter((x) => !x.hostNetwork)) {
          expect(p.ip.startsWith(p.node === 'node-a' ? '10.244.0.' : '10.244.1.'), `${p.key} ${p.ip} on ${p.node}`).toBe(true);
        }
        const ready = await routed.readyColumn();
        expect(ready.get('default/duo')).toEqual({ ready: '2/2', status: 'Running' });
      });

      it('pod → pod across nodes (TCP and UDP, no NAT) and on the same node', async () => {
        const [a1, a2] = byNode(podsNamed(rPods, 'web'), 'node-a').concat(podsNamed(rPods, 'fast'));
        const b = byNode(podsNamed(rPods, 'web'), 'node-b')[0];
        const exporterB = podsNamed(rPods, 'exporter', 'monitoring').find((p) => p.node === 'node-b')!;
        const [tcpX, udpX, tcpSame, tcpDs] = await routed.probeFromPod(a1.key, [
          { proto: 'http', host: b.ip, port: 8080, path: '/cross' },
          { proto: 'udp', host: b.ip, port: 5353 },
          { proto: 'http', host: a2.ip, port: 8080, path: '/same' },
          { proto: 'http', host: exporterB.ip, port: 9100 },
        ]);
        expect(expectOk(tcpX)).toMatchObject({ pod: b.name, podIP: b.ip, node: 'node-b', port: 8080, path: '/cross', remoteAddress: a1.ip });
        expect(expectOk(udpX)).toMatchObject({ pod: b.name, podIP: b.ip, protocol: 'UDP', port: 5353, remoteAddress: a1.ip });
        expect(expectOk(tcpSame)).toMatchObject({ pod: a2.name, podIP: a2.ip, node: 'node-a', remoteAddress: a1.ip });
        expect(expectOk(tcpDs)).toMatchObject({ pod: exporterB.name, namespace: 'monitoring', port: 9100, remoteAddress: a1.ip });
        // And back the other way.
        const [back] = await routed.probeFromPod(b.key, [{ proto: 'udp', host: a1.ip, port: 5353 }]);
        expect(expectOk(back)).toMatchObject({ pod: a1.name, remoteAddress: b.ip });
      }, T);

      it('node → pod, on the same node and across nodes', async () => {
        const a = byNode(podsNamed(rPods, 'web'), 'node-a')[0];
        const b = byNode(podsNamed(rPods, 'web'), 'node-b')[0];
        const [nodeA, nodeB] = rNodes;
        const fromA = await routed.probeFromNode('node-a', [
          { proto: 'http', host: a.ip, port: 8080 },
          { proto: 'http', host: b.ip, port: 8080 },
          { proto: 'udp', host: b.ip, port: 5353 },
        ]);
        // Same node: the node reaches its pods from its bridge address (the pods' gateway).
        expect(expectOk(fromA[0])).toMatchObject({ pod: a.name, remoteAddress: '10.244.0.1' });
        // Across nodes: routed as-is, the source is node-a's underlay address (no NAT).
        expect(expectOk(fromA[1])).toMatchObject({ pod: b.name, remoteAddress: nodeA.ip });
        expect(expectOk(fromA[2])).toMatchObject({ pod: b.name, remoteAddress: nodeA.ip });
        const [fromB] = await routed.probeFromNode('node-b', [{ proto: 'http', host: a.ip, port: 8080 }]);
        expect(expectOk(fromB)).toMatchObject({ pod: a.name, remoteAddress: nodeB.ip });
      }, T);

      it('containers of one pod share its network namespace (sidecar reaches 127.0.0.1:8080)', async () => {
        const log = await until('a reply in the client container log', async () => {
          const r = await routed.cli('logs', ['default/duo', '-c', 'client']);
          return r.code === 0 && r.stdout.split('\n').find((l) => l.startsWith('reply ')) ? r.stdout : false;
        });
        const reply = JSON.parse(log.split('\n').find((l) => l.startsWith('reply '))!.slice('reply '.length)) as Record<string, unknown>;
        expect(reply).toMatchObject({ pod: 'duo', container: 'server', port: 8080, path: '/from-sidecar', remoteAddress: '127.0.0.1' });
        // The server container's log records the sidecar's requests.
        const serverLog = await routed.ok('logs', ['default/duo', '-c', 'server']);
        expect(serverLog).toContain('/from-sidecar');
        // Both containers are in one namespace: exec sees the listening socket of the server.
        const ss = await routed.exec('default/duo', ['ss', '-Htln']);
        expect(ss.stdout).toMatch(/0\.0\.0\.0:8080/);
      }, T);

      it('a hostNetwork pod runs in its node\'s namespace and answers on the node IP', async () => {
        const hostnet = podsNamed(rPods, 'hostnet')[0];
        const nodeA = rNodes.find((n) => n.name === 'node-a')!;
        expect(hostnet).toMatchObject({ node: 'node-a', hostNetwork: true, ip: nodeA.ip });
        const pinned = podsNamed(rPods, 'pinned')[0]; // on node-b
        const [r] = await routed.probeFromPod(pinned.key, [{ proto: 'http', host: nodeA.ip, port: 18080 }]);
        expect(expectOk(r)).toMatchObject({ pod: 'hostnet', podIP: nodeA.ip, node: 'node-a', port: 18080, remoteAddress: pinned.ip });
        // The socket is in node-a's namespace, not in some pod namespace.
        const ss = execFileSync('ip', ['netns', 'exec', routed.nodeNetns('node-a'), 'ss', '-Htln'], { encoding: 'utf8' });
        expect(ss).toMatch(/:18080\b/);
      }, T);

      it('`up` of an existing lab name fails with exit 2 and leaves the lab running', async () => {
        const before = netnsWithPrefix(routed.netnsPrefix).sort();
        const r = await routed.cli('up', ['-f', fixture('web.yaml')]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(new RegExp(`lab "${routed.name}" already exists`));
        expect(r.stderr).not.toMatch(/^\s{4}at /m);
        expect(netnsWithPrefix(routed.netnsPrefix).sort()).toEqual(before);
        const a = byNode(podsNamed(rPods, 'web'), 'node-a')[0];
        const [ok] = await routed.probeFromNode('node-b', [{ proto: 'http', host: a.ip, port: 8080 }]);
        expect(expectOk(ok)).toMatchObject({ pod: a.name });
      }, T);
    });

    describe('VXLAN mode', () => {
      it('places one replica per node, in the 10.245.0.0/16 pod CIDR', () => {
        expect(vNodes.map((n) => n.name)).toEqual(['node-1', 'node-2']);
        expect(vNodes.map((n) => n.podCidr)).toEqual(['10.245.0.0/24', '10.245.1.0/24']);
        expect(vPods.map((p) => p.node).sort()).toEqual(['node-1', 'node-2']);
        for (const p of vPods) expect(p.ip).toMatch(p.node === 'node-1' ? /^10\.245\.0\./ : /^10\.245\.1\./);
      });

      it('pod → pod across nodes over the overlay (TCP and UDP, no NAT)', async () => {
        const p1 = vPods.find((p) => p.node === 'node-1')!;
        const p2 = vPods.find((p) => p.node === 'node-2')!;
        const txBefore = flannelTxPackets(vxlan.nodeNetns('node-1'));
        const [tcp, udp] = await vxlan.probeFromPod(p1.key, [
          { proto: 'http', host: p2.ip, port: 8080, path: '/over-vxlan' },
          { proto: 'udp', host: p2.ip, port: 5353 },
        ]);
        expect(expectOk(tcp)).toMatchObject({ pod: p2.name, podIP: p2.ip, node: 'node-2', path: '/over-vxlan', remoteAddress: p1.ip });
        expect(expectOk(udp)).toMatchObject({ pod: p2.name, protocol: 'UDP', remoteAddress: p1.ip });
        // The packets went through node-1's VXLAN device.
        expect(flannelTxPackets(vxlan.nodeNetns('node-1'))).toBeGreaterThan(txBefore);
        const [back] = await vxlan.probeFromPod(p2.key, [{ proto: 'http', host: p1.ip, port: 8080 }]);
        expect(expectOk(back)).toMatchObject({ pod: p1.name, remoteAddress: p2.ip });
      }, T);

      it('pods have MTU 1450 on eth0', async () => {
        for (const p of vPods) {
          const r = await vxlan.exec(p.key, ['cat', '/sys/class/net/eth0/mtu']);
          expect(r.stdout.trim(), `${p.key}: ${r.stderr}`).toBe('1450');
        }
      }, T);

      it('flannel.1 on each node: VXLAN id 1, nolearning, tx checksum offload as the kernel rule says (on from 5.7), static FDB to the other node', () => {
        const want = decideVxlanChecksumOffload('auto', release()).offload ? 'on' : 'off';
        for (const [self, other] of [[vNodes[0], vNodes[1]], [vNodes[1], vNodes[0]]]) {
          const ns = vxlan.nodeNetns(self.name);
          const link = execFileSync('ip', ['-d', '-n', ns, 'link', 'show', 'flannel.1'], { encoding: 'utf8' });
          expect(link).toMatch(/vxlan id 1 /);
          expect(link).toMatch(/\bnolearning\b/);
          expect(link).toMatch(/dstport 8472/);
          expect(link).toMatch(/mtu 1450/);
          const offload = execFileSync('ip', ['netns', 'exec', ns, 'ethtool', '-k', 'flannel.1'], { encoding: 'utf8' });
          expect(offload).toMatch(new RegExp(`^\\s*tx-checksum-ip-generic: ${want}\\b`, 'm'));
          const otherMac = (JSON.parse(execFileSync('ip', ['-n', vxlan.nodeNetns(other.name), '-j', 'link', 'show', 'flannel.1'], { encoding: 'utf8' })) as { address: string }[])[0].address;
          const fdb = execFileSync('bridge', ['-n', ns, 'fdb', 'show', 'dev', 'flannel.1'], { encoding: 'utf8' });
          const entries = fdb.split('\n').filter((l) => / dst /.test(l));
          expect(entries.length, fdb).toBeGreaterThan(0);
          expect(entries.every((l) => l.includes(`dst ${other.ip} `)), fdb).toBe(true);
          expect(entries.some((l) => l.startsWith(`${otherMac} dst ${other.ip} `) && /\bpermanent\b/.test(l)), fdb).toBe(true);
        }
      });
    });

    it('two labs work at once; downing one leaves the other working', async () => {
      const rA = byNode(podsNamed(rPods, 'web'), 'node-a')[0];
      const rB = byNode(podsNamed(rPods, 'web'), 'node-b')[0];
      const v1 = vPods.find((p) => p.node === 'node-1')!;
      const v2 = vPods.find((p) => p.node === 'node-2')!;
      const [[r1], [v]] = await Promise.all([
        routed.probeFromPod(rA.key, [{ proto: 'http', host: rB.ip, port: 8080 }]),
        vxlan.probeFromPod(v1.key, [{ proto: 'http', host: v2.ip, port: 8080 }]),
      ]);
      expect(expectOk(r1)).toMatchObject({ pod: rB.name, remoteAddress: rA.ip });
      expect(expectOk(v)).toMatchObject({ pod: v2.name, remoteAddress: v1.ip });

      const down = await vxlan.cli('down');
      expect(down.code, down.stderr).toBe(0);
      expect(netnsWithPrefix(vxlan.netnsPrefix)).toEqual([]);
      expect(existsSync(vxlan.stateDir)).toBe(false);
      expect(processesWithEnv(`PODNET_STATE_DIR=${vxlan.stateDir}`)).toEqual([]);

      expect(netnsWithPrefix(routed.netnsPrefix)).toHaveLength(13); // underlay, 2 nodes, 10 pods (hostnet has none)
      const [after] = await routed.probeFromPod(rA.key, [{ proto: 'udp', host: rB.ip, port: 5353 }]);
      expect(expectOk(after)).toMatchObject({ pod: rB.name, remoteAddress: rA.ip });
    }, T);
  });

  describe('incremental apply and delete', () => {
    const lab = new TestLab();
    afterAll(async () => {
      await lab.cleanup();
    }, T);

    it('keeps unchanged pods (IPs, processes), starts new ones, relabels in place, then deletes', async () => {
      await lab.up(['-f', fixture('apply-base.yaml')]);
      const before = await lab.pods();
      expect(before).toHaveLength(3);
      expect(podsNamed(before, 'alpha')).toHaveLength(2);
      expect(before.every((p) => p.phase === 'Running')).toBe(true);
      const soloNs = await lab.podNetns('default/solo');
      expect(soloNs.startsWith(lab.netnsPrefix)).toBe(true);
      const pids = (ns: string) => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).sort();
      const soloPids = pids(soloNs);
      expect(soloPids.length, 'the sleeper container is a process in the pod namespace').toBeGreaterThan(0);

      const applied = await lab.cli('apply', ['-f', fixture('apply-relabel.yaml'), '-f', fixture('apply-beta.yaml')]);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/2 pods started, 0 stopped, 3 unchanged/);

      const after = await lab.pods();
      for (const p of before) {
        const q = after.find((x) => x.key === p.key)!;
        expect(q, p.key).toBeDefined();
        expect({ key: q.key, ip: q.ip, node: q.node }).toEqual({ key: p.key, ip: p.ip, node: p.node });
      }
      expect(await lab.podNetns('default/solo')).toBe(soloNs);
      expect(pids(soloNs)).toEqual(soloPids);
      expect(after.find((p) => p.name === 'solo')!.labels).toEqual({ app: 'solo', tier: 'two' });
      const beta = podsNamed(after, 'beta');
      expect(beta).toHaveLength(2);
      expect(beta.every((p) => p.phase === 'Running')).toBe(true);

      const alpha = podsNamed(after, 'alpha')[0];
      const solo = after.find((p) => p.name === 'solo')!;
      const probes = await lab.probeFromPod(alpha.key, [
        ...beta.map((p) => ({ proto: 'http' as const, host: p.ip, port: 9090 })),
        { proto: 'http', host: solo.ip, port: 8080 },
      ]);
      expect(expectOk(probes[0])).toMatchObject({ pod: beta[0].name, port: 9090, remoteAddress: alpha.ip });
      expect(expectOk(probes[1])).toMatchObject({ pod: beta[1].name, port: 9090, remoteAddress: alpha.ip });
      expect(expectOk(probes[2])).toMatchObject({ pod: 'solo', remoteAddress: alpha.ip });

      const betaNs = await Promise.all(beta.map((p) => lab.podNetns(p.key)));
      expect(betaNs.every((n) => netnsWithPrefix(lab.netnsPrefix).includes(n))).toBe(true);
      const deleted = await lab.cli('delete', ['-f', fixture('apply-beta.yaml')]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toMatch(/0 pods started, 2 stopped, 3 unchanged/);

      const final = await lab.pods();
      expect(podsNamed(final, 'beta')).toEqual([]);
      expect(final.map((p) => p.key).sort()).toEqual(before.map((p) => p.key).sort());
      const namespaces = netnsWithPrefix(lab.netnsPrefix);
      for (const n of betaNs) expect(namespaces).not.toContain(n);
      expect(namespaces).toContain(soloNs);
      expect(pids(soloNs)).toEqual(soloPids);
      const other = podsNamed(final, 'alpha')[1];
      const still = await lab.probeFromPod(alpha.key, [
        { proto: 'http', host: solo.ip, port: 8080 },
        { proto: 'http', host: other.ip, port: 8080 },
      ]);
      expect(expectOk(still[0])).toMatchObject({ pod: 'solo' });
      expect(expectOk(still[1])).toMatchObject({ pod: other.name });
    }, T);
  });

  describe('clean down after SIGKILL', () => {
    const labs: TestLab[] = [];
    afterAll(async () => {
      await Promise.all(labs.map((l) => l.cleanup()));
    }, T);

    // "Mid-way" is defined by what `up` has reached (about 0.5-1.5 s in), not by wall-clock
    // time, so that both moments are hit on fast and slow machines alike.
    const moments = [
      // An agent was spawned but does not listen yet, so it has no pid file; it is frozen there
      // (SIGSTOP), as an agent hanging at startup would be: `down` must still find and kill it.
      { when: 'while an agent starts (and hangs there)', moment: 'agent-starting' as const },
      // Pods' containers were being started; then one agent is SIGKILLed too, orphaning its
      // command containers.
      { when: 'while pods start, then an agent is SIGKILLed', moment: 'pods-starting' as const },
    ];

    it.each(moments)('`podnet up` SIGKILLed $when: `podnet down` removes everything', async ({ moment }) => {
      const lab = new TestLab();
      labs.push(lab);
      const marker = `PODNET_STATE_DIR=${lab.stateDir}`;
      const agentPids = () => readdirSafe(join(lab.stateDir, 'agents')).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(lab.stateDir, 'agents', f), 'utf8').trim()));
      const reached = moment === 'agent-starting' ? () => processesWithEnv(marker).length > 0 : () => readdirSafe(join(lab.stateDir, 'logs')).length > 0;
      const root = rootSnapshot();
      const child = lab.spawn('up', ['-f', fixture('many.yaml')]);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const deadline = Date.now() + 30_000;
      while (!reached() && child.exitCode === null && Date.now() < deadline) await sleep(10);
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode).toBe('SIGKILL'); // it was still running: killed mid-way
      expect(netnsWithPrefix(lab.netnsPrefix).length, 'the lab had started creating namespaces').toBeGreaterThan(0);

      if (moment === 'agent-starting') {
        // Every process carrying the lab's state dir was started for this lab (by `up`).
        const starting = processesWithEnv(marker).filter((pid) => !agentPids().includes(pid));
        expect(starting.length, 'an agent that does not listen yet').toBeGreaterThan(0);
        for (const pid of starting) process.kill(pid, 'SIGSTOP');
      } else {
        // Pods were starting, so an agent listens (it writes its pid file once it does).
        const [pid] = agentPids();
        expect(pid, 'an agent pid file').toBeGreaterThan(0);
        expect(processesWithEnv(marker)).toContain(pid); // only a process started for this lab
        process.kill(pid, 'SIGKILL');
      }

      const down = await lab.cli('down');
      expect(down.code, down.stderr).toBe(0);
      expect(down.stdout).toMatch(new RegExp(`lab ${lab.name} is down`));
      expect(netnsWithPrefix(lab.netnsPrefix)).toEqual([]);
      expect(processesWithEnv(marker)).toEqual([]);
      expect(existsSync(lab.stateDir)).toBe(false);
      const after = rootSnapshot();
      expect(after.links).toEqual(root.links);
      expect(after.routes).toEqual(root.routes);
      expect(after.nftTables).toEqual(root.nftTables);
      // Nothing comes back a moment later (no process was left to recreate anything).
      await sleep(500);
      expect(processesWithEnv(marker)).toEqual([]);
      expect(netnsWithPrefix(lab.netnsPrefix)).toEqual([]);
      expect(existsSync(lab.stateDir)).toBe(false);
    }, T);

    it('`down` of a lab that does not exist succeeds and creates nothing', async () => {
      const lab = new TestLab();
      labs.push(lab);
      for (let i = 0; i < 2; i++) {
        const r = await lab.cli('down');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/is down: 0 namespaces/);
      }
      expect(netnsWithPrefix(lab.netnsPrefix)).toEqual([]);
      expect(readdirSafe(lab.stateRoot)).toEqual([]);
    }, T);
  });

  describe('`up` with bad flags: exit 2, a clear message, nothing created', () => {
    const labs: TestLab[] = [];
    afterAll(async () => {
      await Promise.all(labs.map((l) => l.cleanup()));
    }, T);

    const cases: { flags: string[]; message: RegExp }[] = [
      { flags: ['--mode', 'foo'], message: /--mode: "foo" is not one of routed, vxlan/ },
      { flags: ['--nodes', '0'], message: /--nodes: 0 must be between 1 and 200/ },
      { flags: ['--nodes', 'two'], message: /--nodes: "two" is not a number/ },
      { flags: ['--pod-cidr', '10.96.0.0/16'], message: /CIDRs overlap: 10\.96\.0\.0\/16 and 10\.96\.0\.0\/12/ },
      { flags: ['--pod-cidr', '10.244.0.0/16', '--node-cidr', '10.244.7.0/24'], message: /CIDRs overlap: 10\.244\.0\.0\/16 and 10\.244\.7\.0\/24/ },
      { flags: ['--pod-cidr', '10.244.0.0/24'], message: /--pod-cidr: "10\.244\.0\.0\/24" must be an IPv4 CIDR of \/22 or larger/ },
    ];

    it('rejects each bad flag before creating anything', async () => {
      const results = await Promise.all(
        cases.map(async (c) => {
          const lab = new TestLab();
          labs.push(lab);
          return { c, lab, r: await lab.cli('up', [...c.flags, '-f', fixture('web.yaml')]) };
        }),
      );
      for (const { c, lab, r } of results) {
        expect(r.code, `${c.flags.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(c.message);
        expect(r.stderr).not.toMatch(/internal error|^\s{4}at /m);
        expect(netnsWithPrefix(lab.netnsPrefix)).toEqual([]);
        expect(readdirSafe(lab.stateRoot)).toEqual([]);
      }
    }, T);

    it('rejects an invalid lab name', async () => {
      const lab = new TestLab();
      labs.push(lab);
      const bad = `It_${lab.name}`;
      const r = await lab.cli('up', ['--name', bad, '-f', fixture('web.yaml')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--name: .* must be 1-11 characters/);
      expect(netnsWithPrefix(`pn-${bad}_`)).toEqual([]);
      expect(readdirSafe(lab.stateRoot)).toEqual([]);
    }, T);
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
