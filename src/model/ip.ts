/**
 * IPv4/IPv6 address and CIDR parsing. IPv4 addresses are plain numbers
 * (0 .. 2^32-1) so ranges can be handled as integer intervals.
 */

export const IPV4_MAX = 0xffffffff;

/** Parses dotted-quad IPv4; returns null when the text is not a canonical IPv4 address. */
export function parseIPv4(text: string): number | null {
  // Dotted quad, each octet 0-255 in decimal without leading zeros ("010" is refused, as the
  // Kubernetes validation and Go's netip do). A hand parser: it runs once per address of every
  // ipBlock and pod, tens of thousands of times per policy compile.
  let value = 0;
  let octets = 0;
  let i = 0;
  const n = text.length;
  while (octets < 4) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      octet = octet * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48) || octet > 255) return null;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 46) return null; // '.'
      i++;
    }
  }
  return i === n ? value : null;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** True for a syntactically valid IPv6 address (no zone). */
export function isIPv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return false;
  const doubleColon = text.split('::');
  if (doubleColon.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(doubleColon[0]);
  const tail = doubleColon.length === 2 ? groups(doubleColon[1]) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes('.')) {
    if (parseIPv4(last) === null) return false;
    count += 1; // an embedded IPv4 takes two groups
    all.pop();
  }
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return doubleColon.length === 2 ? count < 8 : count === 8;
}

export interface Cidr {
  family: 4 | 6;
  text: string;
  prefix: number;
  /** IPv4 only: first and last address of the block. */
  start: number;
  end: number;
}

/** Parses "a.b.c.d/n" or an IPv6 CIDR; null when invalid. Host bits may be set, as the API allows. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const v4 = parseIPv4(addr);
  if (v4 !== null) {
    if (prefix > 32) return null;
    const size = 2 ** (32 - prefix);
    const start = Math.floor(v4 / size) * size;
    return { family: 4, text, prefix, start, end: start + size - 1 };
  }
  if (isIPv6(addr) && prefix <= 128) return { family: 6, text, prefix, start: 0, end: -1 };
  return null;
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family) return false;
  if (outer.family === 6) return true; // IPv6 containment is not modelled; accepted as given
  return inner.start >= outer.start && inner.end <= outer.end;
}

/** Formats an inclusive IPv4 range the way np-guard prints it: "a.b.c.d-e.f.g.h". */
export function formatRange(start: number, end: number): string {
  return `${formatIPv4(start)}-${formatIPv4(end)}`;
}
