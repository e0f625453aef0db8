/**
 * Test builders. Clusters are made from manifests and read through the real loader
 * (parseManifestText + readCluster), so tests exercise the public translation path.
 */
import { parse, stringify } from 'yaml';
import { readCluster, type ReadOptions } from '../../src/api/cluster.js';
import { parseManifestText, type RawObject } from '../../src/api/load.js';
import type { Problem } from '../../src/api/problems.js';
import { parseIPv4 } from '../../src/model/ip.js';
import type { Cluster, Pod } from '../../src/model/types.js';
import type { Endpoint } from '../../src/policy/engine.js';

type Obj = Record<string, unknown>;

/** Parses YAML documents (strings, or objects serialized to YAML) and reads them as a Cluster. */
export function loadCluster(docs: readonly (string | Obj)[], options: ReadOptions = {}): Cluster {
  const text = docs.map((d) => (typeof d === 'string' ? d : stringify(d))).join('\n---\n');
  const problems: Problem[] = [];
  const raws = parseManifestText(text, 'test.yaml', problems);
  if (problems.length > 0) throw new Error(`YAML problems: ${JSON.stringify(problems)}`);
  return readCluster(raws, options);
}

/** Reads already-built manifest objects (no YAML text): the fast path for property tests. */
export function readObjects(objs: readonly Obj[], options: ReadOptions = {}): Cluster {
  const raws: RawObject[] = objs.map((obj, doc) => ({ obj: JSON.parse(JSON.stringify(obj)) as Obj, source: { file: 'gen.yaml', doc }, prefix: '' }));
  return readCluster(raws, options);
}

export function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

export function node(name: string, internalIP: string): Obj {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: internalIP }] } };
}

export interface PortSpec {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface PodSpec {
  labels?: Record<string, string>;
  ports?: readonly PortSpec[];
  hostNetwork?: boolean;
  nodeName?: string;
  hostIP?: string;
  podIP?: string;
}

/** A bare Pod manifest; `key` is "namespace/name". */
export function pod(key: string, spec: PodSpec = {}): Obj {
  const [ns, name] = splitKey(key);
  const status: Obj = {};
  if (spec.hostIP !== undefined) status.hostIP = spec.hostIP;
  if (spec.podIP !== undefined) status.podIP = spec.podIP;
  const podSpec: Obj = { containers: [{ name: 'c', image: 'busybox', ports: (spec.ports ?? []).map((p) => ({ ...p })) }] };
  if (spec.hostNetwork) podSpec.hostNetwork = true;
  if (spec.nodeName !== undefined) podSpec.nodeName = spec.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: spec.labels ?? {} },
    spec: podSpec,
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

/**
 * A NetworkPolicy manifest whose spec is given as YAML text (block or flow style, any
 * consistent indentation) or as an object.
 */
export function netpol(namespaceName: string, name: string, spec: string | Obj): Obj {
  const parsed = typeof spec === 'string' ? (parse(dedent(spec)) as Obj | null) ?? {} : spec;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: namespaceName }, spec: parsed };
}

export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  if (slash < 0) throw new Error(`pod key ${key} is not namespace/name`);
  return [key.slice(0, slash), key.slice(slash + 1)];
}

export function findPod(cluster: Cluster, key: string): Pod {
  const [ns, name] = splitKey(key);
  const p = cluster.pods.find((x) => x.namespace === ns && x.name === name);
  if (!p) throw new Error(`no pod ${key} in cluster (have ${cluster.pods.map((x) => `${x.namespace}/${x.name}`).join(', ')})`);
  return p;
}

/**
 * An endpoint by description: "ns/name" is a pod of the cluster, "a.b.c.d" one external
 * address, "a.b.c.d-e.f.g.h" an inclusive external range.
 */
export function endpoint(cluster: Cluster, spec: string): Endpoint {
  if (spec.includes('/')) return { kind: 'pod', pod: findPod(cluster, spec) };
  const [from, to = from] = spec.split('-');
  const start = parseIPv4(from);
  const end = parseIPv4(to);
  if (start === null || end === null) throw new Error(`bad address ${spec}`);
  return { kind: 'ip', start, end };
}
