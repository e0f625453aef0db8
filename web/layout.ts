/**
 * Lays the topology out with dagre (a compound graph: each Kubernetes node is a cluster holding
 * its pods, hostNetwork ones included; Ingress → Service → endpoint pods, left to right).
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { Topology } from './api.js';

export interface Box {
  id: string;
  kind: 'node' | 'pod' | 'svc' | 'ing';
  x: number;
  y: number;
  width: number;
  height: number;
  lines: string[];
  ready?: boolean | null;
  hostNetwork?: boolean;
}

export interface Wire {
  from: string;
  to: string;
  points: { x: number; y: number }[];
  ready: boolean;
}

export interface Laid {
  width: number;
  height: number;
  boxes: Box[];
  wires: Wire[];
}

/** Room on a node's box for its name, pod CIDR and address. */
export const NODE_TITLE_WIDTH = 170;

export const podId = (key: string) => `pod:${key}`;
export const nodeId = (name: string) => `node:${name}`;
export const svcId = (key: string) => `svc:${key}`;

export function layoutTopology(t: Topology): Laid {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const info = new Map<string, Omit<Box, 'x' | 'y' | 'width' | 'height'>>();
  const add = (id: string, b: Omit<Box, 'x' | 'y' | 'width' | 'height' | 'id'>, width: number, height: number) => {
    info.set(id, { id, ...b });
    g.setNode(id, { width, height });
  };
  for (const n of t.nodes) add(nodeId(n.name), { kind: 'node', lines: [n.name, `pods ${n.podCidr}`, `node ${n.ip}`] }, 0, 0);
  for (const p of t.pods) {
    add(podId(p.key), { kind: 'pod', lines: [p.key, p.hostNetwork ? `${p.ip || '—'} (hostNetwork)` : p.ip || 'no IP'], ready: p.ready, hostNetwork: p.hostNetwork }, Math.max(150, p.key.length * 7.4 + 28), 38);
    if (p.node && t.nodes.some((n) => n.name === p.node)) g.setParent(podId(p.key), nodeId(p.node));
  }
  for (const s of t.services) {
    add(svcId(s.key), { kind: 'svc', lines: [s.key, `${s.type} ${s.clusterIP ?? ''}`.trim(), s.ports.join(', ')] }, Math.max(150, s.key.length * 7.4 + 24), 50);
    for (const e of s.endpoints) if (info.has(podId(e.pod))) g.setEdge(svcId(s.key), podId(e.pod), { ready: e.ready });
  }
  for (const i of t.ingresses) {
    add(`ing:${i.key}`, { kind: 'ing', lines: [`ingress ${i.key}`] }, Math.max(150, i.key.length * 7 + 70), 30);
    for (const s of i.services) if (info.has(svcId(s))) g.setEdge(`ing:${i.key}`, svcId(s), { ready: true });
  }
  layout(g);
  const boxes: Box[] = [];
  for (const id of g.nodes()) {
    const base = info.get(id)!;
    if (base.kind === 'node') continue;
    const n = g.node(id) as { x: number; y: number; width: number; height: number };
    boxes.push({ ...base, x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height });
  }
  // A node's box: around its pods (dagre keeps a cluster's children together), with its title
  // (name, pod CIDR, address) on the right: pods are the last rank, so nothing is laid out there.
  for (const n of t.nodes) {
    const id = nodeId(n.name);
    const kids = boxes.filter((b) => b.kind === 'pod' && g.parent(b.id) === id);
    const d = g.node(id) as { x: number; y: number; width: number; height: number };
    const x0 = kids.length ? Math.min(...kids.map((b) => b.x)) - 10 : d.x - 80;
    const y0 = kids.length ? Math.min(...kids.map((b) => b.y)) - 8 : d.y - 26;
    const x1 = kids.length ? Math.max(...kids.map((b) => b.x + b.width)) + 10 : d.x + 80;
    const y1 = kids.length ? Math.max(...kids.map((b) => b.y + b.height)) + 8 : d.y + 26;
    boxes.push({ ...info.get(id)!, x: x0, y: y0, width: x1 - x0 + NODE_TITLE_WIDTH, height: Math.max(y1 - y0, 52) });
  }
  boxes.sort((a, b) => (a.kind === 'node' ? 0 : 1) - (b.kind === 'node' ? 0 : 1));
  const wires = g.edges().map((e) => {
    const label = g.edge(e) as { points: { x: number; y: number }[]; ready: boolean };
    return { from: e.v, to: e.w, points: label.points, ready: label.ready };
  });
  const width = Math.max(200, ...boxes.map((b) => b.x + b.width)) + 16;
  const height = Math.max(100, ...boxes.map((b) => b.y + b.height)) + 16;
  return { width, height, boxes, wires };
}

/** Where a path touches a box. */
export function center(b: Box): { x: number; y: number } {
  // A node stands for its namespace: the path goes through its title.
  if (b.kind === 'node') return { x: b.x + b.width - NODE_TITLE_WIDTH / 2, y: b.y + 26 };
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}
