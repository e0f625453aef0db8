/**
 * NetworkPolicy enforced for real (issue 7), in the upstream e2e netpol shape: 9 pods (x, y, z ×
 * a, b, c) on 2 nodes, policies applied and deleted with the CLI, every pair probed with real
 * packets by `podnet matrix` and compared both with a hand-written expectation (upstream
 * semantics) and with the analyzer. Plus: Service traffic judged after DNAT, outside traffic by
 * ipBlock, live label changes, fail-closed new pods, no open window during updates, VXLAN mode.
 * Needs root, `ip` and `nft`.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAN_RUN_LAB, sleep, TestLab, until } from './helpers.js';
import { expectMatrix, matrix, namespaceObjects, podObjects, policy, removeManifests, writeManifest, type Obj } from './policy-lab.js';

const T = 120_000;
const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;
const ns = (key: string) => key.split('/')[0];

// The file's manifests (written while the suites are collected) go once every suite is done.
afterAll(() => removeManifests());

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('NetworkPolicy in the data plane (routed lab, 9 pods)', () => {
  const lab = new TestLab('np');
  const base = writeManifest([...namespaceObjects({ y: { team: 'blue' }, z: { team: 'blue' } }), ...podObjects()]);

  /** Applies the policies, runs `check`, deletes them again (also when `check` fails). */
  async function withPolicies(policies: readonly Obj[], check: () => Promise<void>): Promise<void> {
    const file = writeManifest(policies, 'policies.yaml');
    await lab.ok('apply', ['-f', file]);
    try {
      await check();
    } finally {
      await lab.ok('delete', ['-f', file]);
    }
  }

  beforeAll(async () => {
    await lab.up(['-f', base]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('no policies: every pod reaches every pod', async () => {
    expectMatrix((await matrix(lab)).m, () => true);
  }, T);

  it('probe and matrix on the command line: text output, exit codes, bad input', async () => {
    const text = await lab.ok('matrix', ['--port', '80']);
    expect(text).toContain('All 81 probes match the analyzer.');
    expect(text).toMatch(/^1\s+x\/a\s+Y Y Y Y Y Y Y Y Y$/m);
    const probe = await lab.cli('probe', ['y/b', 'x/a', '-o', 'json']);
    expect(probe.code).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ from: 'y/b', to: 'x/a', port: 80, protocol: 'TCP', allowed: true, expected: true, outcome: { verdict: 'open' } });
    for (const [args, message] of [
      [['matrix', '--protocol', 'SCTP'], /SCTP cannot be probed/],
      [['matrix', '--port', '70000'], /--port: "70000" is not a port number/],
      [["probe", "x/nope", "x/a"], /no pod or workload "x\/nope"/],
      [['probe', 'x/a', 'x/b', '--protocol', 'UDP', '--port', 'x'], /--port/],
    ] as const) {
      const r = await lab.cli(args[0], args.slice(1));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, T);

  it('default deny ingress in x: nothing enters x (TCP and UDP)', async () => {
    await withPolicies([policy('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })], async () => {
      expectMatrix((await matrix(lab)).m, (_s, d) => ns(d) !== 'x');
      expectMatrix((await matrix(lab, 53, 'UDP')).m, (_s, d) => ns(d) !== 'x');
      // A pod's own node always reaches it; another node is just an address outside the policy.
      const pods = await lab.pods();
      const xa = pods.find((p) => p.key === 'x/a')!;
      const other = xa.node === 'node-1' ? 'node-2' : 'node-1';
      expect((await lab.probeFromNode(xa.node, [{ proto: 'tcp', host: xa.ip, port: 80 }]))[0].ok).toBe(true);
      expect((await lab.probeFromNode(other, [{ proto: 'tcp', host: xa.ip, port: 80 }]))[0]).toMatchObject({ ok: false, error: expect.stringMatching(/EHOSTUNREACH/) });
      const denied = await lab.cli('probe', ['y/b', 'x/a']);
      expect(denied.code).toBe(1);
      expect(denied.stdout).toContain('probe y/b -> x/a TCP/80: DENIED — refused by policy');
      expect(denied.stdout).toContain('as the analyzer expects');
      expect(denied.stdout).toContain('isolated by networkpolicy x/deny');
    });
  }, T);

  it('x/a from namespaces labelled team=blue, and from pod b of its own namespace (union of two policies)', async () => {
    const toA = (from: Obj) => policy('x', `a-${Object.keys(from).join('-')}`, { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [from] }] });
    await withPolicies([toA({ namespaceSelector: { matchLabels: { team: 'blue' } } }), toA({ podSelector: { matchLabels: { pod: 'b' } } })], async () => {
      expectMatrix((await matrix(lab)).m, (s, d) => d !== 'x/a' || ns(s) !== 'x' || s === 'x/b');
    });
  }, T);

  it('namespaceSelector AND podSelector in one peer: only pods c of namespace y', async () => {
    const peer = { namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'c' } } };
    await withPolicies([policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [peer] }] })], async () => {
      expectMatrix((await matrix(lab)).m, (s, d) => d !== 'x/a' || s === 'y/c');
    });
  }, T);

  it('ports: port 81 only, by number and by name; endPort ranges', async () => {
    await withPolicies([policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })], async () => {
      expectMatrix((await matrix(lab, 80)).m, (_s, d) => d !== 'x/a');
      expectMatrix((await matrix(lab, 81)).m, () => true);
    });
    await withPolicies([policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 79, endPort: 80, protocol: 'TCP' }] }] })], async () => {
      expectMatrix((await matrix(lab, 80)).m, () => true);
      expectMatrix((await matrix(lab, 81)).m, (_s, d) => d !== 'x/a');
      expectMatrix((await matrix(lab, 53, 'UDP')).m, (_s, d) => d !== 'x/a');
    });
  }, T);

  it('egress: x may only reach namespace y on UDP 53 (named port resolved on each destination)', async () => {
    const egress = [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-53-udp', protocol: 'UDP' }] }];
    await withPolicies([policy('x', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress })], async () => {
      expectMatrix((await matrix(lab)).m, (s) => ns(s) !== 'x');
      expectMatrix((await matrix(lab, 53, 'UDP')).m, (s, d) => ns(s) !== 'x' || ns(d) === 'y');
    });
  }, T);

  it('ipBlock peers match pod IPs (upstream semantics, as the analyzer)', async () => {
    const ingress = [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } }] }, { from: [{ ipBlock: { cidr: `${(await lab.pods()).find((p) => p.key === 'y/b')!.ip}/32` } }] }];
    await withPolicies([policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress })], async () => {
      expectMatrix((await matrix(lab)).m, (s, d) => d !== 'x/a' || s === 'y/b');
    });
  }, T);

  it('live label change: relabelling a pod moves it in and out of the allowed peers', async () => {
    const allowC = policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'client' } } }] }] });
    await withPolicies([allowC], async () => {
      expectMatrix((await matrix(lab)).m, (_s, d) => d !== 'x/a');
      const relabelled = writeManifest([...namespaceObjects({ y: { team: 'blue' }, z: { team: 'blue' } }), ...podObjects({ 'z/b': { role: 'client' } })]);
      const out = await lab.ok('apply', ['-f', relabelled]);
      expect(out).toContain('0 pods started, 0 stopped'); // labels change in place
      expectMatrix((await matrix(lab)).m, (s, d) => d !== 'x/a' || s === 'z/b');
      await lab.ok('apply', ['-f', base]);
      expectMatrix((await matrix(lab)).m, (_s, d) => d !== 'x/a');
    });
  }, T);

  it('deleting the policies restores full connectivity', async () => {
    expectMatrix((await matrix(lab)).m, () => true);
  }, T);

  it('Service traffic is judged on the real pod IPs after DNAT', async () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'x' }, spec: { selector: { pod: 'a' }, ports: [{ port: 8080, targetPort: 80 }] } };
    const allowY = policy('x', 'a', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] });
    await withPolicies([svc, allowY], async () => {
      const svcs = JSON.parse(await lab.ok('get', ['services', '-n', 'x', '-o', 'json'])) as { items: { spec: { clusterIP: string } }[] };
      const vip = svcs.items[0].spec.clusterIP;
      const target = [{ proto: 'http' as const, host: vip, port: 8080 }];
      const fromY = await lab.probeFromPod('y/b', target);
      expect(fromY[0]).toMatchObject({ ok: true, body: { pod: 'a', namespace: 'x' } });
      const fromZ = await lab.probeFromPod('z/b', target);
      expect(fromZ[0].ok).toBe(false);
      expect(fromZ[0].error).toMatch(/EHOSTUNREACH|unreachable/i);
    });
  }, T);
});

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('NetworkPolicy updates: fail closed, no open window (vxlan lab)', () => {
  const lab = new TestLab('nv');
  const base = writeManifest([...namespaceObjects(), ...podObjects()]);
  const deny = writeManifest([policy('x', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], 'deny.yaml');

  beforeAll(async () => {
    await lab.up(['--mode', 'vxlan', '-f', base, '-f', deny]);
  }, T);
  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('vxlan: probes match the analyzer and upstream semantics', async () => {
    expectMatrix((await matrix(lab)).m, (s, d) => ns(s) !== 'x' && ns(d) !== 'x');
  }, T);

  it('a new pod that a policy selects is isolated from its first packet', async () => {
    // x/first tries to reach y/a the moment its container starts, then every 20 ms, and logs it.
    const pods = await lab.pods();
    const target = pods.find((p) => p.key === 'y/a')!.ip;
    const script = `const net=require('net');let n=0;const go=()=>{const s=net.connect(80,'${target}');s.on('connect',()=>{console.log('CONNECTED '+n);process.exit(0)});s.on('error',(e)=>{console.log(e.code+' '+n);if(++n<25)setTimeout(go,20);else process.exit(0)})};go();`;
    const first = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'first', namespace: 'x', labels: { pod: 'first' } }, spec: { nodeName: 'node-2', restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['node', '-e', script] }] } };
    await lab.ok('apply', ['-f', writeManifest([first], 'first.yaml')]);
    const log = await waitForLog(lab, 'x/first', 25);
    expect(log).not.toContain('CONNECTED');
    expect(log.split('\n')[0]).toMatch(/^EHOSTUNREACH 0$/);
    // Its container exited with 0 and restartPolicy Never: kubectl's "Completed", phase Succeeded.
    const failing = { ...first, metadata: { ...first.metadata, name: 'fails' }, spec: { ...first.spec, containers: [{ name: 'c', image: 'x', command: ['false'] }] } };
    await lab.ok('apply', ['-f', writeManifest([failing], 'fails.yaml')]);
    const phases = async () => {
      const list = JSON.parse(await lab.ok('get', ['pods', '-n', 'x', '-o', 'json'])) as { items: { metadata: { name: string }; status: { phase: string } }[] };
      return Object.fromEntries(list.items.map((i) => [i.metadata.name, i.status.phase]));
    };
    const settled = await until('x/first and x/fails to finish', async () => {
      const p = await phases();
      return p.first === 'Succeeded' && p.fails === 'Failed' ? p : null;
    });
    expect(settled).toMatchObject({ first: 'Succeeded', fails: 'Failed', a: 'Running' });
    const table = await lab.ok('get', ['pods', '-n', 'x']);
    expect(table).toMatch(/^first\s+0\/1\s+Completed\s/m);
    expect(table).toMatch(/^fails\s+0\/1\s+Error\s/m);
    await lab.ok('delete', ['-f', writeManifest([first, failing], 'first.yaml')]);
  }, T);

  it('no open window: denied traffic stays denied while policies are rewritten', async () => {
    // A prober in y/a connects to x/b every few ms during five applies of unrelated policies.
    const pods = await lab.pods();
    const xb = pods.find((p) => p.key === 'x/b')!.ip;
    const probe = lab.exec('y/a', ['node', '-e', `const net=require('net');let ok=0,bad=0,end=Date.now()+${6000};const go=()=>{if(Date.now()>end){console.log(JSON.stringify({ok,bad}));return}const s=net.connect(80,'${xb}');s.on('connect',()=>{bad++;s.destroy();setTimeout(go,3)});s.on('error',()=>{ok++;setTimeout(go,3)})};go();`]);
    for (let i = 0; i < 5; i++) {
      const extra = policy('z', `extra-${i}`, { podSelector: { matchLabels: { pod: POD(i) } }, ingress: [{ from: [{ podSelector: {} }] }] });
      await lab.ok('apply', ['-f', writeManifest([extra], 'extra.yaml')]);
      await sleep(200);
    }
    const out = await probe;
    const counts = JSON.parse(out.stdout.trim().split('\n').pop()!) as { ok: number; bad: number };
    expect(counts.bad).toBe(0);
    expect(counts.ok).toBeGreaterThan(100);
  }, T);
});

const POD = (i: number) => ['a', 'b', 'c'][i % 3];

async function waitForLog(lab: TestLab, pod: string, lines: number): Promise<string> {
  const deadline = Date.now() + 20_000;
  let log = '';
  while (Date.now() < deadline) {
    log = (await lab.cli('logs', [pod])).stdout;
    if (log.includes('CONNECTED') || log.trim().split('\n').length >= lines) return log.trim();
    await sleep(200);
  }
  return log.trim();
}


