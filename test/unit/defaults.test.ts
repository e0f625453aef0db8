/** The server's defaults (src/api/defaults.ts): upstream's values, and nothing they change for the lab. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCluster } from '../../src/api/cluster.js';
import { imageTag, podTemplateWithDefaults, templateHash, withDefaults } from '../../src/api/defaults.js';
import { readManifests, type RawObject } from '../../src/api/load.js';
import type { Cluster } from '../../src/model/types.js';

type Raw = Record<string, unknown>;

/** Every manifest the tests and the real applications of ../shared have, read without problems. */
function manifests(): { file: string; objects: RawObject[] }[] {
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? files(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });
  return [...files('test/fixtures'), ...files('../shared/manifests')]
    .map((file) => ({ file, ...readManifests([file]) }))
    .filter((m) => m.problems.length === 0)
    .map(({ file, objects }) => ({ file, objects }));
}
const MANIFESTS = manifests();
const allObjects = () => MANIFESTS.flatMap((m) => m.objects.map((o) => o.obj as Raw));

const container = { name: 'web', image: 'registry.example/web:1' };
const CONTAINER_DEFAULTS = { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' };
const POD_SPEC_DEFAULTS = { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' };

describe('withDefaults: the values of kube-apiserver 1.32', () => {
  it('a Deployment: replicas, a RollingUpdate of 25%/25%, 10 revisions, 600 s deadline; its template as a PodSpec (no Pod-only defaults)', () => {
    const d = withDefaults({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ ...container, ports: [{ containerPort: 8080 }] }] } } } });
    expect(d.spec).toEqual({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { ...POD_SPEC_DEFAULTS, containers: [{ ...container, ...CONTAINER_DEFAULTS, ports: [{ containerPort: 8080, protocol: 'TCP' }] }] } },
    });
    // Recreate has no rollingUpdate; what is set stays.
    expect((withDefaults({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0, strategy: { type: 'Recreate' } } }).spec as Raw).strategy).toEqual({ type: 'Recreate' });
    expect((withDefaults({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0 } }).spec as Raw).replicas).toBe(0);
  });

  it('a Pod: SetDefaults_Pod too (enableServiceLinks, requests from limits, host ports with hostNetwork), probes, volumes, fieldRefs', () => {
    const p = withDefaults({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
      spec: {
        hostNetwork: true,
        containers: [{
          name: 'c', image: 'busybox', ports: [{ containerPort: 9100 }],
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m' } },
          livenessProbe: { httpGet: { port: 8080 } }, readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        }],
        volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'x' } }, { name: 'h', hostPath: { path: '/tmp' } }],
      },
    });
    const spec = p.spec as Raw;
    expect(spec).toMatchObject({ ...POD_SPEC_DEFAULTS, enableServiceLinks: true });
    const c = (spec.containers as Raw[])[0];
    expect(c.imagePullPolicy).toBe('Always'); // no tag: latest
    expect(c.ports).toEqual([{ containerPort: 9100, protocol: 'TCP', hostPort: 9100 }]);
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } });
    expect(c.livenessProbe).toEqual({ httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 2, successThreshold: 1, failureThreshold: 3 });
    expect(c.env).toEqual([{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } } }]);
    expect(spec.volumes).toEqual([{ name: 'scratch', emptyDir: {} }, { name: 'cfg', configMap: { name: 'x', defaultMode: 420 } }, { name: 'h', hostPath: { path: '/tmp', type: '' } }]);
  });

  it.each([
    ['nginx', 'latest'], ['nginx:1.25', '1.25'], ['registry.example:5000/web', 'latest'], ['registry.example:5000/web:2', '2'],
    ['web@sha256:abc', ''], ['web:1@sha256:abc', '1'], ['a/b/c:latest', 'latest'],
  ])('the tag of %s is %j (Always only for latest)', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });

  it('Services: ClusterIP, no affinity, TCP, targetPort = port; ClientIP affinity 10800 s; NodePort/LoadBalancer traffic policies', () => {
    const svc = (spec: Raw) => withDefaults({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec }).spec as Raw;
    expect(svc({ ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] })).toEqual({
      sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    });
    expect(svc({ sessionAffinity: 'None', sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }).sessionAffinityConfig).toBeUndefined();
    expect(svc({ sessionAffinity: 'ClientIP' }).sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10_800 } });
    expect(svc({ type: 'NodePort' })).toMatchObject({ externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' });
    expect(svc({ type: 'LoadBalancer' })).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const external = svc({ type: 'ExternalName', externalName: 'db.example' });
    expect(external.internalTrafficPolicy).toBeUndefined();
    expect(external.externalTrafficPolicy).toBeUndefined();
  });

  it('NetworkPolicies: TCP ports; policyTypes Ingress, plus Egress when there are egress rules', () => {
    const np = (spec: Raw) => withDefaults({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', spec }).spec as Raw;
    expect(np({ podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })).toEqual({ podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }], policyTypes: ['Ingress'] });
    expect(np({ podSelector: {}, egress: [{}] }).policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np({ podSelector: {}, egress: [] }).policyTypes).toEqual(['Ingress']);
    expect(np({ podSelector: {}, policyTypes: ['Egress'] }).policyTypes).toEqual(['Egress']);
  });

  it('Jobs: both counts 1 when neither is set, parallelism 1 alone otherwise; backoffLimit 6; labels from the template; the template keeps no restartPolicy', () => {
    const job = (spec: Raw) => withDefaults({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { metadata: { labels: { app: 'j' } }, spec: { containers: [container] } }, ...spec } });
    const j = job({});
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
    expect((j.metadata as Raw).labels).toEqual({ app: 'j' });
    expect((((j.spec as Raw).template as Raw).spec as Raw).restartPolicy).toBeUndefined();
    expect(job({ completions: 5 }).spec).toMatchObject({ completions: 5, parallelism: 1 });
    expect((job({ parallelism: 3 }).spec as Raw).completions).toBeUndefined();
    expect(job({ backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 2 }).spec).toMatchObject({ backoffLimit: 2_147_483_647 });
    expect(job({ podFailurePolicy: { rules: [] } }).spec).toMatchObject({ podReplacementPolicy: 'Failed' });
  });

  it('StatefulSets, DaemonSets, ReplicaSets, Namespaces, Secrets', () => {
    expect(withDefaults({ apiVersion: 'apps/v1', kind: 'StatefulSet', spec: {} }).spec).toEqual({
      replicas: 1, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(withDefaults({ apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { updateStrategy: { type: 'OnDelete' } } }).spec).toMatchObject({ updateStrategy: { type: 'OnDelete' } });
    expect(withDefaults({ apiVersion: 'apps/v1', kind: 'DaemonSet', spec: {} }).spec).toEqual({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect(withDefaults({ apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: {} }).spec).toEqual({ replicas: 1 });
    expect(withDefaults({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } })).toEqual({
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a', 'kubernetes.io/metadata.name': 'shop' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
    });
    expect(withDefaults({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }).type).toBe('Opaque');
    expect(withDefaults({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } })).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });
});

