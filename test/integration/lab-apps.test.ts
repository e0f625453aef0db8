/**
 * Real-world applications as labs, from their manifests unchanged: Online Boutique (both files,
 * NetworkPolicies included) and Bookinfo, side by side. Their images are ignored: podnet runs its
 * built-in server on every containerPort, so every pod is reachable on its real ports. Every pod
 * must come up ready and a few real service-to-service calls must go through. Online Boutique's
 * NetworkPolicies are enforced: every probe from the frontend must get exactly the verdict of the
 * analyzer (PolicyEngine on the lab's own objects), and some must be denied.
 * Needs root, `ip`, and ../shared/manifests next to the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labCluster } from '../../src/api/lab-cluster.js';
import type { LabState } from '../../src/lab/state.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { CAN_RUN_LAB, podsNamed, SHARED, TestLab, type PodInfo, type ProbeResult, type ProbeTarget } from './helpers.js';

const T = 120_000;
const BOUTIQUE = join(SHARED, 'manifests', 'online-boutique');
const BOOKINFO = join(SHARED, 'manifests', 'bookinfo', 'bookinfo.yaml');
const HAVE_APPS = existsSync(join(BOUTIQUE, 'kubernetes-manifests.yaml')) && existsSync(join(BOUTIQUE, 'network-policies.yaml')) && existsSync(BOOKINFO);

function expectOk(r: ProbeResult): Record<string, unknown> {
  expect(r, `${r.proto} ${r.host}:${r.port}: ${r.error ?? ''}`).toMatchObject({ ok: true });
  return r.body ?? {};
}

/** Every TCP containerPort of every pod but `from`, as HTTP probes. */
function everyTcpPort(pods: readonly PodInfo[], from: PodInfo): { pod: PodInfo; target: ProbeTarget }[] {
  return pods
    .filter((p) => p.key !== from.key)
    .flatMap((pod) => pod.containers.flatMap((c) => c.ports.filter((x) => x.protocol === 'TCP').map((x) => ({ pod, target: { proto: 'http' as const, host: pod.ip, port: x.containerPort } }))));
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_APPS)('real applications as labs (root, ../shared/manifests)', () => {
  const boutique = new TestLab();
  const bookinfo = new TestLab();
  let upOut: string[] = [];
  let bPods: PodInfo[] = [];
  let iPods: PodInfo[] = [];

  beforeAll(async () => {
    upOut = await Promise.all([
      // Cluster DNS: the loadgenerator's init container wgets http://frontend:80 before it starts.
      boutique.up(['--mode', 'routed', '--dns', '-f', join(BOUTIQUE, 'kubernetes-manifests.yaml'), '-f', join(BOUTIQUE, 'network-policies.yaml')]),
      bookinfo.up(['--mode', 'vxlan', '--pod-cidr', '10.245.0.0/16', '-f', BOOKINFO]),
    ]);
    [bPods, iPods] = await Promise.all([boutique.pods(), bookinfo.pods()]);
    bPods = bPods.filter((p) => p.namespace === 'default'); // not cluster DNS's pods
  }, T);

  afterAll(async () => {
    await Promise.all([boutique.cleanup(), bookinfo.cleanup()]);
  }, T);

  it('Online Boutique: every pod is Running and ready, on both nodes', async () => {
    // Its readiness probes (gRPC, httpGet, tcpSocket against the built-in servers) start after
    // initialDelaySeconds of up to 20 s: `up` reports the pods running, readiness follows.
    expect(upOut[0]).toMatch(/\d+\/14 pods ready/); // 12 and cluster DNS's 2
    // As a CI script would: `podnet wait` until every pod passed its readiness probes.
    // The loadgenerator starts after its init container reached the frontend (it retries every 10 s).
    const waited = await boutique.ok('wait', ['pods', '--all', '--for', 'condition=Ready', '--timeout', '100s']);
    expect(waited.split('\n').filter(Boolean)).toHaveLength(bPods.length);
    bPods = (await boutique.pods()).filter((p) => p.namespace === 'default'); // phases after the wait
    const names = bPods.map((p) => p.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')).sort();
    expect(names).toEqual(
      ['adservice', 'cartservice', 'checkoutservice', 'currencyservice', 'emailservice', 'frontend', 'loadgenerator', 'paymentservice', 'productcatalogservice', 'recommendationservice', 'redis-cart', 'shippingservice'].sort(),
    );
    expect(new Set(bPods.map((p) => p.node))).toEqual(new Set(['node-1', 'node-2']));
    const table = await boutique.readyColumn();
    for (const p of bPods) {
      expect(p.phase, p.key).toBe('Running');
      const n = p.containers.length;
      expect(table.get(p.key), p.key).toEqual({ ready: `${n}/${n}`, status: 'Running' });
    }
  }, T);

  it('Online Boutique: frontend reaches productcatalogservice on 3550; every pod on every containerPort exactly as its NetworkPolicies say', async () => {
    const frontend = podsNamed(bPods, 'frontend')[0];
    const catalog = bPods.find((p) => p.name.startsWith('productcatalogservice-'))!;
    const cart = bPods.find((p) => p.name.startsWith('cartservice-'))!;
    const all = everyTcpPort(bPods, frontend);
    expect(all.length).toBeGreaterThanOrEqual(10);
    const [connect, grpcPort, cartPort, ...rest] = await boutique.probeFromPod(frontend.key, [
      { proto: 'tcp', host: catalog.ip, port: 3550 },
      { proto: 'http', host: catalog.ip, port: 3550 },
      { proto: 'http', host: cart.ip, port: 7070 },
      ...all.map((x) => x.target),
    ]);
    expectOk(connect);
    expect(expectOk(grpcPort)).toMatchObject({ pod: catalog.name, port: 3550, remoteAddress: frontend.ip });
    expect(expectOk(cartPort)).toMatchObject({ pod: cart.name, port: 7070, remoteAddress: frontend.ip });
    // The analyzer's verdict for each probe, from the lab's own state.
    const state = JSON.parse(readFileSync(join(boutique.stateDir, 'lab.json'), 'utf8')) as LabState;
    const cluster = labCluster(state);
    const engine = new PolicyEngine(cluster);
    const pod = (key: string) => cluster.pods.find((p) => `${p.namespace}/${p.name}` === key)!;
    const expected = all.map((x) => engine.evaluate({ kind: 'pod', pod: pod(frontend.key) }, { kind: 'pod', pod: pod(x.pod.key) }).conns.allows('TCP', x.target.port));
    expect(expected.filter((e) => !e).length).toBeGreaterThan(0);
    rest.forEach((r, i) => {
      if (expected[i]) expect(expectOk(r)).toMatchObject({ pod: all[i].pod.name, port: all[i].target.port, remoteAddress: frontend.ip });
      else expect(r, `${all[i].pod.key}:${all[i].target.port} must be denied`).toMatchObject({ ok: false, error: expect.stringMatching(/EHOSTUNREACH/) });
    });
    // And the other way: checkoutservice calls back into its dependencies.
    const checkout = bPods.find((p) => p.name.startsWith('checkoutservice-'))!;
    const payment = bPods.find((p) => p.name.startsWith('paymentservice-'))!;
    const [pay] = await boutique.probeFromPod(checkout.key, [{ proto: 'http', host: payment.ip, port: 50051 }]);
    expect(expectOk(pay)).toMatchObject({ pod: payment.name, remoteAddress: checkout.ip });
  }, T);

  it('Bookinfo: every pod is Running and ready', async () => {
    expect(upOut[1]).toMatch(/6\/6 pods ready/);
    const names = iPods.map((p) => p.name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '')).sort();
    expect(names).toEqual(['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3']);
    for (const p of iPods) expect(p.ip).toMatch(/^10\.245\./);
    const table = await bookinfo.readyColumn();
    for (const p of iPods) {
      expect(p.phase, p.key).toBe('Running');
      expect(table.get(p.key), p.key).toEqual({ ready: '1/1', status: 'Running' });
    }
  }, T);

  it('Bookinfo: productpage calls details and every reviews version on 9080; reviews calls ratings', async () => {
    const productpage = iPods.find((p) => p.name.startsWith('productpage-v1-'))!;
    const reviews = iPods.filter((p) => p.name.startsWith('reviews-'));
    const details = iPods.find((p) => p.name.startsWith('details-v1-'))!;
    const ratings = iPods.find((p) => p.name.startsWith('ratings-v1-'))!;
    expect(reviews).toHaveLength(3);
    const results = await bookinfo.probeFromPod(productpage.key, [
      ...reviews.map((r) => ({ proto: 'http' as const, host: r.ip, port: 9080, path: '/reviews/0' })),
      { proto: 'http', host: details.ip, port: 9080, path: '/details/0' },
    ]);
    reviews.forEach((r, i) => expect(expectOk(results[i])).toMatchObject({ pod: r.name, port: 9080, path: '/reviews/0', remoteAddress: productpage.ip }));
    expect(expectOk(results[3])).toMatchObject({ pod: details.name, path: '/details/0', remoteAddress: productpage.ip });
    const v2 = reviews.find((r) => r.name.startsWith('reviews-v2-'))!;
    const [rating] = await bookinfo.probeFromPod(v2.key, [{ proto: 'http', host: ratings.ip, port: 9080, path: '/ratings/0' }]);
    expect(expectOk(rating)).toMatchObject({ pod: ratings.name, remoteAddress: v2.ip });
  }, T);
});
