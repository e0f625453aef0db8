/**
 * The DNS benchmark's workload: N ClusterIP Services as `svc-I.ns-(I mod 10).svc.cluster.local`
 * → 10.96.x.y, as a podnet RecordSet and as an RFC 1035 zone file (for knot) with the same names.
 */
import { DEFAULT_TTL, DEFAULT_ZONE, type DnsRecord, type RecordSet } from '../../src/dns/records.js';

export interface BenchName {
  name: string;
  ip: string;
}

export function dnsBenchNames(n: number): BenchName[] {
  return Array.from({ length: n }, (_, i) => ({ name: `svc-${i}.ns-${i % 10}.svc.${DEFAULT_ZONE}`, ip: `10.96.${(i + 1) >> 8}.${(i + 1) & 255}` }));
}

/** What buildRecordSet gives for these Services' A records (indexRecords' shape: owners and their in-zone ancestors). */
export function dnsBenchRecordSet(n: number): RecordSet {
  const zone = DEFAULT_ZONE;
  const ttl = DEFAULT_TTL;
  const byName = new Map<string, DnsRecord[]>();
  const names = new Set<string>([zone]);
  const add = (r: DnsRecord): void => {
    byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    for (let x = r.name; x !== zone; x = x.slice(x.indexOf('.') + 1)) names.add(x);
  };
  add({ name: `dns-version.${zone}`, ttl, type: 'TXT', data: '1.1.0' });
  for (const { name, ip } of dnsBenchNames(n)) add({ name, ttl, type: 'A', data: ip });
  const soa = { mname: `ns.dns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl };
  return { zone, ttl, soa, pods: 'insecure', byName, names };
}

export function dnsBenchZoneFile(n: number): string {
  const lines = [
    `$ORIGIN ${DEFAULT_ZONE}.`,
    `$TTL ${DEFAULT_TTL}`,
    `@ IN SOA ns.dns.${DEFAULT_ZONE}. hostmaster.${DEFAULT_ZONE}. 1 7200 1800 86400 ${DEFAULT_TTL}`,
    `@ IN NS ns.dns.${DEFAULT_ZONE}.`,
    `ns.dns IN A 127.0.0.1`,
    `dns-version IN TXT "1.1.0"`,
    ...dnsBenchNames(n).map(({ name, ip }) => `${name}. IN A ${ip}`),
  ];
  return `${lines.join('\n')}\n`;
}
