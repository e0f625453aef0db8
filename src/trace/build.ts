/**
 * `podnet trace`'s step builder (pure): one connection from a pod, end to end — the DNS answer,
 * Service NAT (the rendered `ip podnet` ruleset walked by src/proxy/trace.ts), the route, egress
 * policy at the source and ingress policy at the destination (src/policy/explain.ts: the engine
 * the data plane is compiled from). A Service fans out into one path per endpoint it may pick.
 */
import { PROXY_TABLE } from '../render/nft/names.js';
import { parseIPv4 } from '../model/ip.js';
import { podKey, type Pod, type Protocol } from '../model/types.js';
import type { Endpoint } from '../policy/engine.js';
import { explain, type SideExplanation } from '../policy/explain.js';
import { traceServices, type TraceResult } from '../proxy/trace.js';
import { lookupName, type DnsLookup } from './dns.js';
import { routable, routeFrom, type RouteStep } from './route.js';
import type { TraceTarget } from './target.js';
import type { TraceWorld } from './world.js';
import { CLUSTER_ZONE } from '../model/cluster-dns.js';
import { labSemantics } from '../policy/semantics.js';
import { exemptSide, sourceInterface, type SecondaryAddress } from './secondary.js';

export class TraceInputError extends Error {
  override name = 'TraceInputError';
}

export interface TraceRequest {
  /** The source pod, "ns/name". */
  from: string;
  to: TraceTarget;
  /** As typed, for the report. */
  toText: string;
  /** Where a bare TO name that no DNS answers is looked for as a pod (default "default"). */
  namespace?: string;
  port?: number;
  protocol: Protocol;
}

export interface ServiceStep {
  /** "ns/name" of the Service whose address or node port the packet is sent to, if known. */
  service: string | null;
  /** The node whose ruleset handles the packet. */
  node: string;
  result: Pick<TraceResult, 'verdict' | 'destinations' | 'masquerade' | 'text'>;
}

export interface TracePath {
  /** "ip:port" after NAT. */
  to: string;
  pod: string | null;
  route: RouteStep[];
  egress: SideExplanation;
  ingress: SideExplanation;
  allowed: boolean;
}

export type TraceVerdict = 'ALLOWED' | 'DENIED' | 'PARTIAL' | 'NO ENDPOINTS' | 'UNRESOLVED' | 'FORWARDED' | 'UNREACHABLE';

export interface Trace {
  from: string;
  to: string;
  protocol: Protocol;
  port: number | null;
  /** The address the connection is opened to (after DNS, before NAT). */
  address: string | null;
  dns: DnsLookup | null;
  service: ServiceStep | null;
  paths: TracePath[];
  verdict: TraceVerdict;
  /** What a real probe should see: reachable (open or refused), denied, refused (no endpoints). */
  expect: 'reachable' | 'denied' | 'refused' | 'either' | null;
  offline: boolean;
  /** The source pod's interface the connection leaves by (pods with secondary networks only). */
  via?: { interface: string; network: string };
}

function podByKey(w: TraceWorld, key: string): Pod | undefined {
  return w.cluster.pods.find((p) => podKey(p) === key && p.ip);
}

function podByIP(w: TraceWorld, ip: string): Pod | undefined {
  return w.cluster.pods.find((p) => p.ip === ip && !p.hostNetwork);
}

function endpointOf(w: TraceWorld, ip: string): Endpoint {
  const pod = podByIP(w, ip);
  const n = parseIPv4(ip)!;
  return pod ? { kind: 'pod', pod } : { kind: 'ip', start: n, end: n };
}

