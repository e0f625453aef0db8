import { describe, expect, it } from 'vitest';
import { buildServiceTable, endpointSlicesFor, nodeLookup, readyWhen, type PodEndpointStatus } from '../../src/model/endpoints.js';
import type { ServiceAllocation } from '../../src/model/service-table.js';
import { serviceColumns, serviceObject, serviceView, sliceColumns, sliceObject } from '../../src/model/service-view.js';
import { allocateServices } from '../../src/model/services.js';
import type { Cluster } from '../../src/model/types.js';
import { loadCluster, node, pod, type PortSpec } from './fixtures.js';

type Obj = Record<string, unknown>;
const CIDR = '10.96.0.0/12';

function service(key: string, spec: Obj = {}): Obj {
  const [namespace, name] = key.includes('/') ? key.split('/') : ['default', key];
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port: 80 }], ...spec } };
}

function allocate(docs: Obj[], options: { lbCidr?: string; previous?: Record<string, ServiceAllocation>; serviceCidr?: string } = {}) {
  const cluster = loadCluster(docs);
  return allocateServices(cluster.services, { serviceCidr: options.serviceCidr ?? CIDR, lbCidr: options.lbCidr, previous: new Map(Object.entries(options.previous ?? {})) });
}

const ips = (r: ReturnType<typeof allocate>) => Object.fromEntries([...r.allocations].map(([k, a]) => [k, a.clusterIP]));
const names = (n: number, spec: Obj = {}) => Array.from({ length: n }, (_, i) => service(`s${String(i).padStart(2, '0')}`, spec));

describe('allocateServices: cluster IPs', () => {
  it.each([
    ['sequential in namespace/name order, whatever the input order', [service('b'), service('a'), service('x/a')], { 'default/a': '10.96.0.2', 'default/b': '10.96.0.3', 'x/a': '10.96.0.4' }],
    ['the kubernetes and kube-dns Services get the 1st and 10th addresses', [service('kubernetes'), service('kube-system/kube-dns'), service('a')], { 'default/a': '10.96.0.2', 'default/kubernetes': '10.96.0.1', 'kube-system/kube-dns': '10.96.0.10' }],
    ['an explicit spec.clusterIP is honoured and skipped by the others', [service('a'), service('b', { clusterIP: '10.96.0.2' })], { 'default/a': '10.96.0.3', 'default/b': '10.96.0.2' }],
    ['an explicit clusterIP may take the kube-dns address', [service('coredns', { clusterIP: '10.96.0.10' })], { 'default/coredns': '10.96.0.10' }],
    ['headless and ExternalName Services get none', [service('h', { clusterIP: 'None' }), service('e', { type: 'ExternalName', externalName: 'example.com' })], { 'default/e': undefined, 'default/h': undefined }],
  ])('%s', (_name, docs, want) => {
    const r = allocate(docs);
    expect(r.problems).toEqual([]);
    expect(ips(r)).toEqual(want);
  });

  it('never hands out the network, 1st (kubernetes) or 10th (kube-dns) address', () => {
    const got = Object.values(ips(allocate(names(10))));
    expect(got).toEqual(['2', '3', '4', '5', '6', '7', '8', '9', '11', '12'].map((n) => `10.96.0.${n}`));
  });

  it.each([
    ['outside the service CIDR', [service('a', { clusterIP: '10.0.0.5' })], 'default/a', 'not in the valid range 10.96.0.0/12'],
    ['the network address', [service('a', { clusterIP: '10.96.0.0' })], 'default/a', 'not in the valid range'],
    ['the broadcast address', [service('a', { clusterIP: '10.111.255.255' })], 'default/a', 'not in the valid range'],
    ['taken by another explicit request (the later Service fails)', [service('b', { clusterIP: '10.96.0.5' }), service('a', { clusterIP: '10.96.0.5' })], 'default/b', 'already allocated to service default/a'],
    ['the kubernetes Service address', [service('a', { clusterIP: '10.96.0.1' })], 'default/a', 'reserved for the kubernetes Service'],
    ['headless NodePort', [service('a', { clusterIP: 'None', type: 'NodePort' })], 'default/a', "may not be set to 'None' for NodePort services"],
    ['ExternalName with a clusterIP', [service('a', { type: 'ExternalName', externalName: 'x.org', clusterIP: '10.96.0.9' })], 'default/a', 'may not be set for ExternalName services'],
  ])('rejects a clusterIP %s', (_name, docs, rejected, message) => {
    const r = allocate(docs);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain(`service ${rejected}: spec.clusterIP: `);
    expect(r.problems[0]).toContain(message);
    expect(r.allocations.has(rejected)).toBe(false);
  });

  it('reports an exhausted service CIDR', () => {
    const r = allocate(names(6), { serviceCidr: '10.96.0.0/29' }); // .2-.6 usable (.1 reserved)
    expect(r.problems).toEqual([expect.stringContaining('service default/s05: spec.clusterIP: no free cluster IP left in the service CIDR 10.96.0.0/29')]);
  });

  it('keeps previous allocations stable when Services are added', () => {
    const previous = { 'default/b': { clusterIP: '10.96.0.2', nodePorts: {} }, 'default/c': { clusterIP: '10.96.0.3', nodePorts: {} } };
    expect(ips(allocate([service('a'), service('b'), service('c')], { previous }))).toEqual({ 'default/a': '10.96.0.4', 'default/b': '10.96.0.2', 'default/c': '10.96.0.3' });
  });

  it('lets a changed spec.clusterIP win over the previous one, and fails a request for an address held before', () => {
    const previous = { 'default/a': { clusterIP: '10.96.0.2', nodePorts: {} } };
    expect(ips(allocate([service('a', { clusterIP: '10.96.0.50' })], { previous }))).toEqual({ 'default/a': '10.96.0.50' });
    const r = allocate([service('a'), service('new', { clusterIP: '10.96.0.2' })], { previous });
    expect(r.problems).toEqual([expect.stringContaining('service default/new: spec.clusterIP: failed to allocate IP: 10.96.0.2 is already allocated to service default/a')]);
  });
});

