/**
 * Writing through the lab's Kubernetes API with the real kubectl: create, apply (client-side,
 * three-way, twice), label, annotate, patch, scale, replace, delete (-f, namespaces), server
 * dry runs and validation errors — each a change of the running lab, with real pods and packets
 * (a Deployment kubectl created answers through its Service), and `podnet apply` / kubectl
 * seeing each other's objects. Needs root; unique lab (prefix kapw), cleaned up on failure.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unknownFields } from '../../src/apiserver/field-validation.js';
import { pendingWrites } from '../../src/apiserver/lab-door.js';
import { CAN_RUN_LAB, HAVE_KUBECTL, kubectlFor, fixture, TestLab, until } from './helpers.js';

const T = 180_000;

const deployment = (replicas: number, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: kweb, namespace: default${extra}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: kweb}}
  template:
    metadata: {labels: {app: kweb}}
    spec:
      containers:
        - name: web
          image: registry.example/web:1
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: kweb, namespace: default}
spec:
  selector: {app: kweb}
  ports: [{port: 80, targetPort: 8080}]
`;

describe.skipIf(!CAN_RUN_LAB || !HAVE_KUBECTL)('writing through the lab\'s Kubernetes API with kubectl (root, real pods)', () => {
  const lab = new TestLab('kapw');
  const kubectl = kubectlFor(lab, 90_000);
  const ok = (args: string[], input?: string) => {
    const r = kubectl(args, input);
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const file = (name: string, text: string) => {
    const path = join(lab.stateRoot, name);
    writeFileSync(path, text);
    return path;
  };
  const kwebPods = async () => (await lab.pods()).filter((p) => p.labels.app === 'kweb' && p.phase === 'Running');
  /** Writes are answered once stored; the lab applies them right after: wait until none is pending. */
  const settled = () => until('the lab to apply every API write', () => pendingWrites(lab.stateDir) === 0, 60_000);

  beforeAll(async () => {
    await lab.up(['-f', fixture('apply-base.yaml')]);
  }, T);

  afterAll(async () => {
    expect(await lab.cleanup()).toEqual([]);
  }, T);

  it('kubectl create starts a Deployment\'s pods in the lab; its Service answers from another pod (real packets)', async () => {
    expect(ok(['create', '-f', file('kweb.yaml', deployment(2))])).toMatch(/deployment\.apps\/kweb created\s+service\/kweb created/);
    expect(ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s'])).toMatch(/successfully rolled out/);
    await settled();
    const pods = await kwebPods();
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.phase === 'Running' && p.ip !== '')).toBe(true);
    const svc = JSON.parse(ok(['get', 'service', 'kweb', '-o', 'json'])) as { spec: { clusterIP: string } };
    expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const [r] = await lab.probeFromPod('default/solo', [{ proto: 'http', host: svc.spec.clusterIP, port: 80, path: '/' }]);
    expect(r.ok).toBe(true);
    // Both doors see each other's objects: podnet get shows the Service kubectl made, kubectl the Pod podnet applied.
    expect(await lab.ok('get', ['services'])).toMatch(/^kweb\s/m);
    expect(ok(['get', 'pod', 'solo', '-o', 'jsonpath={.metadata.name}'])).toBe('solo');
  }, T);

  it('every object the API serves is valid against the Kubernetes schema (nothing a strict client would call unknown)', () => {
    for (const resource of ['pods', 'services', 'endpointslices', 'nodes', 'namespaces', 'deployments', 'configmaps']) {
      const list = JSON.parse(ok(['get', resource, '-A', '-o', 'json'])) as { items: { apiVersion: string; kind: string; metadata: { name: string } }[] };
      for (const item of list.items) expect(unknownFields(item, item), `${item.kind} ${item.metadata.name}`).toEqual([]);
    }
  });

  it('create again is AlreadyExists; an invalid object is refused whole with the field named (exit 1, nothing applied)', () => {
    const again = kubectl(['create', '-f', file('kweb.yaml', deployment(2))]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/AlreadyExists|already exists/);
    const bad = kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata: {name: badsvc}\nspec: {ports: [{port: 70000}]}\n');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/is invalid/);
    expect(bad.stderr).toContain('spec.ports[0].port');
    expect(kubectl(['get', 'service', 'badsvc']).status).toBe(1);
    // kubectl's default validation is the server's Strict: a typo is an error, not a silent drop.
    const typo = kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndta: {a: "1"}\n');
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('strict decoding error: unknown field "dta"');
    const warned = kubectl(['create', '--validate=warn', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndta: {a: "1"}\n');
    expect(warned.status).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "dta"');
    ok(['delete', 'configmap', 'typo']);
  });

  it('kubectl apply (client-side) twice with a change: a three-way strategic merge patch scales the Deployment; a third apply is unchanged', async () => {
    ok(['apply', '-f', file('kweb.yaml', deployment(2))]); // adopts the created objects (no last-applied yet)
    expect(ok(['apply', '-f', file('kweb3.yaml', deployment(3))])).toMatch(/deployment\.apps\/kweb configured/);
    ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s']);
    expect(await kwebPods()).toHaveLength(3);
    expect(ok(['apply', '-f', file('kweb3.yaml', deployment(3))])).toMatch(/deployment\.apps\/kweb unchanged/);
    const gen = JSON.parse(ok(['get', 'deployment', 'kweb', '-o', 'json'])) as { metadata: { generation: number; annotations: Record<string, string> }; status: { observedGeneration: number } };
    expect(gen.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"replicas":3');
    expect(gen.metadata.generation).toBeGreaterThan(1);
    expect(gen.status.observedGeneration).toBe(gen.metadata.generation);
  }, T);

  it('objects are served with the server\'s defaults; kubectl replace of what get showed starts no rollout', async () => {
    type Got = { metadata: { generation: number; annotations?: Record<string, string> }; spec: Record<string, unknown> & { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
    const got = JSON.parse(ok(['get', 'deployment', 'kweb', '-o', 'json'])) as Got;
    expect(got.spec).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
    expect(got.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, securityContext: {} });
    expect(got.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
    const svc = JSON.parse(ok(['get', 'service', 'kweb', '-o', 'json'])) as { spec: { ports: Record<string, unknown>[] } };
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 8080 });
    const [pod] = await kwebPods();
    expect(JSON.parse(ok(['get', 'pod', pod.name, '-o', 'json'])).spec).toMatchObject({ enableServiceLinks: true, restartPolicy: 'Always' });
    // Written back with every default it was shown with (and an annotation, so that the write
    // reaches the lab): the same template, so the same pods (all of them, whatever their phase:
    // the lab's state has the new set once the write is applied).
    const allKweb = async () => (await lab.pods()).filter((p) => p.labels.app === 'kweb').map((p) => p.name).sort();
    const podsBefore = await allKweb();
    const meta = got.metadata;
    ok(['replace', '-f', '-'], JSON.stringify({ ...got, metadata: { ...meta, annotations: { ...meta.annotations, 'podnet.test/replaced': 'yes' } } }));
    await settled();
    expect(await allKweb()).toEqual(podsBefore);
    expect((JSON.parse(ok(['get', 'deployment', 'kweb', '-o', 'json'])) as Got).metadata.generation).toBe(got.metadata.generation);
  }, T);

  it('kubectl rollout restart replaces the pods (a new template hash); rollout status sees the rollout done', async () => {
    const before = new Set((await kwebPods()).map((p) => p.name));
    ok(['rollout', 'restart', 'deployment', 'kweb']);
    expect(ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s'])).toMatch(/successfully rolled out/);
    await settled();
    const after = await kwebPods();
    expect(after).toHaveLength(3);
    expect(after.some((p) => before.has(p.name))).toBe(false);
  }, T);

  it('ReplicaSets: one per template with its revision (get rs, rollout history); rollout undo brings the previous template back under its ReplicaSet', async () => {
    type RS = { metadata: { name: string; annotations: Record<string, string>; ownerReferences: { kind: string; name: string; uid: string }[] }; spec: { replicas: number }; status: { replicas: number } };
    const sets = () => (JSON.parse(ok(['get', 'rs', '-l', 'app=kweb', '-o', 'json'])) as { items: RS[] }).items.sort((a, b) => Number(a.metadata.annotations['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations['deployment.kubernetes.io/revision']));
    await until('kweb to have ReplicaSets for two templates', () => sets().length >= 2, 15_000);
    const before = sets();
    const [previous, current] = before.slice(-2);
    const uid = ok(['get', 'deploy', 'kweb', '-o', 'jsonpath={.metadata.uid}']);
    expect(before.every((rs) => rs.metadata.ownerReferences[0].kind === 'Deployment' && rs.metadata.ownerReferences[0].uid === uid)).toBe(true);
    expect([current.spec.replicas, previous.spec.replicas]).toEqual([3, 0]);
    const rev = (rs: RS) => rs.metadata.annotations['deployment.kubernetes.io/revision'];
    expect(ok(['get', 'deploy', 'kweb', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).toBe(rev(current));
    expect(ok(['get', 'rs', current.metadata.name])).toMatch(new RegExp(`^NAME\\s+DESIRED\\s+CURRENT\\s+READY\\s+AGE\\n${current.metadata.name}\\s+3\\s+3\\s+3\\s+`));
    // The pods belong to the current ReplicaSet, which belongs to the Deployment.
    expect((await kwebPods()).every((p) => p.name.startsWith(`${current.metadata.name}-`))).toBe(true);
    const [pod] = await kwebPods();
    expect(ok(['describe', 'pod', pod.name])).toMatch(new RegExp(`Controlled By:\\s+ReplicaSet/${current.metadata.name}\\n`));
    expect(ok(['rollout', 'history', 'deployment', 'kweb'])).toMatch(new RegExp(`REVISION\\s+CHANGE-CAUSE\\n(.*\\n)*${rev(previous)}\\s+<none>\\n${rev(current)}\\s+<none>\\n`));
    expect(ok(['rollout', 'undo', 'deployment', 'kweb'])).toMatch(/deployment\.apps\/kweb rolled back/);
    expect(ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s'])).toMatch(/successfully rolled out/);
    await settled();
    await until('the pods of the previous ReplicaSet', async () => {
      const pods = await kwebPods();
      return pods.length === 3 && pods.every((p) => p.name.startsWith(`${previous.metadata.name}-`));
    }, 60_000);
    await until('the previous ReplicaSet to be current again, with the next revision', () => {
      const after = sets();
      const top = after[after.length - 1];
      return top.metadata.name === previous.metadata.name && Number(rev(top)) === Number(rev(current)) + 1 && top.spec.replicas === 3;
    }, 15_000);
    const after = sets();
    expect(after[after.length - 1].metadata.annotations['deployment.kubernetes.io/revision-history']).toBe(rev(previous));
    expect(ok(['rollout', 'history', 'deployment', 'kweb'])).toMatch(new RegExp(`${rev(current)}\\s+<none>\\n${Number(rev(current)) + 1}\\s+<none>\\n`));
  }, T);

  it('label, annotate, patch (merge and json), replace; --dry-run=server changes nothing', () => {
    ok(['label', 'service', 'kweb', 'team=net']);
    ok(['annotate', 'service', 'kweb', 'note=hello']);
    ok(['patch', 'service', 'kweb', '--type', 'merge', '-p', '{"metadata":{"labels":{"extra":"1"}}}']);
    ok(['patch', 'service', 'kweb', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/labels/extra"}]']);
    const svc = JSON.parse(ok(['get', 'service', 'kweb', '-o', 'json'])) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
    expect(svc.metadata.labels).toEqual({ team: 'net' });
    expect(svc.metadata.annotations.note).toBe('hello');
    ok(['create', 'configmap', 'settings', '--from-literal=a=1']);
    const cm = JSON.parse(ok(['get', 'configmap', 'settings', '-o', 'json'])) as Record<string, unknown>;
    ok(['replace', '-f', '-'], JSON.stringify({ ...cm, data: { a: '2' } }));
    expect(ok(['get', 'configmap', 'settings', '-o', 'jsonpath={.data.a}'])).toBe('2');
    expect(kubectl(['replace', '-f', '-'], JSON.stringify({ ...cm, data: { a: '3' } })).stderr).toMatch(/modified|Conflict/); // cm's resourceVersion is stale now
    expect(ok(['create', 'configmap', 'ghost', '--from-literal=a=1', '--dry-run=server'])).toMatch(/configmap\/ghost created \(server dry run\)/);
    expect(kubectl(['get', 'configmap', 'ghost']).status).toBe(1);
    // kubectl's generators send protobuf bodies (typed clients): a Secret's bytes, a Deployment.
    ok(['create', 'secret', 'generic', 'token', '--from-literal=key=s3cret']);
    expect(Buffer.from(ok(['get', 'secret', 'token', '-o', 'jsonpath={.data.key}']), 'base64').toString()).toBe('s3cret');
    ok(['create', 'deployment', 'kgen', '--image=registry.example/web:1', '--port=8080', '--replicas=2']);
    expect(ok(['rollout', 'status', 'deployment', 'kgen', '--timeout=60s'])).toMatch(/successfully rolled out/);
    ok(['delete', 'deployment', 'kgen']);
  });

  it('kubectl scale through the scale subresource; a deleted pod is replaced under a new name; the lab\'s objects cannot be changed otherwise', async () => {
    ok(['scale', 'deployment', 'kweb', '--replicas=1']);
    ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s']);
    await settled();
    expect(await kwebPods()).toHaveLength(1);
    const scale = JSON.parse(ok(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/kweb/scale'])) as { kind: string; spec: { replicas: number } };
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 1 } });
    const [pod] = await kwebPods();
    const r = kubectl(['annotate', 'pod', pod.name, 'note=x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Deployment kweb');
    // As a ReplicaSet does: the deleted pod goes, a new one (a new name, a new sandbox) comes.
    expect(ok(['delete', 'pod', pod.name])).toMatch(new RegExp(`pod "${pod.name}" deleted`));
    await settled();
    await until('a replacement pod Running', async () => {
      const now = await kwebPods();
      return now.length === 1 && now[0].name !== pod.name;
    }, 60_000);
    const [replacement] = await kwebPods();
    expect(replacement.name.slice(0, replacement.name.lastIndexOf('-'))).toBe(pod.name.slice(0, pod.name.lastIndexOf('-')));
    expect(kubectl(['get', 'pod', pod.name]).stderr).toMatch(/NotFound/);
    expect(ok(['rollout', 'status', 'deployment', 'kweb', '--timeout=60s'])).toMatch(/successfully rolled out/);
  }, T);

  it('kubectl delete pod of a StatefulSet: the pod comes back under its name, a new object (new uid) with a new sandbox and containers', async () => {
    ok(['apply', '-f', '-'], 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: kdb}\nspec:\n  replicas: 1\n  serviceName: kdb\n  selector: {matchLabels: {app: kdb}}\n  template:\n    metadata: {labels: {app: kdb}}\n    spec:\n      containers: [{name: db, image: registry.example/db:1, command: [sh, -c, "echo started-$(date +%s%N); exec sleep 3600"]}]\n');
    await settled();
    await until('kdb-0 Running', async () => (await lab.pods()).some((p) => p.name === 'kdb-0' && p.phase === 'Running'), 60_000);
    const uid = ok(['get', 'pod', 'kdb-0', '-o', 'jsonpath={.metadata.uid}']);
    const started = () => (ok(['logs', 'kdb-0']).match(/^started-\d+$/gm) ?? []);
    await until('kdb-0 to have started', () => started().length === 1, 30_000);
    const first = started()[0];
    expect(ok(['delete', 'pod', 'kdb-0'])).toMatch(/pod "kdb-0" deleted/);
    await until('kdb-0 again, a new object, Running', async () => {
      const again = kubectl(['get', 'pod', 'kdb-0', '-o', 'jsonpath={.metadata.uid} {.status.phase}']).stdout.split(' ');
      return again[0] !== '' && again[0] !== uid && again[1] === 'Running';
    }, 60_000);
    await until('its container to have started again', () => started().some((s) => s !== first), 30_000);
    expect(ok(['get', 'pod', 'kdb-0', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).toBe('0');
    ok(['delete', 'statefulset', 'kdb']);
    await settled();
  }, T);

  it('kubectl delete --cascade=orphan: the Deployment goes, its ReplicaSet and pods stay (same names and addresses, no restart); deleting the ReplicaSet then stops them', async () => {
    const korph = async () => (await lab.pods()).filter((p) => p.labels.app === 'korph');
    ok(['create', 'deployment', 'korph', '--image=registry.example/web:1', '--replicas=2', '--port=8080']);
    await settled();
    await until('korph\'s 2 pods Running', async () => (await korph()).filter((p) => p.phase === 'Running').length === 2, 60_000);
    await until('korph\'s ReplicaSet', () => ok(['get', 'rs', '-l', 'app=korph', '-o', 'name']).trim() !== '', 15_000);
    const rs = ok(['get', 'rs', '-l', 'app=korph', '-o', 'name']).trim();
    const before = (await korph()).map((p) => `${p.name} ${p.ip} ${p.node}`).sort();
    expect(ok(['delete', 'deployment', 'korph', '--cascade=orphan'])).toMatch(/deployment\.apps "korph" deleted/);
    await settled();
    expect(kubectl(['get', 'deployment', 'korph']).stderr).toMatch(/NotFound/);
    expect(ok(['get', rs, '-o', 'jsonpath={.metadata.ownerReferences}'])).toBe('');
    expect(ok(['get', rs, '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    expect((await korph()).map((p) => `${p.name} ${p.ip} ${p.node}`).sort()).toEqual(before);
    expect(ok(['get', 'pods', '-l', 'app=korph', '-o', 'jsonpath={.items[*].status.containerStatuses[*].restartCount}']).trim()).toBe('0 0');
    expect(ok(['get', 'pods', '-l', 'app=korph', '-o', 'jsonpath={.items[*].metadata.ownerReferences[0].kind}']).trim()).toBe('ReplicaSet ReplicaSet');
    ok(['delete', rs]);
    await settled();
    await until('korph\'s pods gone', async () => (await korph()).length === 0, 60_000);
  }, T);

  it('finalizers: kubectl delete leaves an object its finalizer holds marked (deletionTimestamp) through the lab\'s syncs; removing the finalizer deletes it', async () => {
    ok(['create', 'configmap', 'kfin', '--from-literal=a=1']);
    ok(['patch', 'configmap', 'kfin', '--type', 'merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    expect(ok(['delete', 'configmap', 'kfin', '--wait=false'])).toMatch(/configmap "kfin" deleted/);
    await settled();
    await new Promise((r) => setTimeout(r, 2_500)); // the store follows the lab every second: the mark stays
    expect(ok(['get', 'configmap', 'kfin', '-o', 'jsonpath={.metadata.deletionTimestamp}'])).toMatch(/^\d{4}-\d\d-\d\dT/);
    const more = kubectl(['patch', 'configmap', 'kfin', '--type', 'merge', '-p', '{"metadata":{"finalizers":["example.com/hold","example.com/more"]}}']);
    expect(more.status).toBe(1);
    expect(more.stderr).toMatch(/no new finalizers can be added if the object is being deleted/);
    ok(['patch', 'configmap', 'kfin', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await settled();
    await until('kfin to be gone', () => kubectl(['get', 'configmap', 'kfin']).status === 1, 15_000);
  }, T);

  it('kubectl apply --server-side: creates, applies a change, a conflict with another manager (exit 1) unless --force-conflicts', async () => {
    const ssa = (replicas: number) => deployment(replicas).replaceAll('kweb', 'kssa');
    expect(ok(['apply', '--server-side', '-f', file('kssa.yaml', ssa(1))])).toMatch(/deployment\.apps\/kssa serverside-applied/);
    ok(['rollout', 'status', 'deployment', 'kssa', '--timeout=60s']);
    const live = JSON.parse(ok(['get', 'deployment', 'kssa', '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string }[] } };
    expect(live.metadata.managedFields.map((m) => `${m.manager}:${m.operation}`)).toContain('kubectl:Apply');
    ok(['scale', 'deployment', 'kssa', '--replicas=2']);
    const conflict = kubectl(['apply', '--server-side', '-f', file('kssa.yaml', ssa(3))]);
    expect(conflict.status).toBe(1);
    expect(conflict.stderr).toMatch(/conflict with "kubectl[^"]*".*\.spec\.replicas/s);
    ok(['apply', '--server-side', '--force-conflicts', '-f', file('kssa.yaml', ssa(3))]);
    ok(['rollout', 'status', 'deployment', 'kssa', '--timeout=60s']);
    await settled();
    expect((await lab.pods()).filter((p) => p.labels.app === 'kssa' && p.phase === 'Running')).toHaveLength(3);
    ok(['delete', '-f', file('kssa.yaml', ssa(3))]);
  }, T);

  it('kubectl logs: a container\'s output, --tail, -f following new output; the server wants a container when there are several', async () => {
    // kubectl picks the first container itself; the server, asked for none, says which there are.
    expect(kubectl(['logs', 'solo']).stderr).toContain('Defaulted container "web" out of: web, sleeper');
    const raw = kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/solo/log']);
    expect(raw.status).toBe(1);
    expect(raw.stderr).toMatch(/a container name must be specified for pod solo, choose one of: \[web sleeper\]/);
    ok(['create', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: talker}\nspec:\n  containers:\n    - name: talk\n      image: registry.example/busybox:1\n      command: [sh, -c, "echo one; echo two; echo three; sleep 2; echo four; exec sleep 3600"]\n');
    await settled();
    await until('talker to print three lines', () => kubectl(['logs', 'talker']).stdout.includes('three'), 30_000);
    expect(ok(['logs', 'talker', '--tail=2'])).toMatch(/^(two\nthree\n|three\nfour\n)$/);
    const follow = spawnSync('kubectl', ['--kubeconfig', lab.kubeconfig, 'logs', '-f', 'talker', '--request-timeout=6s'], { encoding: 'utf8', timeout: 20_000 });
    expect(follow.stdout).toContain('four');
    expect(kubectl(['logs', 'talker', '--since=1h']).stderr).toContain('no timestamps');
    ok(['delete', 'pod', 'talker']);
  }, T);

  it('kubectl logs --previous: the instance before the last restart, none before one (400); podnet logs -p the same', async () => {
    expect(kubectl(['logs', '-p', 'solo', '-c', 'web']).stderr).toMatch(/previous terminated container "web" in pod "solo" not found/);
    ok(['create', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: crasher}\nspec:\n  containers:\n    - name: crash\n      image: registry.example/busybox:1\n      command: [sh, -c, "echo run-$(date +%s%N); sleep 1; exit 3"]\n');
    await settled();
    await until('crasher to be restarted once', () => /^[1-9]/.test(kubectl(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']).stdout), 90_000);
    const runs = (text: string) => text.match(/^run-\d+$/gm) ?? [];
    const previous = runs(ok(['logs', '-p', 'crasher']));
    expect(previous).toHaveLength(1);
    const current = runs(ok(['logs', 'crasher']));
    expect(current.length).toBeLessThanOrEqual(1); // the current run may not have printed yet
    if (current.length === 1) expect(current[0]).not.toBe(previous[0]);
    expect(runs(await lab.ok('logs', ['crasher', '-p']))).toHaveLength(1);
    const none = await lab.cli('logs', ['solo', '-c', 'web', '-p']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/previous terminated container "web" in pod default\/solo not found/);
    ok(['delete', 'pod', 'crasher']);
  }, T);

  it('client-node: create, replace and delete a ConfigMap; an informer sees each as it happens; a Deployment it creates runs', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(lab.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const events: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    informer.on('add', (o) => events.push(`add ${o.metadata!.name} ${JSON.stringify(o.data)}`));
    informer.on('update', (o) => events.push(`update ${o.metadata!.name} ${JSON.stringify(o.data)}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata!.name}`));
    await informer.start();
    const made = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'informed' }, data: { a: '1' } } });
    expect(made.metadata?.uid).toBeTruthy();
    await core.replaceNamespacedConfigMap({ name: 'informed', namespace: 'default', body: { ...made, data: { a: '2' } } });
    await core.deleteNamespacedConfigMap({ name: 'informed', namespace: 'default' });
    await until('the informer to see add, update, delete', () => events.includes('delete informed'), 15_000);
    await informer.stop();
    expect(events.filter((e) => e.includes('informed'))).toEqual(['add informed {"a":"1"}', 'update informed {"a":"2"}', 'delete informed']);
    await apps.createNamespacedDeployment({ namespace: 'default', body: { metadata: { name: 'knode' }, spec: { replicas: 1, selector: { matchLabels: { app: 'knode' } }, template: { metadata: { labels: { app: 'knode' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1', ports: [{ containerPort: 8080 }] }] } } } } });
    expect(ok(['rollout', 'status', 'deployment', 'knode', '--timeout=60s'])).toMatch(/successfully rolled out/);
    await apps.deleteNamespacedDeployment({ name: 'knode', namespace: 'default' });
  }, T);

  it('a write answered is not lost: SIGKILLed right after it, the API server restarted by the monitor applies it', async () => {
    const server = () => JSON.parse(readFileSync(join(lab.stateDir, 'api', 'server.json'), 'utf8')) as { pid: number };
    const old = server().pid;
    ok(['create', '-f', file('kept.yaml', deployment(1).replaceAll('kweb', 'kept'))]);
    process.kill(old, 'SIGKILL');
    await until('the API server to be restarted', () => kubectl(['get', '--raw', '/version']).status === 0 && server().pid !== old, 30_000);
    expect(ok(['rollout', 'status', 'deployment', 'kept', '--timeout=60s'])).toMatch(/successfully rolled out/);
    await settled();
    expect((await lab.pods()).filter((p) => p.labels.app === 'kept' && p.phase === 'Running')).toHaveLength(1);
    ok(['delete', 'deployment', 'kept']);
    ok(['delete', 'service', 'kept']);
  }, T);

  it('delete -f stops the pods; deleting a namespace deletes what is in it', async () => {
    expect(ok(['delete', '-f', file('kweb.yaml', deployment(1))])).toMatch(/deployment\.apps "kweb" deleted/);
    await settled();
    expect(await kwebPods()).toHaveLength(0);
    ok(['create', 'namespace', 'team']);
    ok(['create', '-n', 'team', '-f', file('team.yaml', deployment(2).replaceAll(', namespace: default', ''))]);
    await settled();
    expect((await lab.pods()).filter((p) => p.namespace === 'team')).toHaveLength(2);
    ok(['delete', 'namespace', 'team']);
    await settled();
    expect((await lab.pods()).filter((p) => p.namespace === 'team')).toHaveLength(0);
    expect(kubectl(['get', 'namespace', 'team']).status).toBe(1);
  }, T);
});