function defaultPort(w: TraceWorld, req: TraceRequest, dstPod: Pod | undefined, ip: string | null): number {
  const given = req.port ?? (req.to.kind !== 'pod' ? req.to.port : undefined);
  if (given !== undefined) return given;
  const podPort = dstPod?.containers.flatMap((c) => c.ports).find((p) => p.protocol === req.protocol)?.containerPort;
  if (podPort !== undefined) return podPort;
  const svc = ip ? w.table.services.find((s) => s.clusterIP === ip || s.loadBalancerIP === ip) : undefined;
  const svcPort = svc?.ports.find((p) => p.protocol === req.protocol)?.port;
  if (svcPort !== undefined) return svcPort;
  throw new TraceInputError(`--port: ${req.toText} has no ${req.protocol} port to default to: give --port`);
}

export function buildTrace(w: TraceWorld, req: TraceRequest): Trace {
  const src = podByKey(w, req.from);
  if (!src) throw new TraceInputError(`FROM: no placed pod ${JSON.stringify(req.from)}${w.offline ? ' in the manifests' : ' in the lab'}`);
  const base = { from: req.from, to: req.toText, protocol: req.protocol, offline: w.offline, dns: null, service: null, paths: [] as TracePath[] };
  let ip: string | null = null;
  let dns: DnsLookup | null = null;
  if (req.to.kind === 'pod') {
    const dst = podByKey(w, req.to.ref);
    if (!dst) throw new TraceInputError(`TO: no placed pod ${JSON.stringify(req.to.ref)}${w.offline ? ' in the manifests' : ' in the lab'}`);
    ip = dst.ip;
  } else if (req.to.kind === 'ip') ip = req.to.ip;
  else {
    dns = lookupName(src, req.to.name, w.dns, w.dnsServer, CLUSTER_ZONE);
    const answered = dns.answered;
    // A bare name no cluster DNS name answers may be a pod of the namespace (`trace a b`).
    const asPod = !req.to.name.includes('.') && !req.to.url && answered?.result !== 'answer' ? podByKey(w, `${req.namespace ?? 'default'}/${req.to.name}`) : undefined;
    if (asPod) return buildTrace(w, { ...req, to: { kind: 'pod', ref: podKey(asPod) }, port: req.port ?? req.to.port });
    if (!answered || answered.result === 'forward') {
      const port = req.port ?? req.to.port ?? null;
      const verdict = dns.skipped ? 'UNRESOLVED' : answered ? 'FORWARDED' : 'UNRESOLVED';
      return { ...base, dns, port, address: null, verdict, expect: null };
    }
    ip = answered.addresses[0];
  }
  const owner = (w.secondary ?? []).find((s) => s.ip === ip);
  if (owner) return secondaryTrace(w, src, owner, { ...base, dns, address: ip, port: defaultPort(w, req, podByKey(w, owner.pod), ip) });
  const port = defaultPort(w, req, req.to.kind === 'pod' ? podByKey(w, req.to.ref) : podByIP(w, ip), ip);
  const srcNode = src.nodeName!;
  // NodePorts are handled by the node owning the address; everything else by the source's node.
  const natNode = w.nodes.find((n) => n.ip === ip && n.name !== srcNode) ?? w.nodes.find((n) => n.name === srcNode)!;
  const localIPs = [natNode.gateway, w.config.serviceCidr];
  const nat = traceServices(w.table, { name: natNode.name, ip: natNode.ip, localIPs }, { tableName: PROXY_TABLE, podCidr: w.config.podCidr }, { src: src.ip, dst: ip, protocol: req.protocol, dport: port, from: src.hostNetwork ? 'node' : 'pod' });
  const isService = nat.verdict !== 'PASS';
  const svc = w.table.services.find((s) => (s.clusterIP === ip || s.loadBalancerIP === ip || natNode.ip === ip) && s.ports.some((p) => p.protocol === req.protocol && (natNode.ip === ip ? p.nodePort === port : p.port === port)));
  const service: ServiceStep | null = isService ? { service: svc?.key ?? null, node: natNode.name, result: { verdict: nat.verdict, destinations: nat.destinations, masquerade: nat.masquerade, text: nat.text } } : null;
  const via = src.networks && !src.hostNetwork ? { via: { interface: 'eth0', network: 'cluster network' } } : {};
  const common = { ...base, dns, service, port, address: ip, ...via };
  if (isService && nat.destinations.length === 0) return { ...common, verdict: 'NO ENDPOINTS', expect: nat.verdict === 'REJECT' ? 'refused' : 'denied' };
  const targets = isService ? nat.destinations : [`${ip}:${port}`];
  const srcEndpoint: Endpoint = { kind: 'pod', pod: src };
  const paths = targets.map((t): TracePath => {
    const [dip, dport] = [t.slice(0, t.lastIndexOf(':')), Number(t.slice(t.lastIndexOf(':') + 1))];
    const dst = endpointOf(w, dip);
    const route = natNode.name === srcNode ? [routeFrom(w.config, w.nodes, srcNode, dip)] : [routeFrom(w.config, w.nodes, srcNode, ip!), routeFrom(w.config, w.nodes, natNode.name, dip)];
    // Egress is judged on the source's node: after DNAT there, else on the address sent to.
    const egressDst = natNode.name === srcNode ? dst : endpointOf(w, ip!);
    const semantics = w.semantics ?? labSemantics(w.config);
    const egress = explain(w.cluster, srcEndpoint, egressDst, natNode.name === srcNode ? dport : port, req.protocol, semantics).egress;
    const ingress = explain(w.cluster, srcEndpoint, dst, dport, req.protocol, semantics).ingress;
    const allowed = route.every(routable) && egress.allowed && ingress.allowed;
    return { to: t, pod: dst.kind === 'pod' ? podKey(dst.pod) : null, route, egress, ingress, allowed };
  });
  const ok = paths.filter((p) => p.allowed).length;
  const unreachable = paths.every((p) => !p.route.every(routable));
  const verdict: TraceVerdict = unreachable ? 'UNREACHABLE' : ok === paths.length ? 'ALLOWED' : ok === 0 ? 'DENIED' : 'PARTIAL';
  // Never probe the host's own link address: only pods, Services and nodes are lab addresses.
  const hostOnly = paths.some((p) => p.route.some((r) => r.kind === 'host'));
  const expect = hostOnly ? null : verdict === 'ALLOWED' ? 'reachable' : verdict === 'DENIED' ? 'denied' : verdict === 'PARTIAL' ? 'either' : null;
  return { ...common, paths, verdict, expect };
}

