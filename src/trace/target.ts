/**
 * The TO argument of `podnet trace`: a pod ("ns/name"), an address ("10.96.0.10:53", "10.244.1.5"),
 * a URL ("http://web.shop:8080/x") or a DNS name as a pod would type it ("web", "web.shop",
 * "web.shop.svc.cluster.local"). Pure.
 */
import { parseIPv4 } from '../model/ip.js';

export type TraceTarget =
  | { kind: 'pod'; ref: string }
  | { kind: 'ip'; ip: string; port?: number }
  | { kind: 'name'; name: string; port?: number; url?: string };

export class TargetError extends Error {
  override name = 'TargetError';
}

const DEFAULT_URL_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };
const DNS_NAME = /^(?=.{1,253}\.?$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$/i;

function port(text: string, what: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new TargetError(`TO: ${JSON.stringify(what)}: ${JSON.stringify(text)} is not a port number (1-65535)`);
  return Number(text);
}

export function parseTarget(text: string): TraceTarget {
  const t = text.trim();
  if (t === '') throw new TargetError('TO: empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    let url: URL;
    try {
      url = new URL(t);
    } catch {
      throw new TargetError(`TO: ${JSON.stringify(text)} is not a URL`);
    }
    const p = url.port !== '' ? Number(url.port) : DEFAULT_URL_PORT[url.protocol];
    if (p === undefined) throw new TargetError(`TO: ${JSON.stringify(text)}: no port in the URL and no default port for ${url.protocol.slice(0, -1)}`);
    const host = url.hostname;
    if (parseIPv4(host) !== null) return { kind: 'ip', ip: host, port: p };
    return { kind: 'name', name: host, port: p, url: t };
  }
  if (t.includes('/')) {
    const [ns, name, ...rest] = t.split('/');
    if (rest.length > 0 || !ns || !name) throw new TargetError(`TO: ${JSON.stringify(text)} is not a pod (ns/name)`);
    return { kind: 'pod', ref: t };
  }
  const colon = t.lastIndexOf(':');
  const host = colon >= 0 ? t.slice(0, colon) : t;
  const p = colon >= 0 ? port(t.slice(colon + 1), text) : undefined;
  if (parseIPv4(host) !== null) return { kind: 'ip', ip: host, ...(p !== undefined ? { port: p } : {}) };
  if (/^[0-9.]+$/.test(host)) throw new TargetError(`TO: ${JSON.stringify(text)} is not an IPv4 address`);
  if (!DNS_NAME.test(host)) throw new TargetError(`TO: ${JSON.stringify(text)} is not a pod, address, URL or DNS name`);
  return { kind: 'name', name: host, ...(p !== undefined ? { port: p } : {}) };
}
