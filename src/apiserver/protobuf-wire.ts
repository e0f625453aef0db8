// The protobuf wire format, as far as decoding Kubernetes request bodies needs it (pure): varints,
// 64-bit doubles, length-delimited ranges, skipping unknown fields; and the JSON forms Go gives the
// values (base64 of bytes, RFC 3339 times, duration strings).
//
// Wire format (protobuf encoding reference): a field is a varint tag `number << 3 | wire type`, then
// its value: wire type 0 a varint, 1 eight bytes little-endian, 2 a varint length and that many bytes,
// 5 four bytes. Types 3 and 4 (groups) are deprecated and proto2 messages of Kubernetes have none.

export class ProtobufError extends Error {}

const utf8 = new TextDecoder(); // not fatal: Go's JSON encoder, too, writes invalid UTF-8 as U+FFFD

/** A range of a buffer being read; `where` and `field` name the place in errors. */
export class Reader {
  pos: number;
  field = 0;

  constructor(readonly buf: Uint8Array, start: number, readonly end: number, readonly where: string) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  fail(what = 'truncated'): never {
    throw new ProtobufError(this.field === 0 ? `${what} tag in ${this.where}` : `${what} field ${this.field} of ${this.where}`);
  }

  /** A varint: a number while it is exact (under 2^49), else a bigint of its 64 bits. */
  varint(): number | bigint {
    let n = 0;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) this.fail();
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return n;
    }
    let big = BigInt(n);
    for (let i = 7; i < 10; i++) {
      if (this.pos >= this.end) this.fail();
      const b = this.buf[this.pos++];
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return BigInt.asUintN(64, big);
    }
    return this.fail('overlong varint in');
  }

  /** A varint that must be a small non-negative number (tags, lengths). */
  size(): number {
    const v = this.varint();
    if (typeof v === 'bigint' || v > Number.MAX_SAFE_INTEGER) return this.fail();
    return v;
  }

  /** The next tag: [field number, wire type]. */
  tag(): [number, number] {
    this.field = 0;
    const t = this.size();
    const n = Math.floor(t / 8);
    if (n === 0 || n > 0x1fffffff) throw new ProtobufError(`field number ${n} in ${this.where}`);
    this.field = n;
    return [n, t % 8];
  }

  /** A length-delimited value: its [start, end) in buf. */
  range(): [number, number] {
    const n = this.size();
    if (n > this.end - this.pos) this.fail();
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  bytes(): Uint8Array {
    const [s, e] = this.range();
    return this.buf.subarray(s, e);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  double(): number {
    if (this.end - this.pos < 8) this.fail();
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** Skips a field of an unknown number (forward compatibility: newer clients, newer fields). */
  skip(wire: number): void {
    const fixed = wire === 1 ? 8 : wire === 5 ? 4 : -1;
    if (wire === 0) this.varint();
    else if (wire === 2) this.range();
    else if (fixed > 0) {
      if (this.end - this.pos < fixed) this.fail();
      this.pos += fixed;
    } else this.fail(`wire type ${wire} (not used by Kubernetes) in`);
  }
}

export const int32 = (v: number | bigint): number => (typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v | 0);
export const int64 = (v: number | bigint): number => (typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : v);

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding, as Go's encoding/json writes a []byte. */
export function base64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < b.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < b.length ? B64[n & 63] : '=';
  }
  return out;
}

/** Seconds of 0001-01-01T00:00:00Z, Go's zero time.Time: metav1.Time marshals it as JSON null. */
export const ZERO_TIME_SECONDS = -62135596800;

/** RFC 3339 in UTC, `2026-01-02T03:04:05Z`; with `micro`, six fractional digits (metav1.MicroTime). */
export function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const s = seconds + Math.floor(nanos / 1e9);
  const ns = ((nanos % 1e9) + 1e9) % 1e9;
  const d = new Date(s * 1000);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new ProtobufError(`time ${seconds}s is outside years 0000–9999 (RFC 3339)`);
  const base = d.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(ns / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** v / 10^digits with the fraction's trailing zeros (and a bare point) trimmed. */
function fraction(v: number, digits: number): string {
  const unit = 10 ** digits;
  const frac = String(v % unit).padStart(digits, '0').replace(/0+$/, '');
  return `${Math.floor(v / unit)}${frac ? `.${frac}` : ''}`;
}

/** Nanoseconds as Go's time.Duration.String() writes them: `0s`, `1.5µs`, `250ms`, `1h2m3.5s`. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${fraction(u, 3)}µs`;
  if (u < 1e9) return `${sign}${fraction(u, 6)}ms`;
  const secs = Math.floor(u / 1e9);
  let out = `${fraction((secs % 60) * 1e9 + (u % 1e9), 9)}s`;
  const mins = Math.floor(secs / 60);
  if (mins > 0) out = `${mins % 60}m${out}`;
  if (mins >= 60) out = `${Math.floor(mins / 60)}h${out}`;
  return sign + out;
}
