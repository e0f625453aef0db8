/**
 * The route step of a trace: how a packet gets from a node to an address, per the lab's network
 * (src/render/lab-network.ts): routed by the node itself on the same node, host-gw routes over the node
 * network (routed), or the flannel.1 VXLAN device (vxlan). Pure.
 */
import { parseCidr, parseIPv4 } from '../model/ip.js';
import type { LabConfig, LabNode } from '../model/lab.js';

export interface RouteStep {
  kind: 'local' | 'same-node' | 'routed' | 'vxlan' | 'node' | 'host' | 'secondary' | 'unreachable';
  from: string;
  /** The node the address is on (absent for the host and unreachable addresses). */
  to?: string;
  text: string;
}

function inside(ip: string, cidr: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIPv4(ip);
  return c !== null && a !== null && a >= c.start && a <= c.end;
}

export function routeFrom(config: LabConfig, nodes: readonly LabNode[], fromNode: string, ip: string): RouteStep {
  const src = nodes.find((n) => n.name === fromNode)!;
  const podNode = nodes.find((n) => inside(ip, n.podCidr));
  if (podNode && podNode === src) return { kind: 'same-node', from: src.name, to: src.name, text: `same node ${src.name}: routed by the node, veth to veth (${src.podCidr})` };
  if (podNode) {
    if (config.mode === 'vxlan') return { kind: 'vxlan', from: src.name, to: podNode.name, text: `${src.name} -> ${podNode.name}: VXLAN over flannel.1 to VTEP ${podNode.vtepIP} (${podNode.vtepMac}) at ${podNode.ip}, UDP 8472 (route ${podNode.podCidr} via ${podNode.vtepIP} onlink)` };
    return { kind: 'routed', from: src.name, to: podNode.name, text: `${src.name} -> ${podNode.name}: routed over the node network (route ${podNode.podCidr} via ${podNode.ip} dev eth0)` };
  }
  const node = nodes.find((n) => n.ip === ip);
  if (node === src) return { kind: 'local', from: src.name, to: src.name, text: `local to node ${src.name}` };
  if (node) return { kind: 'node', from: src.name, to: node.name, text: `${src.name} -> node ${node.name} (${node.ip}) over the node network` };
  if (inside(ip, config.nodeCidr)) return { kind: 'host', from: src.name, text: `${src.name} -> ${ip} on the node network (the host's link, not a node)` };
  if (inside(ip, config.serviceCidr)) return { kind: 'local', from: src.name, to: src.name, text: `${ip} is in the service CIDR, local on every node (route local ${config.serviceCidr} dev lo)` };
  if (config.lbCidr && inside(ip, config.lbCidr)) return { kind: 'unreachable', from: src.name, text: `${ip} is in the LoadBalancer pool, routed to nodes only from the host: no route from ${src.name}` };
  return { kind: 'unreachable', from: src.name, text: `no route from ${src.name} to ${ip}: nodes have no default route (the lab is sealed off from outside networks)` };
}

/** Whether a packet can be delivered along the route. */
export function routable(r: RouteStep): boolean {
  return r.kind !== 'unreachable';
}
