/**
 * The DNS step of a trace: a name looked up exactly as the source pod's resolver would — its
 * resolv.conf per dnsPolicy (search list, ndots), each candidate answered by the cluster DNS
 * record set through the same resolveQuery the lab's DNS server runs. Pure: names outside the
 * cluster zone are reported as forwarded, never sent anywhere.
 */
import type { DecodedPacket } from 'dns-packet';
import type { RecordSet } from '../dns/records.js';
import { RCODE, resolveQuery } from '../dns/resolve.js';
import { podResolvConf } from '../dns/resolv-conf.js';
import type { Pod } from '../model/types.js';

export interface DnsAttempt {
  name: string;
  /** NOERROR with addresses, NXDOMAIN, NODATA (the name exists, no A record), or forwarded. */
  result: 'answer' | 'nxdomain' | 'nodata' | 'forward';
  addresses: string[];
  /** CNAME targets followed inside the zone. */
  cnames: string[];
}

export interface DnsLookup {
  name: string;
  nameserver: string | null;
  search: string[];
  ndots: number;
  attempts: DnsAttempt[];
  /** The attempt that answered, if any. */
  answered: DnsAttempt | null;
  /** Why the cluster DNS was not asked (dnsPolicy Default, DNS off). */
  skipped?: string;
}

interface ResolverConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

export function parseResolvConf(text: string): ResolverConf {
  const conf: ResolverConf = { nameservers: [], search: [], ndots: 1 };
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'nameserver' && rest[0]) conf.nameservers.push(rest[0]);
    else if (key === 'search') conf.search = rest;
    else if (key === 'options') for (const o of rest) if (o.startsWith('ndots:')) conf.ndots = Math.min(15, Number(o.slice(6)) || 0);
  }
  return conf;
}

/** glibc's order: absolute first when the name has at least ndots dots, else the search list first. */
export function candidates(name: string, conf: ResolverConf): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((s) => `${name}.${s}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

function ask(name: string, rs: RecordSet): DnsAttempt {
  const query = { type: 'query', id: 1, flags: 1 << 8, questions: [{ type: 'A', class: 'IN', name }] } as unknown as DecodedPacket;
  const r = resolveQuery(query, rs, 'udp');
  if (r.kind !== 'answer') return { name, result: 'forward', addresses: [], cnames: [] };
  const rcode = (r.response.flags ?? 0) & 0xf;
  const answers = (r.response.answers ?? []) as { type: string; data: unknown }[];
  const addresses = answers.filter((a) => a.type === 'A').map((a) => String(a.data));
  const cnames = answers.filter((a) => a.type === 'CNAME').map((a) => String(a.data));
  if (rcode === RCODE.NXDOMAIN) return { name, result: 'nxdomain', addresses, cnames };
  if (addresses.length === 0 && r.chase) return { name, result: 'forward', addresses, cnames };
  return { name, result: addresses.length > 0 ? 'answer' : 'nodata', addresses, cnames };
}

export function lookupName(pod: Pod, name: string, rs: RecordSet | null, dnsServer: string | null, zone: string): DnsLookup {
  const base = { name, nameserver: null, search: [], ndots: 1, attempts: [], answered: null };
  if (!rs || !dnsServer) return { ...base, skipped: 'the lab runs without cluster DNS (--no-dns): the pod uses the host\'s resolver' };
  const text = podResolvConf(pod, { nameserver: dnsServer, zone });
  if (text === null) return { ...base, skipped: `dnsPolicy ${pod.dnsPolicy ?? 'ClusterFirst'}${pod.hostNetwork ? ' with hostNetwork' : ''}: the pod uses its node's resolver, not cluster DNS` };
  const conf = parseResolvConf(text);
  const nameserver = conf.nameservers[0] ?? null;
  if (nameserver !== dnsServer) return { ...base, nameserver, skipped: `the pod's resolv.conf names ${nameserver ?? 'no nameserver'} first, not cluster DNS at ${dnsServer}` };
  const attempts: DnsAttempt[] = [];
  let answered: DnsAttempt | null = null;
  for (const candidate of candidates(name, conf)) {
    const attempt = ask(candidate, rs);
    attempts.push(attempt);
    // The resolver goes on after NXDOMAIN and NODATA; a forwarded name is answered upstream.
    if (attempt.result === 'answer' || attempt.result === 'forward') {
      answered = attempt;
      break;
    }
  }
  return { name, nameserver, search: conf.search, ndots: conf.ndots, attempts, answered };
}
