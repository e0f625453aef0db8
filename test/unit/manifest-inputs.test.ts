/**
 * Inputs as kubectl takes them: ReplicationControllers, kustomization.yaml skipped with a note,
 * the same object in two files (identical: one object; different: the later wins, with a
 * warning), and -n as the namespace of objects that name none.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, runCli, SHARED } from '../helpers/cli.js';
import { loadCluster } from './fixtures.js';

const rc = (name: string, replicas: number, selector?: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'ReplicationController', metadata: { name },
  spec: { replicas, ...(selector ? { selector } : {}), template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } } },
});

describe('ReplicationController', () => {
  it('expands to spec.replicas pods owned by it, the selector defaulting to the template labels', () => {
    const c = loadCluster([rc('redis', 3), rc('web', 1, { app: 'web' })]);
    const redis = c.pods.filter((p) => p.owner.kind === 'ReplicationController' && p.owner.name === 'redis');
    expect(redis).toHaveLength(3);
    for (const p of redis) expect(p.name).toMatch(/^redis-[a-z0-9]{5}$/);
    expect(c.notes).toEqual([]);
  });
  it('a selector that does not match the template is an error naming the field', () => {
    expect(() => loadCluster([rc('bad', 1, { app: 'other' })])).toThrow(/replicationcontroller default\/bad: spec\.selector: does not match template labels/);
  });
});

describe('duplicates and kustomizations', () => {
  const ns = (annotations?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', ...(annotations ? { annotations } : {}) } });
  it('identical copies are one object, silently', () => {
    const c = loadCluster([ns(), ns()]);
    expect(c.namespaces.filter((n) => n.name === 'shop')).toHaveLength(1);
    expect(c.notes).toEqual([]);
  });
  it('a different copy wins, with a warning naming both places', () => {
    const pod = (label: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { v: label } }, spec: { containers: [{ name: 'c' }] } });
    const c = loadCluster([pod('one'), pod('two')]);
    expect(c.pods.map((p) => p.labels.v)).toEqual(['two']);
    expect(c.notes).toEqual(['warning: test.yaml: pod default/p: metadata.name: also defined, differently, in test.yaml (document 1): this later definition wins, as with kubectl apply']);
  });
  it.skipIf(!HAVE_SHARED)('microservices-demo-netpol as a -f directory: kustomization.yaml skipped with a note naming kubectl kustomize', async () => {
    const dir = join(SHARED, 'manifests', 'microservices-demo-netpol');
    const r = await runCli(['analyze', '-f', join(SHARED, 'manifests', 'online-boutique', 'kubernetes-manifests.yaml'), '-f', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`podnet: skipped ${dir}/kustomization.yaml: podnet does not build kustomizations (kind Component); for what it builds, run: kubectl kustomize ${dir} | podnet … -f -`);
    expect(r.stdout).toContain('Allowed connections');
  });
});

describe('-n NS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-ns-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, [
    'apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {app: web}}\nspec: {containers: [{name: c, ports: [{containerPort: 80}]}]}',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}',
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}',
  ].join('\n---\n'));
  it('analyze -n argocd puts objects without a namespace there', async () => {
    const r = await runCli(['analyze', '-n', 'argocd', '-f', file, '-o', 'json', '--port', '80']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pods).toEqual(['argocd/web']);
  });
  it('an object in another namespace is an error (exit 2) as kubectl reports it', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: prod}\nspec: {containers: [{name: c}]}\n');
    const r = await runCli(['analyze', '-n', 'argocd', '-f', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${other}: pod prod/x: metadata.namespace: the namespace from the provided object "prod" does not match the namespace "argocd" (-n): pass -n prod, or none`);
  });
});

describe('analyze warns about selectors that select nothing', () => {
  it.skipIf(!HAVE_SHARED)("sock-shop's policies name `cart` where the pods are `carts`", async () => {
    const r = await runCli(['analyze', '-f', join(SHARED, 'manifests', 'sock-shop')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`podnet: warning: networkpolicy sock-shop/cart-access (${join(SHARED, 'manifests', 'sock-shop')}/policy/netpol-cart-access.yaml): spec.podSelector name=cart selects no pod in namespace sock-shop`);
    expect(r.stderr).toMatch(/carts-db-access .*: spec\.ingress\[0\]\.from\[0\]\.podSelector name=cart selects no pod in namespace sock-shop/);
    expect(r.stderr).not.toMatch(/front-end-access.*spec\.podSelector/);
  });
});
