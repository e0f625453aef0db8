/**
 * The lab's Kubernetes API with the real kubectl (as installed: a dispatcher that picks its
 * client from the server's minor version) and @kubernetes/client-node: `up` merges a context
 * into the test's own kubeconfig, kubectl version / api-resources / get (tables, wide, json,
 * yaml, jsonpath, -A, -l, --field-selector, -w), client-node lists with limit/continue and an
 * informer that sees `podnet apply`'s pods, 401 without the token, the admin client certificate, the API server restarted by
 * the monitor after SIGKILL with its store, and `down` taking out exactly what `up` added.
 * Needs root; unique lab (prefix kapi), cleaned up on failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:https';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCredentials } from '../../src/apiserver/certs.js';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, TestLab, until } from './helpers.js';

const T = 120_000;

const OTHER = `apiVersion: v1
kind: Config
clusters: [{name: other, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: other, user: {token: x}}]
contexts: [{name: other, context: {cluster: other, user: other}}]
current-context: other
`;

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('the lab\'s Kubernetes API with kubectl and client-node (root)', () => {
  const lab = new TestLab('kapi');
  const kubectl = kubectlFor(lab, 30_000);
  const ok = (args: string[]) => {
    const r = kubectl(args);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const server = () => JSON.parse(readFileSync(join(lab.stateDir, 'api', 'server.json'), 'utf8')) as { pid: number; port: number };
  const raw = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ code: number; type: string; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server().port, path, headers, ca: readFileSync(join(lab.stateDir, 'api', 'ca.crt')) }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });
  const token = () => readFileSync(join(lab.stateDir, 'api', 'token'), 'utf8').trim();

  beforeAll(async () => {
    writeFileSync(lab.kubeconfig, OTHER);
    const out = await lab.up(['-f', fixture('apply-base.yaml')]);
    expect(out).toContain(`context podnet-${lab.name}`);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('kubectl version and api-resources: a 1.32 server, discovery with the served groups', () => {
    expect(ok(['config', 'current-context']).trim()).toBe(`podnet-${lab.name}`);
    expect(ok(['version'])).toMatch(/Server Version: v1\.32\./);
    const resources = ok(['api-resources']);
    expect(resources).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(resources).toMatch(/^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m);
  });

  it('discovery negotiation, OpenAPI v3 with the PATCH fieldValidation parameter, no JSON at /openapi/v2, 401 without the token', async () => {
    const auth = { authorization: `Bearer ${token()}` };
    const agg = await raw('/apis', { ...auth, accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(agg.type).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(JSON.parse(agg.body).kind).toBe('APIGroupDiscoveryList');
    expect(JSON.parse((await raw('/apis', { ...auth, accept: 'application/json' })).body).kind).toBe('APIGroupList');
    const doc = JSON.parse((await raw('/openapi/v3/apis/apps/v1', auth)).body) as { paths: Record<string, { patch?: { parameters: { name: string }[] } }> };
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch!.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect((await raw('/openapi/v2', auth)).code).toBe(404);
    const anon = await raw('/api/v1/pods');
    expect(anon.code).toBe(401);
    expect(JSON.parse(anon.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await raw('/api/v1/pods', { authorization: 'Bearer wrong' })).code).toBe(401);
  });

  it('client certificates: kubectl with `podnet kubeconfig --auth client-certificate` is the lab\'s admin; a certificate another CA signed gets 401', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-kapi-certs-'));
    try {
      const file = join(dir, 'cert.kubeconfig');
      writeFileSync(file, await lab.ok('kubeconfig', ['--auth', 'client-certificate']));
      const doc = readFileSync(file, 'utf8');
      expect(doc).toMatch(/client-certificate-data: /);
      expect(doc).not.toMatch(/token: /);
      const byCert = spawnSync('kubectl', ['--kubeconfig', file, 'get', 'pod', 'solo', '-o', 'name'], { encoding: 'utf8', timeout: 30_000 });
      expect(byCert.stderr).toBe('');
      expect(byCert.stdout.trim()).toBe('pod/solo');
      // The certificate's subject is the user: CN the name, O the groups.
      const who = spawnSync('kubectl', ['--kubeconfig', file, 'auth', 'whoami', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 });
      expect(JSON.parse(who.stdout).status.userInfo).toEqual({ username: 'podnet-admin', groups: ['system:masters', 'system:authenticated'] });
      // The same kubeconfig with another lab's (another CA's) admin certificate.
      const foreign = ensureCredentials(join(dir, 'other'));
      const b64 = (t: string) => Buffer.from(t).toString('base64');
      writeFileSync(file, doc.replace(/client-certificate-data: \S+/, `client-certificate-data: ${b64(foreign.clientCert)}`).replace(/client-key-data: \S+/, `client-key-data: ${b64(foreign.clientKey)}`));
      const refused = spawnSync('kubectl', ['--kubeconfig', file, 'get', 'pods'], { encoding: 'utf8', timeout: 30_000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/Unauthorized|must be logged in/);
      const bad = await lab.cli('kubeconfig', ['--auth', 'password']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--auth: "password" is neither token nor client-certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kubectl auth whoami, can-i, can-i --list (the reviews: answered, never stored), --as impersonation; GET on a review is 405', () => {
    expect(ok(['auth', 'whoami'])).toMatch(/^Username\s+podnet-admin\nGroups\s+\[system:masters system:authenticated\]$/m);
    expect(ok(['auth', 'whoami', '--as', 'jane', '--as-group', 'devs', '-o', 'json'])).toContain('"username": "jane"');
    expect(JSON.parse(ok(['auth', 'whoami', '--as', 'jane', '--as-group', 'devs', '-o', 'json'])).status.userInfo.groups).toEqual(['devs', 'system:authenticated']);
    expect(ok(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'kube-system']).trim()).toBe('yes');
    expect(ok(['auth', 'can-i', 'get', '/healthz']).trim()).toBe('yes');
    expect(ok(['auth', 'can-i', '--list'])).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    const unknown = kubectl(['auth', 'can-i', 'get', 'widgets']);
    expect(unknown.stderr).toMatch(/the server doesn't have a resource type 'widgets'/);
    expect(ok(['api-resources', '--api-group', 'authorization.k8s.io', '-o', 'wide'])).toMatch(/^selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview\s+create/m);
    const get = kubectl(['get', 'selfsubjectaccessreviews']);
    expect(get.status).toBe(1);
    expect(get.stderr).toMatch(/MethodNotAllowed/);
  });

  it('kubectl explain: the kinds\' fields and types from the OpenAPI v3 schemas (no descriptions); a CRD kind without a schema is an error', () => {
    const ports = ok(['explain', 'pods.spec.containers.ports']);
    expect(ports).toMatch(/^FIELD: ports <\[\]ContainerPort>$/m);
    expect(ports).toMatch(/^  containerPort\t<integer> -required-$/m);
    expect(ports).toMatch(/^  protocol\t<string>$/m);
    expect(ok(['explain', 'deployments.spec.strategy', '--recursive'])).toMatch(/^  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t/m);
    expect(ok(['explain', 'selfsubjectaccessreviews.spec'])).toMatch(/^  resourceAttributes\t<ResourceAttributes>$/m);
    const anp = kubectl(['explain', 'adminnetworkpolicies']);
    expect(anp.status).toBe(1);
    expect(anp.stderr).toMatch(/not found in OpenAPI schema/);
  });

  it('kubectl get: kube-apiserver\'s columns, -o wide|json|yaml|jsonpath, -A, -l, --field-selector (unknown field: 400)', async () => {
    const pods = await lab.pods();
    const table = ok(['get', 'pods']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(table).toMatch(/^solo\s+2\/2\s+Running\s+0\s+/m);
    const wide = ok(['get', 'pods', '-o', 'wide']);
    for (const p of pods.filter((x) => x.namespace === 'default')) expect(wide).toMatch(new RegExp(`^${p.name}\\s+\\S+\\s+Running\\s+0\\s+\\S+\\s+${p.ip.replace(/\./g, '\\.')}\\s+${p.node}\\s`, 'm'));
    const list = JSON.parse(ok(['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string; resourceVersion: string; uid: string }; status: { podIP: string } }[] };
    expect(list.items.map((i) => i.status.podIP).sort()).toEqual(pods.filter((x) => x.namespace === 'default').map((p) => p.ip).sort());
    expect(list.items.every((i) => /^[0-9]+$/.test(i.metadata.resourceVersion) && i.metadata.uid.length > 0)).toBe(true);
    expect(ok(['get', 'pod', 'solo', '-o', 'yaml'])).toMatch(/^kind: Pod$/m);
    expect(ok(['get', 'pods', '-l', 'app=alpha', '-o', 'name']).trim().split('\n')).toHaveLength(2);
    expect(ok(['get', 'deploy', 'alpha'])).toMatch(/^alpha\s+2\/2\s+2\s+2\s+/m);
    const node1 = pods.filter((p) => p.node === 'node-1' && p.namespace === 'default').map((p) => `pod/${p.name}`).sort();
    expect(ok(['get', 'pods', '--field-selector', 'spec.nodeName=node-1', '-o', 'name']).trim().split('\n').sort()).toEqual(node1);
    const bad = kubectl(['get', 'pods', '--field-selector', 'spec.color=red']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/BadRequest.*field label not supported: spec\.color/);
    expect(ok(['get', 'nodes'])).toMatch(/^node-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-podnet$/m);
    expect(ok(['get', 'ns'])).toMatch(/^default\s+Active\s/m);
    expect(ok(['get', 'pods', '-A', '-o', 'jsonpath={.items[*].spec.nodeName}']).split(' ').sort()).toEqual(pods.map((p) => p.node).sort());
    const missing = kubectl(['get', 'pod', 'nope']);
    expect(missing.stderr).toMatch(/NotFound.*pods "nope" not found/);
  });

  it('kubectl get endpoints and describe service: the endpoints controller\'s v1 Endpoints follow the Service\'s ready pods; they go with the Service', async () => {
    ok(['expose', 'deployment', 'alpha', '--name', 'alpha-ep', '--port', '80', '--target-port', '8080']);
    const want = (await lab.pods()).filter((p) => p.name.startsWith('alpha-')).map((p) => `${p.ip}:8080`).sort();
    expect(want).toHaveLength(2);
    const shown = () => /^alpha-ep\s+(\S+)\s/m.exec(kubectl(['get', 'endpoints', 'alpha-ep']).stdout)?.[1] ?? '';
    await until('the Endpoints of alpha-ep to list both pods', () => shown().split(',').sort().join(',') === want.join(','), 30_000);
    expect(ok(['describe', 'service', 'alpha-ep'])).toMatch(new RegExp(`^Endpoints:\\s+${want.map((w) => w.replace(/\./g, '\\.')).join('|')}`, 'm'));
    const ep = JSON.parse(ok(['get', 'endpoints', 'alpha-ep', '-o', 'json'])) as { subsets: { addresses: { ip: string; targetRef: { kind: string; name: string } }[]; ports: { port: number; protocol: string }[] }[] };
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets[0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    expect(ep.subsets[0]!.addresses.every((a) => a.targetRef.kind === 'Pod' && a.targetRef.name.startsWith('alpha-'))).toBe(true);
    // targetRefs carry the pod objects' uids, in the Endpoints and in the EndpointSlice alike.
    const uids = new Map((JSON.parse(ok(['get', 'pods', '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] }).items.map((p) => [p.metadata.name, p.metadata.uid]));
    for (const a of ep.subsets[0]!.addresses as { targetRef: { name: string; uid?: string } }[]) expect(a.targetRef.uid).toBe(uids.get(a.targetRef.name));
    const slices = JSON.parse(ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=alpha-ep', '-o', 'json'])) as { items: { endpoints: { targetRef: { name: string; uid?: string } }[] }[] };
    const refs = slices.items.flatMap((sl) => sl.endpoints.map((e) => e.targetRef));
    expect(refs).toHaveLength(2);
    for (const r of refs) expect(r.uid).toBe(uids.get(r.name));
    // Times as metav1.Time: whole seconds.
    expect((JSON.parse(ok(['get', 'service', 'alpha-ep', '-o', 'json'])) as { metadata: { creationTimestamp: string } }).metadata.creationTimestamp).toMatch(/:\d\dZ$/);
    ok(['delete', 'service', 'alpha-ep']);
    await until('the Endpoints of alpha-ep to go', () => kubectl(['get', 'endpoints', 'alpha-ep']).status !== 0, 30_000);
  }, T);

  it('client-node: list with limit/continue; an informer and kubectl get -w see the pods podnet apply starts', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(lab.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const first = await core.listNamespacedPod({ namespace: 'default', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?._continue).toBeTruthy();
    const rest = await core.listNamespacedPod({ namespace: 'default', limit: 2, _continue: first.metadata!._continue });
    expect([...first.items, ...rest.items].map((p) => p.metadata!.name)).toHaveLength(3);
    const seen = new Set<string>();
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default' }));
    informer.on('add', (p) => seen.add(p.metadata!.name!));
    await informer.start();
    const watcher = spawn('kubectl', ['--kubeconfig', lab.kubeconfig, 'get', 'pods', '-w', '-o', 'name'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    await lab.ok('apply', ['-f', fixture('apply-beta.yaml')]);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !([...seen].some((n) => n.startsWith('beta-')) && /pod\/beta-/.test(watched))) await new Promise((r) => setTimeout(r, 100));
    await informer.stop();
    watcher.kill();
    expect([...seen].filter((n) => n.startsWith('beta-'))).toHaveLength(2);
    expect(watched).toMatch(/pod\/beta-/);
  }, T);

  it('SIGKILLed, the API server is restarted by the monitor with its store: same port, resourceVersions go on; a watch from before the restart gets 410', async () => {
    const before = JSON.parse(ok(['get', '--raw', '/api/v1/pods'])) as { metadata: { resourceVersion: string } };
    const old = server();
    process.kill(old.pid, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let r = kubectl(['get', '--raw', '/api/v1/pods']);
    while (r.status !== 0 && Date.now() < deadline) {
      await new Promise((x) => setTimeout(x, 250));
      r = kubectl(['get', '--raw', '/api/v1/pods']);
    }
    expect(r.status).toBe(0);
    expect(server().pid).not.toBe(old.pid);
    expect(server().port).toBe(old.port);
    expect(Number((JSON.parse(r.stdout) as typeof before).metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(before.metadata.resourceVersion));
    const expired = await raw('/api/v1/pods?watch=true&resourceVersion=1', { authorization: `Bearer ${token()}` });
    expect(expired.code).toBe(410);
    expect(JSON.parse(expired.body)).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  }, T);

  it('down removes the API server and exactly the kubeconfig entries up added', async () => {
    const pid = server().pid;
    await lab.ok('down');
    // Gone, or a zombie whose parent has not reaped it yet.
    const alive = () => { try { return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
    expect(alive()).toBe(false);
    const cfg = readFileSync(lab.kubeconfig, 'utf8');
    expect(cfg).not.toContain(`podnet-${lab.name}`);
    expect(cfg).toMatch(/current-context: other/);
    expect(cfg).toContain('https://127.0.0.1:1');
  }, T);
});