describe('allocateServices: node ports', () => {
  const np = (r: ReturnType<typeof allocate>) => Object.fromEntries([...r.allocations].map(([k, a]) => [k, a.nodePorts]));
  const web = (name: string, ports: Obj[], type = 'NodePort') => service(name, { type, ports });

  it.each([
    ['sequential from 30000 for NodePort and LoadBalancer, none for ClusterIP', [web('b', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]), web('a', [{ port: 80 }], 'LoadBalancer'), service('c')], { 'default/a': { '': 30000 }, 'default/b': { http: 30001, https: 30002 }, 'default/c': {} }],
    ['an explicit nodePort is honoured and skipped', [web('a', [{ port: 80 }]), web('b', [{ port: 80, nodePort: 30000 }])], { 'default/a': { '': 30001 }, 'default/b': { '': 30000 } }],
    ['ports with the same number (53/TCP, 53/UDP) share one node port', [web('dns', [{ name: 'tcp', port: 53 }, { name: 'udp', port: 53, protocol: 'UDP' }])], { 'default/dns': { tcp: 30000, udp: 30000 } }],
    ['an explicit shared node port for 53/TCP and 53/UDP', [web('dns', [{ name: 'tcp', port: 53, nodePort: 30053 }, { name: 'udp', port: 53, protocol: 'UDP', nodePort: 30053 }])], { 'default/dns': { tcp: 30053, udp: 30053 } }],
  ])('%s', (_name, docs, want) => {
    const r = allocate(docs);
    expect(r.problems).toEqual([]);
    expect(np(r)).toEqual(want);
  });

  it.each([
    ['below the range', [web('a', [{ port: 80, nodePort: 29999 }])], 'default/a', 'spec.ports[0].nodePort', 'not in the valid range 30000-32767'],
    ['above the range', [web('a', [{ port: 80, nodePort: 32768 }])], 'default/a', 'spec.ports[0].nodePort', 'not in the valid range'],
    ['taken by another Service, even for another protocol', [web('a', [{ port: 80, nodePort: 30080 }]), web('b', [{ port: 81, protocol: 'UDP', nodePort: 30080 }])], 'default/b', 'spec.ports[0].nodePort', 'already allocated to service default/a'],
    ['used twice in one Service for different ports', [web('a', [{ name: 'x', port: 80, nodePort: 30080 }, { name: 'y', port: 81, nodePort: 30080 }])], 'default/a', 'spec.ports[1].nodePort', 'already used by another port'],
    ['set on a ClusterIP Service', [service('a', { ports: [{ port: 80, nodePort: 30080 }] })], 'default/a', 'spec.ports[0].nodePort', "may not be used when `type` is 'ClusterIP'"],
    ['two unnamed ports (node ports are kept by port name)', [web('a', [{ port: 80 }, { port: 81 }])], 'default/a', 'spec.ports[1].name', 'required when a Service has more than one port'],
  ])('rejects a nodePort %s', (_name, docs, rejected, path, message) => {
    const r = allocate(docs);
    expect(r.problems).toEqual([expect.stringContaining(`service ${rejected}: ${path}: `)]);
    expect(r.problems[0]).toContain(message);
    expect(r.allocations.has(rejected)).toBe(false);
  });

  it('keeps previous node ports stable', () => {
    const previous = { 'default/b': { clusterIP: '10.96.0.2', nodePorts: { '': 30000 } } };
    expect(np(allocate([web('a', [{ port: 80 }]), web('b', [{ port: 80 }])], { previous }))).toEqual({ 'default/a': { '': 30001 }, 'default/b': { '': 30000 } });
  });
});