/**
 * To a pod's secondary address: the source's interface on that subnet carries it (its connected
 * route), straight to the other pod's interface — no node routing, no Service NAT, no policy.
 * Without such an interface the packet follows the default route to the node, which has no route
 * to the secondary network.
 */
function secondaryTrace(w: TraceWorld, src: Pod, owner: SecondaryAddress, common: Omit<Trace, 'paths' | 'verdict' | 'expect' | 'service'>): Trace {
  const via = sourceInterface(w.secondary ?? [], podKey(src), owner.ip);
  const dst = podByKey(w, owner.pod);
  const to = `${owner.ip}:${common.port}`;
  const route: RouteStep = via
    ? { kind: 'secondary', from: src.nodeName!, to: dst?.nodeName, text: `via ${via.ifname} (${via.address}, network ${via.network}, ${via.plugin}) to ${owner.pod} ${owner.ifname}: on the secondary network, not routed by the node, no NAT` }
    : { kind: 'unreachable', from: src.nodeName!, text: `${podKey(src)} has no interface on the subnet of ${owner.ip} (${owner.pod} ${owner.ifname}, network ${owner.network}): its default route goes to the node, which has no route there` };
  const path: TracePath = { to, pod: owner.pod, route: [route], egress: exemptSide('egress', podKey(src)), ingress: exemptSide('ingress', owner.pod), allowed: via !== undefined };
  return { ...common, service: null, paths: [path], verdict: via ? 'ALLOWED' : 'UNREACHABLE', expect: via ? 'reachable' : null, via: via ? { interface: via.ifname, network: via.network } : { interface: 'eth0', network: 'cluster network' } };
}
