/**
 * More real applications, from their manifests unchanged, as a new user would bring them up:
 * Weaveworks' sock-shop with its policies (nodeSelector beta.kubernetes.io/os, a duplicate
 * Namespace, an image entrypoint not on this host, readiness after 180 s), Online Boutique with
 * the microservices-demo network-policies component directory (kustomization.yaml skipped; the
 * loadgenerator's init container really wgets the frontend), Kubernetes' guestbook-go
 * (ReplicationControllers), and Cilium's connectivity-check (test/fixtures/apps: anti-affinity
 * multi-node clients, hostNetwork ClusterFirstWithHostNet exec probes running curl for real).
 * One lab per application, all brought up at once and torn down after. Companion of
 * lab-apps.test.ts (Online Boutique with network-policies.yaml, Bookinfo).
 * Needs root, `ip`, curl and wget on the host, and ../shared/manifests next to the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCluster } from '../../src/api/lab-cluster.js';
import type { LabState } from '../../src/lab/state.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { CAN_RUN_LAB, fixture, SHARED, TestLab, type PodInfo } from './helpers.js';

const T = 300_000;
const M = join(SHARED, 'manifests');
const CILIUM = join(fixture('..'), 'apps', 'cilium-connectivity-check.yaml');
const HAVE = ['sock-shop', 'online-boutique', 'microservices-demo-netpol', 'guestbook-go'].every((d) => existsSync(join(M, d)));

/** A Deployment's pod name without -<hash>-<suffix>. */
const base = (name: string) => name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '');

/** Every pod of `lab` must reach READY n/n, Running; `wait` gives them `timeout`. */
async function everyPodReady(lab: TestLab, timeout: string): Promise<PodInfo[]> {
  const r = await lab.cli('wait', ['pods', '--all', '-A', '--for', 'condition=Ready', '--timeout', timeout], T);
  if (r.code !== 0) {
    // What the next reader needs to tell a slow machine from a broken prober: where each pod runs and what its probes say.
    const wide = (await lab.cli('get', ['pods', '-A', '-o', 'wide'])).stdout;
    const lastLines = (dir: string, keep: (f: string) => boolean, n: number) => (existsSync(dir) ? readdirSync(dir).filter(keep) : []).map((f) => `--- ${f} (last ${n} lines)\n${readFileSync(join(dir, f), 'utf8').split('\n').slice(-n).join('\n')}`);
    const late = [...r.stderr.matchAll(/pods\/([a-z0-9-]+)/g)].map((m) => m[1]);
    const agents = lastLines(join(lab.stateDir, 'agents'), (f) => f.endsWith('.log'), 15);
    const containers = lastLines(join(lab.stateDir, 'logs'), (f) => late.some((p) => f.includes(`_${p}_`)), 5);
    expect(r.code, `wait: ${r.stdout}${r.stderr}\n${wide}\n${[...agents, ...containers].join('\n')}`).toBe(0);
  }
  const table = await lab.readyColumn();
  const pods = await lab.pods();
  for (const p of pods) {
    const n = p.containers.length;
    expect(table.get(p.key), p.key).toEqual({ ready: `${n}/${n}`, status: 'Running' });
  }
  return pods;
}

/** Probes from `from` to every TCP containerPort of `to`, each checked against the analyzer. */
async function agreesWithAnalyzer(lab: TestLab, from: PodInfo, to: readonly PodInfo[]): Promise<{ allowed: number; denied: number }> {
  const targets = to.filter((p) => p.key !== from.key && !p.hostNetwork).flatMap((pod) => pod.containers.flatMap((c) => c.ports.filter((x) => x.protocol === 'TCP').map((x) => ({ pod, port: x.containerPort }))));
  const results = await lab.probeFromPod(from.key, targets.map((t) => ({ proto: 'tcp' as const, host: t.pod.ip, port: t.port })));
  const state = JSON.parse(readFileSync(join(lab.stateDir, 'lab.json'), 'utf8')) as LabState;
  const cluster = labCluster(state);
  const engine = new PolicyEngine(cluster);
  const pod = (key: string) => cluster.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
  let allowed = 0;
  targets.forEach((t, i) => {
    const want = engine.evaluate({ kind: 'pod', pod: pod(from.key) }, { kind: 'pod', pod: pod(t.pod.key) }).conns.allows('TCP', t.port);
    expect(results[i].ok, `${from.key} → ${t.pod.key}:${t.port}: analyzer says ${want ? 'allowed' : 'denied'} (${results[i].error ?? 'connected'})`).toBe(want);
    if (want) allowed++;
  });
  return { allowed, denied: targets.length - allowed };
}

