/** Sets of allowed connections: for each protocol, a set of ports. */
import { IntervalSet } from '../model/intervals.js';
import { PROTOCOLS, type Protocol } from '../model/types.js';

export const MIN_PORT = 1;
export const MAX_PORT = 65535;
const ALL_PORTS = IntervalSet.of(MIN_PORT, MAX_PORT);
/** Interned one-port sets per protocol, up to SINGLE_PORTS_MAX each (a bounded cache in long-lived processes). */
const SINGLE_PORTS = new Map<Protocol, Map<number, ConnSet>>();
const SINGLE_PORTS_MAX = 16_384;

export class ConnSet {
  private constructor(private readonly ports: ReadonlyMap<Protocol, IntervalSet>) {}

  static readonly NONE = new ConnSet(new Map());
  static readonly ALL = new ConnSet(new Map(PROTOCOLS.map((p) => [p, ALL_PORTS])));

  static ports(protocol: Protocol, start: number, end: number = start): ConnSet {
    if (start !== end) return new ConnSet(new Map([[protocol, IntervalSet.of(start, end)]]));
    // One port: the commonest rule by far, shared (ConnSets are immutable), so that 10,000
    // rules do not allocate 10,000 maps.
    let byPort = SINGLE_PORTS.get(protocol);
    if (!byPort) SINGLE_PORTS.set(protocol, (byPort = new Map()));
    let set = byPort.get(start);
    if (!set) {
      set = new ConnSet(new Map([[protocol, IntervalSet.of(start, start)]]));
      if (byPort.size < SINGLE_PORTS_MAX) byPort.set(start, set);
    }
    return set;
  }

  static protocol(protocol: Protocol): ConnSet {
    return new ConnSet(new Map([[protocol, ALL_PORTS]]));
  }

  isEmpty(): boolean {
    return this.ports.size === 0;
  }

  isAll(): boolean {
    return PROTOCOLS.every((p) => this.ports.get(p)?.equals(ALL_PORTS));
  }

  allows(protocol: Protocol, port: number): boolean {
    return this.ports.get(protocol)?.has(port) ?? false;
  }

  portsOf(protocol: Protocol): IntervalSet {
    return this.ports.get(protocol) ?? IntervalSet.EMPTY;
  }

  union(other: ConnSet): ConnSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return ConnSet.build((p) => this.portsOf(p).union(other.portsOf(p)));
  }

  intersect(other: ConnSet): ConnSet {
    if (this.isEmpty() || other.isEmpty()) return ConnSet.NONE;
    return ConnSet.build((p) => this.portsOf(p).intersect(other.portsOf(p)));
  }

  /** The connections of this set that `other` does not have. */
  subtract(other: ConnSet): ConnSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    return ConnSet.build((p) => this.portsOf(p).subtract(other.portsOf(p)));
  }

  equals(other: ConnSet): boolean {
    return PROTOCOLS.every((p) => this.portsOf(p).equals(other.portsOf(p)));
  }

  private static build(f: (p: Protocol) => IntervalSet): ConnSet {
    const m = new Map<Protocol, IntervalSet>();
    for (const p of PROTOCOLS) {
      const s = f(p);
      if (!s.isEmpty()) m.set(p, s);
    }
    return m.size === 0 ? ConnSet.NONE : new ConnSet(m);
  }

  /**
   * np-guard's notation: "All Connections", "No Connections", or protocols in alphabetical order
   * with their ports and ranges: "SCTP 7070,TCP 8080-8081,UDP 9090". A protocol with every
   * port is its bare name.
   */
  toString(): string {
    if (this.isAll()) return 'All Connections';
    if (this.isEmpty()) return 'No Connections';
    return [...PROTOCOLS]
      .sort()
      .filter((p) => this.ports.has(p))
      .map((p) => {
        const set = this.portsOf(p);
        if (set.equals(ALL_PORTS)) return p;
        return `${p} ${set.intervals.map((iv) => (iv.start === iv.end ? `${iv.start}` : `${iv.start}-${iv.end}`)).join(',')}`;
      })
      .join(',');
  }
}
