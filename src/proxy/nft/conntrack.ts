/**
 * Stale UDP conntrack entries. UDP has no connection to close: after an endpoint goes away,
 * packets of an existing "connection" keep following the NAT binding in conntrack to the dead
 * endpoint until the entry times out. kube-proxy therefore deletes those entries after every sync
 * (pkg/proxy/conntrack, CleanStaleEntries); this lists what to delete, the wiring code runs it.
 * Pure.
 *
 * Two cases, per UDP service port and per address the port is reached on (ClusterIP,
 * LoadBalancer IP, NodePort):
 *  - an endpoint that was used is no longer used (removed, not ready, or the Service is gone):
 *    `conntrack -D -p udp --orig-dst VIP --dport PORT --reply-src ENDPOINT`
 *    (for a NodePort: `conntrack -D -p udp --dport NODEPORT --reply-src ENDPOINT`);
 *  - a port that had no usable endpoint now has one: every entry to it goes
 *    (`conntrack -D -p udp --orig-dst VIP --dport PORT`), so clients stop hitting old state.
 * `conntrack -D` exits 1 when nothing matched: callers must accept that.
 */
import type { ServiceEntry, ServiceTable } from '../../model/service-table.js';
import { usableEndpoints } from '../../model/usable-endpoints.js';
import { isProxied, type NodeRef } from './rules.js';

export interface ConntrackFlush {
  reason: 'endpoint-removed' | 'endpoints-appeared';
  /** "ns/name:port" */
  servicePort: string;
  /** The Service address (ClusterIP or LoadBalancer IP); absent for a NodePort (any local IP). */
  origDst?: string;
  /** The Service port, or the node port. */
  dport: number;
  /** The endpoint address whose entries go (conntrack's reply source); absent: all entries. */
  endpoint?: string;
  argv: string[];
}

interface UdpTarget {
  servicePort: string;
  origDst?: string;
  dport: number;
  endpoints: Set<string>;
}

/** Every (address, port) a UDP service port is reached on, with the endpoint IPs it uses. */
function udpTargets(table: ServiceTable, node: NodeRef): Map<string, UdpTarget> {
  const out = new Map<string, UdpTarget>();
  for (const svc of table.services) {
    if (!isProxied(svc)) continue;
    for (const port of svc.ports) {
      if (port.protocol !== 'UDP') continue;
      const used = [...usableEndpoints(port.endpoints), ...usableEndpoints(port.endpoints.filter((e) => e.node === node.name))];
      const endpoints = new Set(used.map((e) => e.ip));
      const servicePort = `${svc.key}:${port.name || port.port}`;
      for (const [origDst, dport] of addresses(svc, port.port, port.nodePort)) {
        out.set(`${origDst ?? '*'}:${dport}`, { servicePort, origDst, dport, endpoints });
      }
    }
  }
  return out;
}

function addresses(svc: ServiceEntry, port: number, nodePort: number | undefined): [string | undefined, number][] {
  const out: [string | undefined, number][] = [[svc.clusterIP, port]];
  if (svc.type === 'LoadBalancer' && svc.loadBalancerIP) out.push([svc.loadBalancerIP, port]);
  if ((svc.type === 'NodePort' || svc.type === 'LoadBalancer') && nodePort !== undefined) out.push([undefined, nodePort]);
  return out;
}

export function staleUdpConntrack(prev: ServiceTable, next: ServiceTable, node: NodeRef): ConntrackFlush[] {
  const before = udpTargets(prev, node);
  const after = udpTargets(next, node);
  const out: ConntrackFlush[] = [];
  for (const [key, p] of before) {
    const n = after.get(key);
    for (const ip of [...p.endpoints].sort()) {
      if (n?.endpoints.has(ip)) continue;
      out.push(flush('endpoint-removed', p, ip));
    }
  }
  for (const [key, n] of after) {
    const p = before.get(key);
    if (n.endpoints.size > 0 && (!p || p.endpoints.size === 0)) out.push(flush('endpoints-appeared', n));
  }
  return out;
}

function flush(reason: ConntrackFlush['reason'], t: UdpTarget, endpoint?: string): ConntrackFlush {
  const argv = ['conntrack', '-D', '-p', 'udp', ...(t.origDst ? ['--orig-dst', t.origDst] : []), '--dport', String(t.dport), ...(endpoint ? ['--reply-src', endpoint] : [])];
  const out: ConntrackFlush = { reason, servicePort: t.servicePort, dport: t.dport, argv };
  if (t.origDst) out.origDst = t.origDst;
  if (endpoint) out.endpoint = endpoint;
  return out;
}