describe('withDefaults on every manifest of the tests and of ../shared', () => {
  it('reads some', () => {
    expect(MANIFESTS.length).toBeGreaterThan(50);
  });

  it('does not change its input, keeps every field that was set, and is idempotent', () => {
    /** Every leaf of `given` is in `out` with the same value (sessionAffinityConfig of an affinity None is dropped upstream too). */
    const kept = (given: unknown, out: unknown, path: string): void => {
      if (typeof given !== 'object' || given === null) return void expect(out, path).toEqual(given);
      if (Array.isArray(given)) return given.forEach((g, i) => kept(g, (out as unknown[])[i], `${path}[${i}]`));
      for (const [k, v] of Object.entries(given)) if (!(k === 'sessionAffinityConfig' && (out as Raw).sessionAffinity === 'None')) kept(v, (out as Raw)[k], `${path}.${k}`);
    };
    for (const obj of allObjects()) {
      const before = JSON.stringify(obj);
      const once = withDefaults(obj);
      expect(JSON.stringify(obj)).toBe(before);
      kept(obj, once, String(obj.kind));
      expect(withDefaults(once)).toEqual(once);
    }
  });

  it('a template hashes as the same template with its defaults (so writing back what the API shows starts no rollout)', () => {
    const templates = allObjects().flatMap((o) => {
      const t = (o.spec as Raw | undefined)?.template;
      return t && typeof t === 'object' ? [t] : [];
    });
    expect(templates.length).toBeGreaterThan(20);
    for (const t of templates) expect(templateHash(podTemplateWithDefaults(t))).toBe(templateHash(t));
    expect(new Set(templates.map((t) => templateHash(t))).size).toBeGreaterThan(templates.length / 2);
  });

  it('the lab reads every manifest with the defaults as it reads it without them (pods, names, ports, probes, Services, policies)', () => {
    // The model keeps a few fields as given where the code treats "unset" as the default:
    // restartPolicy (lab/agent-specs.ts: ?? 'Always'), dnsPolicy (trace/dns.ts: ?? 'ClusterFirst'),
    // an empty pod securityContext, and a hostNetwork pod's hostPort (model/scheduler.ts).
    const same = (c: Cluster) => {
      for (const p of c.pods) {
        p.restartPolicy ??= 'Always';
        p.dnsPolicy ??= 'ClusterFirst';
        if (p.securityContext && Object.keys(p.securityContext).length === 0) delete p.securityContext;
        if (p.hostNetwork) for (const k of p.containers) for (const q of k.ports) q.hostPort ??= q.containerPort;
      }
      return c;
    };
    let read = 0;
    for (const { file, objects } of MANIFESTS) {
      let plain: Cluster;
      try {
        plain = readCluster(objects);
      } catch {
        continue; // a manifest of invalid objects (test/fixtures/errors)
      }
      const defaulted = readCluster(objects.map((o) => ({ ...o, obj: withDefaults(o.obj as Raw) })));
      expect(same(defaulted), file).toEqual(same(plain));
      read++;
    }
    expect(read).toBeGreaterThan(50);
  });
});
