/**
 * Where cluster DNS sends names outside its zone (pure): the `--dns-upstream` value and the
 * nameservers of a resolv.conf text.
 *
 *   host                 the nameservers of the host's /etc/resolv.conf, read at `up` time
 *   none                 nowhere: such names get SERVFAIL at once
 *   ADDR[:PORT][,ADDR…]  these servers, tried in order (IPv6 with a port: [ADDR]:PORT)
 */
import { isIPv6, parseIPv4 } from './ip.js';

/** 4, 6, or 0 when not an address (as node:net's isIP, IPv6 zone ids included: fe80::1%eth0). */
function ipFamily(text: string): 0 | 4 | 6 {
  if (parseIPv4(text) !== null) return 4;
  const zone = text.indexOf('%');
  if (zone >= 0 && !/^[A-Za-z0-9_.-]+$/.test(text.slice(zone + 1))) return 0;
  return isIPv6(zone >= 0 ? text.slice(0, zone) : text) ? 6 : 0;
}

export interface Upstream {
  address: string;
  port: number;
}

export type UpstreamSpec = { kind: 'host' } | { kind: 'none' } | { kind: 'list'; upstreams: Upstream[] };

export const DNS_PORT = 53;
/** glibc's MAXNS: a resolver uses at most three nameservers. */
export const MAX_UPSTREAMS = 3;

export function parseUpstreamSpec(text: string): UpstreamSpec | { error: string } {
  const spec = text.trim();
  if (spec === 'host' || spec === 'none') return { kind: spec };
  const items = spec.split(',').map((s) => s.trim());
  if (spec === '' || items.some((s) => s === '')) return { error: `${JSON.stringify(text)}: expected host, none or ADDR[:PORT][,ADDR[:PORT]...]` };
  const upstreams: Upstream[] = [];
  for (const item of items) {
    const u = parseUpstream(item);
    if ('error' in u) return u;
    upstreams.push(u);
  }
  if (upstreams.length > MAX_UPSTREAMS) return { error: `${JSON.stringify(text)}: at most ${MAX_UPSTREAMS} servers` };
  return { kind: 'list', upstreams };
}

/** `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`. */
export function parseUpstream(item: string): Upstream | { error: string } {
  let address = item;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(item);
  if (bracketed) [, address, port] = bracketed;
  else if (ipFamily(item.split(':')[0]) === 4 && item.split(':').length === 2) [address, port] = item.split(':');
  if (ipFamily(address) === 0) return { error: `${JSON.stringify(item)} is not an IP address (IPv4, IPv6; a port as ADDR:PORT or [IPv6]:PORT)` };
  if (port === undefined) return { address, port: DNS_PORT };
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { error: `${JSON.stringify(item)}: the port must be 1-65535` };
  return { address, port: Number(port) };
}

export function formatUpstream(u: Upstream): string {
  return ipFamily(u.address) === 6 ? `[${u.address}]:${u.port}` : `${u.address}:${u.port}`;
}

/**
 * The nameservers of a resolv.conf (resolv.conf(5): "nameserver Name server IP address", up to
 * MAXNS of them, later ones ignored; '#' and ';' start comments). Lines that are no address are
 * skipped, as the resolver does.
 */
export function resolvConfNameservers(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (fields[0] !== 'nameserver' || fields.length < 2 || ipFamily(fields[1]) === 0) continue;
    out.push({ address: fields[1], port: DNS_PORT });
    if (out.length === MAX_UPSTREAMS) break;
  }
  return out;
}

/** The upstreams a spec stands for; `host` reads the host's resolv.conf through `hostResolvConf`. */
export function upstreamsFor(spec: UpstreamSpec, hostResolvConf: () => string): Upstream[] {
  if (spec.kind === 'none') return [];
  if (spec.kind === 'list') return spec.upstreams;
  return resolvConfNameservers(hostResolvConf());
}