describe('allocateServices: load-balancer pool', () => {
  const lb = (name: string, spec: Obj = {}) => service(name, { type: 'LoadBalancer', ...spec });
  const lbIPs = (r: ReturnType<typeof allocate>) => Object.fromEntries([...r.allocations].map(([k, a]) => [k, a.loadBalancerIP]));

  it.each([
    ['no pool: pending, not an error', [lb('a')], undefined, { 'default/a': undefined }, []],
    ['sequential, skipping the network address', [lb('b'), lb('a'), service('c')], '172.18.255.0/28', { 'default/a': '172.18.255.1', 'default/b': '172.18.255.2', 'default/c': undefined }, []],
    ['spec.loadBalancerIP in the pool is honoured', [lb('a'), lb('b', { loadBalancerIP: '172.18.255.1' })], '172.18.255.0/28', { 'default/a': '172.18.255.2', 'default/b': '172.18.255.1' }, []],
    ['spec.loadBalancerIP outside the pool stays pending', [lb('a', { loadBalancerIP: '1.2.3.4' })], '172.18.255.0/28', { 'default/a': undefined }, ['service default/a: spec.loadBalancerIP: stays pending: 1.2.3.4 is not in the valid range']],
    ['spec.loadBalancerIP taken by another Service stays pending', [lb('a', { loadBalancerIP: '172.18.255.5' }), lb('b', { loadBalancerIP: '172.18.255.5' })], '172.18.255.0/28', { 'default/a': '172.18.255.5', 'default/b': undefined }, ['service default/b: spec.loadBalancerIP: stays pending: 172.18.255.5 is already allocated to service default/a']],
    ['an exhausted pool (no broadcast address) leaves the rest pending', [lb('a'), lb('b'), lb('c')], '172.18.255.0/30', { 'default/a': '172.18.255.1', 'default/b': '172.18.255.2', 'default/c': undefined }, ['service default/c: status.loadBalancer: stays pending: no free address']],
  ])('%s', (_name, docs, lbCidr, want, problems) => {
    const r = allocate(docs, { lbCidr });
    expect(lbIPs(r)).toEqual(want);
    expect(r.problems).toEqual(problems.map((p) => expect.stringContaining(p)));
    expect([...r.allocations.values()].every((a) => a.clusterIP)).toBe(true);
  });

  it('keeps previous addresses', () => {
    const previous = { 'default/b': { clusterIP: '10.96.0.2', nodePorts: { '': 30000 }, loadBalancerIP: '172.18.255.1' } };
    expect(lbIPs(allocate([lb('a'), lb('b')], { lbCidr: '172.18.255.0/28', previous }))).toEqual({ 'default/a': '172.18.255.2', 'default/b': '172.18.255.1' });
  });
});

