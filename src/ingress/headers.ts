/**
 * HTTP/1.1 header rules of a reverse proxy (pure, on Node's flat rawHeaders arrays: name, value,
 * name, value…): ambiguous request framing is refused, hop-by-hop headers are not forwarded, and
 * X-Forwarded-For/Proto/Host/Port tell the backend who asked.
 */

/**
 * RFC 9110 §7.6.1: Connection, and the headers it names, "are intended only for the immediate
 * connection"; with RFC 2616's list of hop-by-hop headers (Keep-Alive, Proxy-Authenticate,
 * Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade) and the non-standard
 * Proxy-Connection.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/**
 * Set by the controller rather than passed on; and Expect, which the controller's own server has
 * already answered (100 Continue) before the request is forwarded.
 */
const NOT_FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'expect']);

export type RawHeaders = readonly string[];

function values(raw: RawHeaders, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i].toLowerCase() === name) out.push(raw[i + 1]);
  return out;
}

/** Comma-separated list values of every field line with that name, trimmed and lower-case. */
function listValues(raw: RawHeaders, name: string): string[] {
  return values(raw, name).flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}

/**
 * Why a request's framing or target is ambiguous (to be answered 400 and the connection closed),
 * or undefined. RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length
 * and Transfer-Encoding ... Such a message might indicate an attempt to perform request smuggling";
 * "If a Transfer-Encoding header field is present in a request and the chunked transfer coding is
 * not the final encoding, the message body length cannot be determined reliably; the server MUST
 * respond with the 400 (Bad Request) status code and then close the connection." §6.3: differing
 * Content-Length values are "an unrecoverable error". RFC 9112 §3.2: "A server MUST respond with a
 * 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and
 * to any request message that contains more than one Host header field line".
 */
export function ambiguity(raw: RawHeaders, httpVersion: string): string | undefined {
  const lengths = values(raw, 'content-length').flatMap((v) => v.split(',')).map((v) => v.trim());
  const codings = listValues(raw, 'transfer-encoding');
  const hosts = values(raw, 'host');
  if (lengths.length > 0 && values(raw, 'transfer-encoding').length > 0) return 'both Content-Length and Transfer-Encoding';
  if (lengths.some((v) => !/^[0-9]+$/.test(v))) return 'invalid Content-Length';
  if (new Set(lengths.map((v) => v.replace(/^0+(?=.)/, ''))).size > 1) return 'conflicting Content-Length values';
  if (values(raw, 'transfer-encoding').length > 0 && codings[codings.length - 1] !== 'chunked') return 'Transfer-Encoding does not end with chunked';
  if (hosts.length > 1) return 'more than one Host header';
  if (hosts.length === 0 && httpVersion !== '1.0') return 'no Host header';
  return undefined;
}

/** Whether the request has a body of unknown length (chunked): it must go upstream chunked too. */
export function isChunked(raw: RawHeaders): boolean {
  return listValues(raw, 'transfer-encoding').includes('chunked');
}

/** The headers minus hop-by-hop ones and those the Connection header names. */
export function endToEnd(raw: RawHeaders, drop: ReadonlySet<string> = new Set()): string[] {
  const named = new Set(listValues(raw, 'connection'));
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name) && !drop.has(name)) out.push(raw[i], raw[i + 1]);
  }
  return out;
}

export interface ClientInfo {
  /** The client's address as the controller sees it. */
  address: string;
  proto: 'http' | 'https';
  /** The port the client connected to (80 or 443 behind the Service). */
  port: number;
}

/**
 * The headers sent upstream: end-to-end ones, X-Forwarded-For with the client appended (as
 * nginx's $proxy_add_x_forwarded_for), X-Forwarded-Proto/Host/Port set by the controller, the Host
 * header kept (a Host-less HTTP/1.0 request gets the upstream's address), and for an upgrade the
 * Upgrade/Connection pair the backend needs.
 */
export function upstreamHeaders(raw: RawHeaders, client: ClientInfo, upstream: string, upgrade?: string): string[] {
  const out = endToEnd(raw, NOT_FORWARDED);
  const host = values(raw, 'host')[0];
  if (host === undefined) out.push('Host', upstream);
  const prior = values(raw, 'x-forwarded-for').map((v) => v.trim()).filter((v) => v !== '');
  out.push('X-Forwarded-For', [...prior, client.address].join(', '));
  out.push('X-Forwarded-Proto', client.proto, 'X-Forwarded-Host', host ?? upstream, 'X-Forwarded-Port', String(client.port));
  if (upgrade !== undefined) out.push('Connection', 'upgrade', 'Upgrade', upgrade);
  else if (isChunked(raw)) out.push('Transfer-Encoding', 'chunked');
  return out;
}

/** A client address as headers carry it: IPv4-mapped IPv6 written as IPv4. */
export function clientAddress(address: string | undefined): string {
  const a = address ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
