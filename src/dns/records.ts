/**
 * Cluster DNS records (pure): the resource records of the Kubernetes DNS-Based Service
 * Discovery specification (kubernetes/dns docs/specification.md, schema 1.1.0) built from a
 * Cluster, the Services' allocations and their EndpointSlices — what CoreDNS's kubernetes plugin
 * serves. "All comparisons between query data and data in Kubernetes is case-insensitive": names
 * are stored lower-case and looked up lower-cased.
 */
import { parseIPv4 } from '../model/ip.js';
import type { ServiceAllocation } from '../model/service-table.js';
import { serviceKey } from '../model/services.js';
import type { Cluster, EndpointSlice, Service } from '../model/types.js';

export const DNS_SCHEMA_VERSION = '1.1.0';
export const DEFAULT_ZONE = 'cluster.local';
/** kubeadm's Corefile: `kubernetes cluster.local in-addr.arpa ip6.arpa { ... ttl 30 }`. */
export const DEFAULT_TTL = 30;

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export type DnsRecord =
  | { name: string; ttl: number; type: 'A' | 'PTR' | 'CNAME' | 'TXT'; data: string }
  | { name: string; ttl: number; type: 'SRV'; data: SrvData };

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/**
 * `pods insecure` (the spec's 2.6: an A record "for any values of <a>, <b>, <c>, and <d>",
 * synthesized at query time), `verified` (only IPs of pods in that namespace) or `disabled`.
 */
export type PodsMode = 'insecure' | 'verified' | 'disabled';

export interface RecordSet {
  zone: string;
  ttl: number;
  soa: SoaData;
  pods: PodsMode;
  /** Lower-case owner name (no trailing dot) → its records. */
  byName: ReadonlyMap<string, readonly DnsRecord[]>;
  /** Every name that exists: owners and their ancestors inside the zone (empty non-terminals). */
  names: ReadonlySet<string>;
}

/** What the record set needs of the services (a ServiceView satisfies it). */
export interface DnsServiceInput {
  allocations: ReadonlyMap<string, ServiceAllocation>;
  slices: readonly EndpointSlice[];
}

export interface RecordOptions {
  zone?: string;
  ttl?: number;
  pods?: PodsMode;
}

