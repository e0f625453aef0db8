/**
 * Deterministic synthetic clusters for benchmarks: namespaces labelled team/env, pods of a few
 * apps each (app/tier/version labels, named container ports), node-exporter hostNetwork pods,
 * and a realistic mix of NetworkPolicies (default-deny, podSelector, namespaceSelector, both,
 * ipBlock with except, numeric, named and ranged ports). The same seed gives the same cluster.
 */
import { stringify } from 'yaml';
import type { Selector } from '../src/model/labels.js';
import type { Cluster, ContainerPort, Namespace, NetworkPolicy, Node, Pod, PolicyPeer, PolicyPort, PolicyRule } from '../src/model/types.js';

export interface SyntheticSpec {
  seed: number;
  namespaces: number;
  pods: number;
  policies: number;
}

/** mulberry32: small, fast, good enough for shaping test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEAMS = ['payments', 'search', 'identity', 'catalog', 'checkout', 'ads', 'ml', 'platform'];
const ENVS = ['prod', 'staging', 'dev'];
const tcp = (name: string, containerPort: number): ContainerPort => ({ name, containerPort, protocol: 'TCP' });
const APPS: { app: string; tier: string; ports: ContainerPort[] }[] = [
  { app: 'web', tier: 'frontend', ports: [tcp('http', 8080), tcp('metrics', 9090)] },
  { app: 'gateway', tier: 'frontend', ports: [tcp('http', 8080), tcp('https', 8443)] },
  { app: 'legacy', tier: 'frontend', ports: [tcp('http', 80)] },
  { app: 'api', tier: 'backend', ports: [tcp('http', 8080), tcp('grpc', 9000), tcp('metrics', 9090)] },
  { app: 'worker', tier: 'backend', ports: [tcp('metrics', 9090)] },
  { app: 'auth', tier: 'backend', ports: [tcp('grpc', 8080)] },
  { app: 'db', tier: 'data', ports: [tcp('postgres', 5432)] },
  { app: 'cache', tier: 'data', ports: [tcp('redis', 6379)] },
];

const sel = (matchLabels: Record<string, string> = {}, matchExpressions: Selector['matchExpressions'] = []): Selector => ({ matchLabels, matchExpressions });
const pad = (i: number, w = 4) => String(i).padStart(w, '0');
const ip = (base: number, i: number) => `${base >>> 24}.${(base >>> 16) & 255}.${((base + i) >>> 8) & 255}.${(base + i) & 255}`;

export function syntheticCluster(spec: SyntheticSpec): Cluster {
  const r = rng(spec.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const source = { file: 'synthetic', doc: 0 };
  const nodeCount = Math.max(3, Math.round(spec.pods / 100));
  const nodes: Node[] = Array.from({ length: nodeCount }, (_, i) => ({ name: `node-${pad(i, 3)}`, labels: { 'kubernetes.io/hostname': `node-${pad(i, 3)}` }, internalIP: ip(0xc0a80000, i + 10) }));
  const namespaces: Namespace[] = [{ name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } }];
  for (let i = 0; i < spec.namespaces - 1; i++) {
    const name = `ns-${pad(i, 3)}`;
    namespaces.push({ name, labels: { team: pick(TEAMS), env: pick(ENVS), 'kubernetes.io/metadata.name': name } });
  }
  const pods: Pod[] = [];
  const addPod = (namespace: string, name: string, labels: Record<string, string>, ports: ContainerPort[], node: Node, hostNetwork = false) => {
    pods.push({
      namespace, name, labels, hostNetwork, nodeName: node.name, source, owner: { kind: 'Pod', name },
      ip: hostNetwork ? node.internalIP! : ip(0x0af40000, pods.length + 2),
      containers: [{ name: labels.app ?? labels['k8s-app'], ports }],
    });
  };
  // kube-system: two DNS pods and one node-exporter per node, on the host network.
  for (let i = 0; i < 2; i++) addPod('kube-system', `coredns-${i}`, { 'k8s-app': 'kube-dns' }, [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, tcp('dns-tcp', 53)], nodes[i % nodeCount]);
  nodes.forEach((node, i) => addPod('kube-system', `node-exporter-${pad(i, 3)}`, { 'k8s-app': 'node-exporter' }, [tcp('metrics', 9100)], node, true));
  const apps = new Map<string, string[]>();
  const appNs = namespaces.slice(1);
  appNs.forEach((ns, k) => {
    const count = Math.floor((spec.pods - pods.length) / (appNs.length - k));
    const chosen = shuffle(APPS, r).slice(0, 3 + Math.floor(r() * 4));
    apps.set(ns.name, chosen.map((a) => a.app));
    for (let j = 0; j < count; j++) {
      const a = chosen[j % chosen.length];
      addPod(ns.name, `${a.app}-${pad(j)}`, { app: a.app, tier: a.tier, version: r() < 0.8 ? 'v1' : 'v2' }, a.ports, pick(nodes));
    }
  });
  pods.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : 1));
  const policies: NetworkPolicy[] = [];
  appNs.forEach((ns, k) => {
    const count = Math.floor((spec.policies - policies.length) / (appNs.length - k));
    const nsApps = apps.get(ns.name)!;
    for (let j = 0; j < count; j++) {
      const [name, p] = j === 0 && r() < 0.7 ? ['default-deny', denyAll(r() < 0.4)] : makePolicy(Math.floor(r() * 12), pick, nsApps, r);
      policies.push({ namespace: ns.name, name: `${name}-${pad(j, 3)}`, source, ...p });
    }
  });
  return { namespaces, nodes, pods, policies, services: [], endpointSlices: [], ingresses: [], ingressClasses: [], routes: [], secrets: [], notes: [] };
}

type PolicyBody = Pick<NetworkPolicy, 'podSelector' | 'affectsIngress' | 'affectsEgress' | 'ingress' | 'egress'>;
const ingress = (podSelector: Selector, rules: PolicyRule[]): PolicyBody => ({ podSelector, affectsIngress: true, affectsEgress: false, ingress: rules, egress: [] });
const egress = (podSelector: Selector, rules: PolicyRule[]): PolicyBody => ({ podSelector, affectsIngress: false, affectsEgress: true, ingress: [], egress: rules });
const denyAll = (alsoEgress: boolean): PolicyBody => ({ podSelector: sel(), affectsIngress: true, affectsEgress: alsoEgress, ingress: [], egress: [] });
const port = (p: number | string, endPort?: number, protocol: PolicyPort['protocol'] = 'TCP'): PolicyPort => (endPort ? { protocol, port: p, endPort } : { protocol, port: p });
const pods = (podSelector: Selector): PolicyPeer => ({ kind: 'selector', podSelector });
const nss = (namespaceSelector: Selector, podSelector?: Selector): PolicyPeer => ({ kind: 'selector', namespaceSelector, podSelector });

/** Fisher–Yates on a copy. */
function shuffle<T>(xs: readonly T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const k = Math.floor(r() * (i + 1));
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

/** One policy of the given kind (0..11), referring to apps in its namespace and teams/envs elsewhere. */
function makePolicy(kind: number, pick: <T>(xs: readonly T[]) => T, apps: string[], r: () => number): [string, PolicyBody] {
  const app = () => sel({ app: pick(apps) });
  switch (kind) {
    case 1:
      return ['allow-dns', egress(sel(), [{ peers: [nss(sel({ 'kubernetes.io/metadata.name': 'kube-system' }), sel({ 'k8s-app': 'kube-dns' }))], ports: [port(53, undefined, 'UDP'), port(53)] }])];
    case 2:
      return ['allow-same-ns', ingress(app(), [{ peers: [pods(app()), pods(app())], ports: [port(8080)] }])];
    case 3:
      return ['allow-from-team', ingress(sel({ tier: 'frontend' }), [{ peers: [nss(sel({ team: pick(TEAMS) }))], ports: [port('http')] }])];
    case 4:
      return ['allow-env-tier', ingress(app(), [{ peers: [nss(sel({ env: pick(ENVS) }), sel({}, [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }]))], ports: [port(8080), port(9000)] }])];
    case 5:
      return ['allow-monitoring', ingress(sel({}, [{ key: 'app', operator: 'Exists', values: [] }]), [
        { peers: [nss(sel({ 'kubernetes.io/metadata.name': 'kube-system' })), { kind: 'ipBlock', cidr: '192.168.0.0/16', except: ['192.168.0.0/28'] }], ports: [port('metrics')] },
      ])];
    case 6:
      return ['egress-external', egress(app(), [
        { peers: [{ kind: 'ipBlock', cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] }], ports: [port(443)] },
        { peers: [pods(sel({ tier: 'data' }))], ports: [port('postgres'), port('redis'), port('http')] },
      ])];
    case 7:
      return ['allow-range', ingress(sel({ tier: pick(['frontend', 'backend']) }), [{ peers: [pods(sel())], ports: [port(8000, 8100)] }])];
    case 8:
      return ['allow-http-anyone', ingress(app(), [{ peers: null, ports: [port('http')] }])];
    case 9:
      return ['canary', ingress(sel({ version: 'v2' }), [{ peers: [pods(sel({}, [{ key: 'version', operator: 'NotIn', values: ['v1'] }]))], ports: null }])];
    case 10:
      return ['egress-cross-team', egress(sel({ tier: pick(['frontend', 'backend']) }), [
        { peers: [nss(sel({ team: pick(TEAMS) }, [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }]), sel({ tier: 'backend' }))], ports: [port(8080), port(9000, 9100)] },
        { peers: [pods(sel())], ports: null },
      ])];
    case 11:
      return ['allow-nodes', ingress(app(), [{ peers: [{ kind: 'ipBlock', cidr: '192.168.0.0/24', except: ['192.168.0.128/25'] }], ports: [port(8080, r() < 0.5 ? 8090 : undefined)] }])];
    default:
      return ['allow-ns-prod', ingress(app(), [{ peers: [nss(sel({ env: 'prod' }), app()), pods(app())], ports: [port('grpc'), port('http')] }])];
  }
}