const ports = (...list: PortSpec[]) => list;
const slicesOf = (c: Cluster, ready: (k: string) => boolean = () => true) => endpointSlicesFor(c, readyWhen(ready));
const brief = (c: Cluster, ready?: (k: string) => boolean) =>
  slicesOf(c, ready).map((s) => ({ service: s.serviceName, ports: s.ports.map((p) => `${p.name ?? '-'}:${p.port}/${p.protocol}`), endpoints: s.endpoints.map((e) => e.targetRef?.name ?? e.addresses[0]) }));

describe('endpointSlicesFor', () => {
  it('selects pods with an IP in the Service namespace; conditions follow readiness and publishNotReadyAddresses', () => {
    const docs = [pod('default/a', { labels: { app: 'w' } }), pod('default/b', { labels: { app: 'w' } }), pod('default/c', { labels: { app: 'x' } }), pod('other/d', { labels: { app: 'w' } }), pod('default/e', { labels: { app: 'w' } })];
    const base = loadCluster([...docs, service('web', { selector: { app: 'w' } }), service('pub', { selector: { app: 'w' }, publishNotReadyAddresses: true })]);
    const cluster = { ...base, pods: base.pods.map((p) => (p.name === 'e' ? { ...p, ip: '' } : p)) }; // e: not scheduled yet
    const slices = slicesOf(cluster, (k) => k === 'default/a');
    const cond = (svc: string) => slices.find((s) => s.serviceName === svc)!.endpoints.map((e) => [e.targetRef!.name, e.ready, e.serving, e.terminating]);
    expect(cond('web')).toEqual([['a', true, true, false], ['b', false, false, false]]);
    expect(cond('pub')).toEqual([['a', true, true, false], ['b', true, false, false]]);
  });

  // ShouldPodBeInEndpoints: a terminal pod (Succeeded/Failed) is no endpoint at all, even with
  // publishNotReadyAddresses; a not-ready one is listed with ready=false (true when published).
  it.each<[string, PodEndpointStatus, boolean, [boolean, boolean] | null]>([
    ['ready', 'ready', false, [true, true]],
    ['not ready', 'notReady', false, [false, false]],
    ['terminal', 'terminal', false, null],
    ['ready, published', 'ready', true, [true, true]],
    ['not ready, published', 'notReady', true, [true, false]],
    ['terminal, published', 'terminal', true, null],
  ])('a %s pod: endpoint (ready, serving) %#', (_name, status, publish, want) => {
    const c = loadCluster([pod('default/a', { labels: { app: 'w' } }), pod('default/b', { labels: { app: 'w' } }), service('web', { selector: { app: 'w' }, publishNotReadyAddresses: publish })]);
    const eps = endpointSlicesFor(c, (k) => (k === 'default/a' ? status : 'ready')).flatMap((sl) => sl.endpoints);
    const a = eps.find((e) => e.targetRef?.name === 'a');
    expect(a ? [a.ready, a.serving] : null).toEqual(want);
    expect(eps.filter((e) => e.targetRef?.name === 'b')).toHaveLength(1);
  });

  // KEP-1672: a terminating pod stays an endpoint, ready=false ("ready should never be true if a
  // pod is terminating, unless publishNotReadyAddresses"), serving as its readiness, terminating.
  it.each<[string, PodEndpointStatus, boolean, [boolean, boolean, boolean] | null]>([
    ['ready', 'ready', false, [false, true, true]],
    ['not ready', 'notReady', false, [false, false, true]],
    ['ready, published', 'ready', true, [true, true, true]],
    ['terminal', 'terminal', false, null],
  ])('a terminating %s pod: endpoint (ready, serving, terminating) %#', (_name, status, publish, want) => {
    const base = loadCluster([pod('default/a', { labels: { app: 'w' } }), service('web', { selector: { app: 'w' }, publishNotReadyAddresses: publish })]);
    const c = { ...base, pods: base.pods.map((p) => ({ ...p, deletion: { at: '2026-01-01T00:00:00.000Z', graceSeconds: 30 } })) };
    const a = endpointSlicesFor(c, () => status).flatMap((sl) => sl.endpoints).find((e) => e.targetRef?.name === 'a');
    expect(a ? [a.ready, a.serving, a.terminating] : null).toEqual(want);
  });

  it('a Service whose only pod is terminal keeps the placeholder slice (no ports, no endpoints)', () => {
    const c = loadCluster([pod('default/a', { labels: { app: 'w' } }), service('web', { selector: { app: 'w' } })]);
    expect(brief(c, () => true)).toHaveLength(1);
    expect(endpointSlicesFor(c, () => 'terminal').map((sl) => [sl.ports.length, sl.endpoints.length])).toEqual([[0, 0]]);
  });

  it('resolves a named targetPort per pod by name and protocol: pods resolving differently get separate slices', () => {
    const c = loadCluster([
      pod('default/a', { labels: { app: 'w' }, ports: ports({ name: 'http', containerPort: 8080 }) }),
      pod('default/b', { labels: { app: 'w' }, ports: ports({ name: 'http', containerPort: 9090 }) }),
      pod('default/c', { labels: { app: 'w' }, ports: ports({ name: 'http', containerPort: 8080, protocol: 'UDP' }) }),
      pod('default/d', { labels: { app: 'w' }, ports: ports({ name: 'http', containerPort: 8080 }) }),
      service('web', { selector: { app: 'w' }, ports: [{ port: 80, targetPort: 'http' }] }),
    ]);
    const got = brief(c);
    expect(got).toHaveLength(3);
    expect(got).toContainEqual({ service: 'web', ports: [':8080/TCP'], endpoints: ['a', 'd'] });
    expect(got).toContainEqual({ service: 'web', ports: [':9090/TCP'], endpoints: ['b'] });
    expect(got).toContainEqual({ service: 'web', ports: [], endpoints: ['c'] }); // only a UDP "http"
  });

  it('multi-port: a pod lacking a named port lands in a slice with the other ports only', () => {
    const c = loadCluster([
      pod('default/a', { labels: { app: 'w' }, ports: ports({ name: 'metrics', containerPort: 9100 }) }),
      pod('default/b', { labels: { app: 'w' } }),
      service('web', { selector: { app: 'w' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9100, targetPort: 'metrics' }] }),
    ]);
    const got = brief(c);
    expect(got).toHaveLength(2);
    expect(got).toContainEqual({ service: 'web', ports: ['http:8080/TCP', 'metrics:9100/TCP'], endpoints: ['a'] });
    expect(got).toContainEqual({ service: 'web', ports: ['http:8080/TCP'], endpoints: ['b'] });
  });

  it('sets hostname only behind the Service named by the pod subdomain (StatefulSet governing Service)', () => {
    const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'pg' }] } } } };
    const c = loadCluster([sts, service('db', { clusterIP: 'None', selector: { app: 'db' } }), service('db-read', { selector: { app: 'db' } })]);
    const hosts = (svc: string) => slicesOf(c).find((s) => s.serviceName === svc)!.endpoints.map((e) => e.hostname);
    expect(hosts('db')).toEqual(['db-0', 'db-1']);
    expect(hosts('db-read')).toEqual([undefined, undefined]);
  });

  it('names slices <service>-<5 chars> deterministically, splits at 100 endpoints, sets nodeName and targetRef', () => {
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 150, selector: { matchLabels: { app: 'w' } }, template: { metadata: { labels: { app: 'w' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } } } };
    const c = loadCluster([node('n1', '192.168.0.1'), deploy, service('web', { selector: { app: 'w' } })]);
    const slices = slicesOf(c);
    expect(slices.map((s) => s.endpoints.length).sort()).toEqual([100, 50]);
    expect(slices.every((s) => /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(s.name))).toBe(true);
    expect(new Set(slices.map((s) => s.name)).size).toBe(2);
    expect(slicesOf(c).map((s) => s.name)).toEqual(slices.map((s) => s.name));
    expect(slices[0].endpoints[0]).toMatchObject({ nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default' } });
    expect(sliceObject(slices[0], true)).toMatchObject({ apiVersion: 'discovery.k8s.io/v1', metadata: { labels: { 'kubernetes.io/service-name': 'web' } }, ports: [{ name: '', port: 80, protocol: 'TCP' }] });
  });

  it('gives a Service that selects no pod one placeholder slice without ports or endpoints', () => {
    expect(brief(loadCluster([service('web', { selector: { app: 'none' } })]))).toEqual([{ service: 'web', ports: [], endpoints: [] }]);
  });

  it('includes hostNetwork pods at their node IP', () => {
    const c = loadCluster([node('n1', '192.168.0.1'), pod('default/h', { labels: { app: 'h' }, hostNetwork: true, nodeName: 'n1' }), service('h', { selector: { app: 'h' } })]);
    expect(slicesOf(c)[0].endpoints[0].addresses).toEqual(['192.168.0.1']);
  });

  it('keeps manifest EndpointSlices and v1 Endpoints for selectorless Services only; ExternalName and empty selectors get none', () => {
    const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'ext-1', labels: { 'kubernetes.io/service-name': 'ext' } }, addressType: 'IPv4', ports: [{ port: 5432 }], endpoints: [{ addresses: ['192.0.2.10'] }] };
    const eps = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'legacy' }, subsets: [{ addresses: [{ ip: '192.0.2.20' }], ports: [{ port: 6379 }] }] };
    const stale = { ...slice, metadata: { name: 'web-old', labels: { 'kubernetes.io/service-name': 'web' } } };
    const c = loadCluster([slice, eps, stale, pod('default/p', { labels: { app: 'w' } }), service('ext'), service('legacy'), service('web', { selector: { app: 'w' } }), service('empty', { selector: {} }), service('en', { type: 'ExternalName', externalName: 'x.org', selector: { app: 'w' } })]);
    expect(brief(c)).toEqual([
      { service: 'ext', ports: ['-:5432/TCP'], endpoints: ['192.0.2.10'] },
      { service: 'legacy', ports: ['-:6379/TCP'], endpoints: ['192.0.2.20'] },
      { service: 'web', ports: [':80/TCP'], endpoints: ['p'] },
    ]);
  });
});

