/**
 * The topology the web view draws (pure): nodes with their pod CIDRs, pods on their nodes (IP,
 * readiness, hostNetwork), Services → endpoints, Ingress → Services, and the lab's mode. Built
 * from a TraceWorld, so a running lab and manifests alone (`podnet ui -f`) look the same.
 */
import type { TraceWorld } from '../trace/world.js';
import { podKey } from '../model/types.js';

export interface TopoNode {
  name: string;
  ip: string;
  podCidr: string;
}

export interface TopoPod {
  key: string;
  namespace: string;
  name: string;
  ip: string;
  node: string | null;
  hostNetwork: boolean;
  /** true/false from the lab's agents; null offline (no lab to ask). */
  ready: boolean | null;
  labels: Record<string, string>;
}

export interface TopoService {
  key: string;
  type: string;
  clusterIP: string | null;
  ports: string[];
  /** Pod keys of the endpoints (any port), with their readiness. */
  endpoints: { pod: string; ready: boolean }[];
}

export interface TopoIngress {
  key: string;
  /** "ns/name" of each backend Service. */
  services: string[];
}

export interface Topology {
  lab: string | null;
  mode: string;
  offline: boolean;
  nodes: TopoNode[];
  pods: TopoPod[];
  services: TopoService[];
  ingresses: TopoIngress[];
}

/** `ready(key)`: the pod's readiness; undefined when unknown (offline). */
export function topologyOf(world: TraceWorld, ready: (key: string) => boolean | undefined, lab: string | null): Topology {
  const placed = new Map(world.placements.map((p) => [p.key, p]));
  const pods = world.cluster.pods.map((p): TopoPod => {
    const key = podKey(p);
    const r = ready(key);
    return { key, namespace: p.namespace, name: p.name, ip: p.ip, node: p.nodeName ?? placed.get(key)?.node ?? null, hostNetwork: p.hostNetwork, ready: r === undefined ? null : r, labels: { ...p.labels } };
  });
  const services = world.table.services.map((s): TopoService => {
    const eps = new Map<string, boolean>();
    for (const port of s.ports) for (const e of port.endpoints) if (e.podKey) eps.set(e.podKey, (eps.get(e.podKey) ?? false) || e.ready);
    return {
      key: s.key,
      type: s.type,
      clusterIP: s.clusterIP ?? null,
      ports: s.ports.map((p) => `${p.port}/${p.protocol}${p.nodePort ? ` (node ${p.nodePort})` : ''}`),
      endpoints: [...eps].map(([pod, r]) => ({ pod, ready: r })).sort((a, b) => a.pod.localeCompare(b.pod)),
    };
  });
  // Services the table leaves out (headless, ExternalName) still show, without endpoints.
  for (const s of world.cluster.services) {
    const key = `${s.namespace}/${s.name}`;
    if (!services.some((x) => x.key === key)) services.push({ key, type: s.type, clusterIP: null, ports: s.ports.map((p) => `${p.port}/${p.protocol}`), endpoints: [] });
  }
  services.sort((a, b) => a.key.localeCompare(b.key));
  const ingresses = world.cluster.ingresses.map((ing): TopoIngress => {
    const names = new Set<string>();
    const add = (b: { service?: { name: string } } | undefined) => b?.service && names.add(`${ing.namespace}/${b.service.name}`);
    add(ing.defaultBackend);
    for (const r of ing.rules) for (const p of r.paths) add(p.backend);
    return { key: `${ing.namespace}/${ing.name}`, services: [...names].sort() };
  });
  return {
    lab,
    mode: world.config.mode,
    offline: world.offline,
    nodes: world.nodes.map((n) => ({ name: n.name, ip: n.ip, podCidr: n.podCidr })),
    pods,
    services,
    ingresses,
  };
}
