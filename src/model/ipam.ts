/** Deterministic IP address management over IPv4 CIDRs (pure). */
import { formatIPv4, parseCidr, parseIPv4 } from './ip.js';

/**
 * Hands out addresses of a CIDR in order, skipping the network address, the broadcast address
 * and every address already in use. Deterministic: the same inputs give the same addresses.
 */
export class SequentialAllocator {
  private next: number;
  private readonly last: number;
  private readonly used: Set<number>;

  constructor(cidrText: string, used: Iterable<string> = []) {
    const cidr = parseCidr(cidrText);
    if (!cidr || cidr.family !== 4) throw new Error(`${JSON.stringify(cidrText)} is not an IPv4 CIDR`);
    this.next = cidr.prefix >= 31 ? cidr.start : cidr.start + 1;
    this.last = cidr.prefix >= 31 ? cidr.end : cidr.end - 1;
    this.used = new Set([...used].map(parseIPv4).filter((n): n is number => n !== null));
  }

  /** The next free address, or null when the CIDR is exhausted. */
  allocate(): string | null {
    while (this.next <= this.last) {
      const candidate = this.next++;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return formatIPv4(candidate);
      }
    }
    return null;
  }
}