describe('buildServiceTable', () => {
  const manifestSlice = (name: string, addresses: string[], nodeName?: string) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, labels: { 'kubernetes.io/service-name': 'ext' } }, addressType: 'IPv4', ports: [{ name: 'pg', port: 5432 }], endpoints: addresses.map((a) => ({ addresses: [a], ...(nodeName ? { nodeName } : {}) })) });
  const cluster = loadCluster([
    node('n1', '192.168.0.1'),
    pod('default/a', { labels: { app: 'w' }, nodeName: 'n1', ports: ports({ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 5353, protocol: 'UDP' }) }),
    pod('default/b', { labels: { app: 'w' }, nodeName: 'n1', ports: ports({ name: 'http', containerPort: 8080 }) }),
    service('web', { type: 'NodePort', selector: { app: 'w' }, sessionAffinity: 'ClientIP', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }] }),
    service('sticky', { selector: { app: 'w' }, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, internalTrafficPolicy: 'Local' }),
    service('h', { clusterIP: 'None', selector: { app: 'w' }, ports: [{ port: 8080 }] }),
    service('e', { type: 'ExternalName', externalName: 'example.com' }),
    service('ext', { ports: [{ name: 'pg', port: 5432 }] }),
    manifestSlice('ext-1', ['192.0.2.10', '10.244.0.1'], 'n9'),
    manifestSlice('ext-2', ['192.0.2.10', '192.0.2.11']),
    service('bad', { clusterIP: '1.1.1.1' }),
  ]);
  const { allocations, problems } = allocateServices(cluster.services, { serviceCidr: CIDR });
  const table = buildServiceTable(cluster, allocations, endpointSlicesFor(cluster, readyWhen((k) => k === 'default/a')), nodeLookup(cluster));
  const entry = (name: string) => table.services.find((e) => e.key === `default/${name}`)!;

  it('has one entry per accepted Service; headless and ExternalName without a VIP', () => {
    expect(problems).toHaveLength(1); // bad
    expect(table.services.map((e) => [e.key, e.type, e.clusterIP])).toEqual([
      ['default/e', 'ExternalName', undefined],
      ['default/ext', 'ClusterIP', '10.96.0.2'],
      ['default/h', 'ClusterIP', undefined],
      ['default/sticky', 'ClusterIP', '10.96.0.3'],
      ['default/web', 'NodePort', '10.96.0.4'],
    ]);
    expect(entry('e').ports[0].endpoints).toEqual([]);
    expect(entry('h').ports[0].endpoints.map((e) => [e.ip, e.port, e.ready])).toEqual([[cluster.pods[0].ip, 8080, true], [cluster.pods[1].ip, 8080, false]]);
  });

  it('matches slice ports by name and protocol; the endpoint port is the resolved target port', () => {
    const [http, dns] = entry('web').ports;
    expect(http).toMatchObject({ name: 'http', protocol: 'TCP', port: 80, nodePort: 30000 });
    expect(http.endpoints).toEqual([
      { ip: cluster.pods[0].ip, port: 8080, node: 'n1', ready: true, serving: true, terminating: false, podKey: 'default/a' },
      { ip: cluster.pods[1].ip, port: 8080, node: 'n1', ready: false, serving: false, terminating: false, podKey: 'default/b' },
    ]);
    expect(dns).toMatchObject({ name: 'dns', protocol: 'UDP', port: 53, nodePort: 30001 });
    expect(dns.endpoints.map((e) => [e.podKey, e.port])).toEqual([['default/a', 5353]]);
  });

  it('uses manifest slices of a selectorless Service: first address, deduplicated, node from nodeName or the IP', () => {
    expect(entry('ext').ports[0].endpoints.map((e) => [e.ip, e.port, e.node])).toEqual([['10.244.0.1', 5432, 'n9'], ['192.0.2.10', 5432, 'n9'], ['192.0.2.11', 5432, '']]);
  });

  it('carries session affinity (timeout default 10800) and traffic policies', () => {
    expect(entry('web')).toMatchObject({ sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 10800, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster' });
    expect(entry('sticky')).toMatchObject({ sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60, internalTrafficPolicy: 'Local' });
    expect(entry('ext')).toMatchObject({ sessionAffinity: 'None', affinityTimeoutSeconds: 10800 });
  });
});