/** The cluster as YAML manifests (Namespace, Node, Pod, NetworkPolicy), one document each. */
export function clusterManifests(c: Cluster): string {
  const docs: unknown[] = [];
  for (const ns of c.namespaces) docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: ns.labels } });
  for (const n of c.nodes) docs.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name }, status: { addresses: [{ type: 'InternalIP', address: n.internalIP }] } });
  for (const p of c.pods) {
    docs.push({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
      spec: { nodeName: p.nodeName, ...(p.hostNetwork ? { hostNetwork: true } : {}), containers: p.containers.map((ct) => ({ name: ct.name, image: `registry.example/${ct.name}:1`, ports: ct.ports })) },
      status: p.hostNetwork ? { podIP: p.ip, hostIP: p.ip } : { podIP: p.ip },
    });
  }
  for (const pol of c.policies) {
    const types = [...(pol.affectsIngress ? ['Ingress'] : []), ...(pol.affectsEgress ? ['Egress'] : [])];
    const rules = (rs: readonly PolicyRule[], field: 'from' | 'to') => rs.map((r) => ({ ...(r.peers ? { [field]: r.peers.map(peerYaml) } : {}), ...(r.ports ? { ports: r.ports } : {}) }));
    docs.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: pol.name, namespace: pol.namespace },
      spec: { podSelector: selYaml(pol.podSelector), policyTypes: types, ...(pol.affectsIngress ? { ingress: rules(pol.ingress, 'from') } : {}), ...(pol.affectsEgress ? { egress: rules(pol.egress, 'to') } : {}) },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

function selYaml(s: Selector): object {
  return { ...(Object.keys(s.matchLabels).length ? { matchLabels: s.matchLabels } : {}), ...(s.matchExpressions.length ? { matchExpressions: s.matchExpressions.map((e) => (e.values.length ? e : { key: e.key, operator: e.operator })) } : {}) };
}

function peerYaml(p: PolicyPeer): object {
  if (p.kind === 'ipBlock') return { ipBlock: { cidr: p.cidr, ...(p.except.length ? { except: p.except } : {}) } };
  return { ...(p.podSelector ? { podSelector: selYaml(p.podSelector) } : {}), ...(p.namespaceSelector ? { namespaceSelector: selYaml(p.namespaceSelector) } : {}) };
}