describe.skipIf(!CAN_RUN_LAB || !HAVE)('more real applications as labs (root, ../shared/manifests)', () => {
  const sock = new TestLab('rm');
  const boutique = new TestLab('rm');
  const guestbook = new TestLab('rm');
  const cilium = new TestLab('rm');
  const upErr: Record<string, string> = {};

  beforeAll(async () => {
    const up = async (lab: TestLab, key: string, args: string[]) => {
      const r = await lab.cli('up', args, T);
      if (r.code !== 0) throw new Error(`up ${key}: exit ${r.code}: ${r.stdout}${r.stderr}`);
      upErr[key] = r.stderr;
    };
    await Promise.all([
      up(sock, 'sock', ['-f', join(M, 'sock-shop')]),
      up(boutique, 'boutique', ['--dns', '-f', join(M, 'online-boutique', 'kubernetes-manifests.yaml'), '-f', join(M, 'microservices-demo-netpol')]),
      up(guestbook, 'guestbook', ['-f', join(M, 'guestbook-go')]),
      up(cilium, 'cilium', ['--dns', '-f', CILIUM]),
    ]);
  }, T);

  afterAll(async () => {
    await Promise.all([sock, boutique, guestbook, cilium].map((l) => l.cleanup()));
  }, T);

  it('guestbook-go: its ReplicationControllers run all their pods, every one ready', async () => {
    const pods = await everyPodReady(guestbook, '60s');
    const app = pods.filter((p) => p.namespace === 'default');
    // ReplicationController pods are <rc>-<5 characters>; redis-master is a Deployment there.
    expect(app.map((p) => p.name.replace(/-[a-z0-9]{5}$/, '').replace(/^redis-master-[a-z0-9]+$/, 'redis-master')).sort()).toEqual(['guestbook', 'guestbook', 'guestbook', 'redis-master', 'redis-replica', 'redis-replica']);
    const master = pods.find((p) => p.name.startsWith('redis-master'))!;
    const gb = pods.find((p) => p.name.startsWith('guestbook-'))!;
    const [r] = await guestbook.probeFromPod(gb.key, [{ proto: 'tcp', host: master.ip, port: 6379 }]);
    expect(r.ok).toBe(true);
  }, T);

  it('Online Boutique + the network-policies component: kustomization.yaml skipped with a note; the loadgenerator init container wgets the frontend for real; every pod ready', async () => {
    expect(upErr.boutique).toContain('kustomization.yaml: podnet does not build kustomizations (kind Component); for what it builds, run: kubectl kustomize');
    const pods = await everyPodReady(boutique, '150s');
    expect(pods.filter((p) => p.namespace === 'default')).toHaveLength(12);
    const loadgen = pods.find((p) => p.name.startsWith('loadgenerator-'))!;
    expect(await boutique.ok('logs', [loadgen.key.split('/')[1], '-c', 'frontend-check'])).toContain('Frontend is reachable.');
    const frontend = pods.find((p) => p.name.startsWith('frontend-'))!;
    const seen = await agreesWithAnalyzer(boutique, frontend, pods.filter((p) => p.namespace === 'default'));
    expect(seen.allowed).toBeGreaterThan(0);
    expect(seen.denied).toBeGreaterThan(0);
  }, T);

  it('Cilium connectivity-check: anti-affinity puts the multi-node clients off echo-b\'s node, affinity the intra-node ones on it; every curl exec probe passes, hostNetwork ones through cluster DNS', async () => {
    const pods = await everyPodReady(cilium, '90s');
    const app = pods.filter((p) => p.namespace === 'default');
    expect(app).toHaveLength(12);
    const node = (prefix: string) => app.find((p) => base(p.name) === prefix)!.node;
    const echoB = node('echo-b');
    for (const p of app.filter((x) => /multi-node/.test(x.name))) expect(p.node, p.key).not.toBe(echoB);
    expect(node('pod-to-b-intra-node-nodeport')).toBe(echoB);
    expect(node('echo-b-host')).toBe(echoB);
    const host = app.find((p) => base(p.name) === 'host-to-b-multi-node-headless')!;
    expect(host.hostNetwork).toBe(true);
    const log = await cilium.ok('logs', [host.name]);
    expect(log).toContain('command "/bin/ash" is not on this host');
    expect(log).toContain('readiness probe succeeded: exit code 0');
    expect(await cilium.ok('get', ['pods', '-o', 'wide'])).toMatch(/pod-to-a-[a-z0-9]+-[a-z0-9]{5} .* pod-to-a-container=built-in\(not on host\)/);
  }, T);

  it('sock-shop with its policies: nodeSelector beta.kubernetes.io/os schedules; the duplicate Namespace is a warning; catalogue runs the built-in server; every pod ready after its 180 s initial delay; probes agree with the analyzer', async () => {
    expect(upErr.sock).toContain('namespace sock-shop: metadata.name: also defined, differently, in');
    const wide = await sock.ok('get', ['pods', '-n', 'sock-shop', '-o', 'wide']);
    expect(wide).toMatch(/catalogue-[a-z0-9]+-[a-z0-9]{5} .* catalogue=built-in\(not on host\)/);
    const pods = await everyPodReady(sock, '240s');
    const shop = pods.filter((p) => p.namespace === 'sock-shop');
    expect(shop).toHaveLength(14);
    expect(new Set(shop.map((p) => p.node))).toEqual(new Set(['node-1', 'node-2']));
    const frontEnd = shop.find((p) => p.name.startsWith('front-end-'))!;
    const seen = await agreesWithAnalyzer(sock, frontEnd, shop);
    expect(seen.allowed).toBeGreaterThan(0);
    expect(seen.denied).toBeGreaterThan(0);
  }, T);
});