describe('kubectl views', () => {
  const cluster = loadCluster([
    service('web', { selector: { tier: 'fe', app: 'w' } }),
    service('np', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443, nodePort: 30443 }] }),
    service('lb', { type: 'LoadBalancer' }),
    service('lb2', { type: 'LoadBalancer' }),
    service('h', { clusterIP: 'None', ports: [] }),
    service('e', { type: 'ExternalName', externalName: 'example.com' }),
  ]);
  const lab = { config: { serviceCidr: CIDR, lbCidr: '172.18.255.0/31' }, serviceAllocations: { 'default/lb2': { clusterIP: '10.96.0.99', nodePorts: { '': 31000 }, loadBalancerIP: '172.18.255.0' } } };
  const view = serviceView(cluster, lab, () => 'ready');
  const cols = (name: string) => {
    const s = cluster.services.find((x) => x.name === name)!;
    return serviceColumns(s, view.allocations.get(`default/${name}`));
  };

  it.each([
    ['web', { clusterIP: '10.96.0.4', externalIP: '<none>', ports: '80/TCP', selector: 'app=w,tier=fe' }],
    ['np', { clusterIP: '10.96.0.3', externalIP: '<none>', ports: '80:30001/TCP,443:30443/TCP', selector: '<none>' }],
    ['lb', { clusterIP: '10.96.0.2', externalIP: '172.18.255.1', ports: '80:30000/TCP', selector: '<none>' }],
    ['lb2', { clusterIP: '10.96.0.99', externalIP: '172.18.255.0', ports: '80:31000/TCP', selector: '<none>' }],
    ['h', { clusterIP: 'None', externalIP: '<none>', ports: '<none>', selector: '<none>' }],
    ['e', { clusterIP: '<none>', externalIP: 'example.com', ports: '80/TCP', selector: '<none>' }],
  ])('columns of %s (previous allocations kept)', (name, want) => {
    expect(cols(name)).toEqual(want);
  });

  it('shows <pending> for a LoadBalancer without an address', () => {
    const noPool = serviceView(cluster, { config: { serviceCidr: CIDR } }, () => 'ready');
    const lb = cluster.services.find((x) => x.name === 'lb')!;
    expect(serviceColumns(lb, noPool.allocations.get('default/lb')).externalIP).toBe('<pending>');
  });

  it('-o json Service items carry clusterIP(s), nodePorts and the load-balancer ingress', () => {
    const np = cluster.services.find((x) => x.name === 'lb')!;
    expect(serviceObject(np, view.allocations.get('default/lb'))).toMatchObject({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.2', clusterIPs: ['10.96.0.2'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30000 }] },
      status: { loadBalancer: { ingress: [{ ip: '172.18.255.1' }] } },
    });
    const h = cluster.services.find((x) => x.name === 'h')!;
    expect(serviceObject(h, view.allocations.get('default/h'))).toMatchObject({ spec: { clusterIP: 'None', clusterIPs: ['None'] }, status: { loadBalancer: {} } });
  });

  it('EndpointSlice columns list three values, then "+ N more..."', () => {
    const slice = { namespace: 'default', name: 's', serviceName: 'x', addressType: 'IPv4', ports: [], endpoints: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'].map((a) => ({ addresses: [a], ready: true, serving: true, terminating: false })), source: { file: 'f', doc: 0 } };
    expect(sliceColumns(slice)).toEqual({ ports: '<unset>', endpoints: '1.1.1.1,1.1.1.2,1.1.1.3 + 1 more...' });
  });
});

describe('node ports shared across protocols', () => {
  const yaml = (second: string) => `apiVersion: v1
kind: Service
metadata: {name: dns}
spec:
  type: NodePort
  selector: {app: dns}
  ports:
  - {name: a, port: 80, protocol: TCP, nodePort: 30053}
  - {name: b, port: 81, protocol: ${second}, nodePort: 30053}
`;
  it('accepts one node port for different protocols (upstream: (nodePort, protocol) is unique)', () => {
    const r = allocateServices(loadCluster([yaml('UDP')]).services, { serviceCidr: '10.96.0.0/12' });
    expect(r.problems).toEqual([]);
    expect(r.allocations.get('default/dns')?.nodePorts).toEqual({ a: 30053, b: 30053 });
  });
  it('rejects one node port twice for the same protocol', () => {
    const r = allocateServices(loadCluster([yaml('TCP')]).services, { serviceCidr: '10.96.0.0/12' });
    expect(r.problems.join('\n')).toContain('30053 is already used by another port of this service');
  });
});