/** Lower-case, without leading/trailing dots. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/^\.+|\.+$/g, '');
}

/** `<d>.<c>.<b>.<a>.in-addr.arpa` for an IPv4 address, undefined for anything else. */
export function reverseName(ip: string): string | undefined {
  if (parseIPv4(ip) === null) return undefined;
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

export function buildRecordSet(cluster: Cluster, view: DnsServiceInput, options: RecordOptions = {}): RecordSet {
  const zone = normalizeName(options.zone ?? DEFAULT_ZONE);
  const ttl = options.ttl ?? DEFAULT_TTL;
  const pods = options.pods ?? 'insecure';
  const out: DnsRecord[] = [];
  const add = (r: DnsRecord): void => void out.push({ ...r, name: normalizeName(r.name) } as DnsRecord);

  // 2.2: "There must be a TXT record named dns-version.<zone>. that contains the semantic version".
  add({ name: `dns-version.${zone}`, ttl, type: 'TXT', data: DNS_SCHEMA_VERSION });

  const slicesOf = new Map<string, EndpointSlice[]>();
  for (const sl of view.slices) {
    const key = `${sl.namespace}/${sl.serviceName}`;
    slicesOf.set(key, [...(slicesOf.get(key) ?? []), sl]);
  }
  for (const s of cluster.services) {
    const alloc = view.allocations.get(serviceKey(s));
    const fqdn = `${s.name}.${s.namespace}.svc.${zone}`;
    if (s.type === 'ExternalName') {
      // 2.5: "a CNAME record named <service>.<ns>.svc.<zone> pointing to <extname> must exist".
      if (s.externalName) add({ name: fqdn, ttl, type: 'CNAME', data: normalizeName(s.externalName) });
    } else if (!s.headless) {
      if (alloc?.clusterIP) clusterIPRecords(s, fqdn, alloc.clusterIP, ttl, add);
    } else headlessRecords(s, fqdn, slicesOf.get(serviceKey(s)) ?? [], ttl, add);
  }
  if (pods === 'verified') {
    for (const p of cluster.pods) {
      if (parseIPv4(p.ip) !== null) add({ name: `${p.ip.replace(/\./g, '-')}.${p.namespace}.pod.${zone}`, ttl, type: 'A', data: p.ip });
    }
  }
  return indexRecords(out, zone, ttl, pods);
}

/** 2.3: a Service with a ClusterIP: A, SRV per named port, PTR. */
function clusterIPRecords(s: Service, fqdn: string, ip: string, ttl: number, add: (r: DnsRecord) => void): void {
  add({ name: fqdn, ttl, type: 'A', data: ip });
  // "Unnamed ports do not have an SRV record." Priority and weight "are not prescribed by this
  // specification"; CoreDNS gives priority 0 and weight 100/n for n targets of one priority.
  for (const p of s.ports) {
    if (p.name) add({ name: `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`, ttl, type: 'SRV', data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
  }
  const rev = reverseName(ip);
  if (rev) add({ name: rev, ttl, type: 'PTR', data: fqdn });
}

interface HeadlessTarget {
  ip: string;
  host: string;
  ports: Map<string, number>;
}

/** 2.4: a headless Service: A per ready endpoint, per-hostname A, SRV per endpoint and named port, PTR. */
function headlessRecords(s: Service, fqdn: string, slices: readonly EndpointSlice[], ttl: number, add: (r: DnsRecord) => void): void {
  const targets = new Map<string, HeadlessTarget>();
  for (const sl of slices) {
    if (sl.addressType !== 'IPv4') continue;
    for (const e of sl.endpoints) {
      // "There must be an A record for each ready endpoint"; publishNotReadyAddresses makes every
      // endpoint count ("ready" in the spec's words: the tolerate-unready-endpoints successor).
      if (!e.ready && !s.publishNotReadyAddresses) continue;
      for (const ip of e.addresses) {
        if (parseIPv4(ip) === null) continue;
        // _hostname_: "The value of the endpoint's hostname field", else "a unique, system-assigned
        // identifier" — CoreDNS uses the dashed IP (10-244-1-5).
        const host = normalizeName(e.hostname ?? ip.replace(/\./g, '-'));
        const key = `${host}/${ip}`;
        const t = targets.get(key) ?? { ip, host, ports: new Map<string, number>() };
        for (const p of sl.ports) if (p.name) t.ports.set(`${p.name}/${p.protocol}`, p.port);
        targets.set(key, t);
      }
    }
  }
  const list = [...targets.values()];
  for (const ip of new Set(list.map((t) => t.ip))) add({ name: fqdn, ttl, type: 'A', data: ip });
  for (const t of list) {
    // "If there are multiple IP addresses for a given hostname, then there must be one such A
    // record returned for each IP." Generated names resolve too, so SRV targets do.
    add({ name: `${t.host}.${fqdn}`, ttl, type: 'A', data: t.ip });
    const rev = reverseName(t.ip);
    if (rev) add({ name: rev, ttl, type: 'PTR', data: `${t.host}.${fqdn}` });
  }
  // "For each combination of ready endpoint with hostname of <hostname>, and port in the Service
  // with name <port> ... an SRV record" — N endpoints × M named ports. The endpoint's port is the
  // slice port of the same name and protocol (the target port), as in CoreDNS.
  for (const p of s.ports) {
    if (!p.name) continue;
    const owner = `_${p.name}._${p.protocol.toLowerCase()}.${fqdn}`;
    const withPort = list.filter((t) => t.ports.has(`${p.name}/${p.protocol}`));
    const weight = withPort.length > 0 ? Math.floor(100 / withPort.length) : 100;
    for (const t of withPort) add({ name: owner, ttl, type: 'SRV', data: { priority: 0, weight, port: t.ports.get(`${p.name}/${p.protocol}`)!, target: `${t.host}.${fqdn}` } });
  }
}

function indexRecords(records: readonly DnsRecord[], zone: string, ttl: number, pods: PodsMode): RecordSet {
  const byName = new Map<string, DnsRecord[]>();
  const seen = new Set<string>();
  const names = new Set<string>([zone]);
  for (const r of records) {
    const id = `${r.name} ${r.type} ${JSON.stringify(r.data)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    if (!r.name.endsWith(`.${zone}`)) continue;
    for (let n = r.name; n !== zone; n = n.slice(n.indexOf('.') + 1)) names.add(n);
  }
  // The serial changes whenever the records do (FNV-1a of their sorted text), like a zone file's.
  let hash = 0x811c9dc5;
  for (const id of [...seen].sort()) {
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  }
  // CoreDNS: "ns.dns.<zone>", mailbox "hostmaster.<zone>", refresh 7200, retry 1800, expire 86400.
  const soa: SoaData = { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: hash, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl };
  return { zone, ttl, soa, pods, byName, names };
}

/** An empty record set (SOA and dns-version only): what a server starts with before the first update. */
export function emptyRecordSet(options: RecordOptions = {}): RecordSet {
  const empty: Cluster = { namespaces: [], nodes: [], pods: [], services: [], endpointSlices: [], ingresses: [], ingressClasses: [], routes: [], policies: [], secrets: [], notes: [] };
  return buildRecordSet(empty, { allocations: new Map(), slices: [] }, options);
}
