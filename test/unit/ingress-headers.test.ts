/**
 * Header rules of the ingress proxy (src/ingress/headers.ts), on Node's flat rawHeaders form:
 * ambiguous framing, hop-by-hop removal (also of headers the Connection header names), and the
 * X-Forwarded-* headers sent upstream.
 */
import { describe, expect, it } from 'vitest';
import { ambiguity, clientAddress, endToEnd, upstreamHeaders } from '../../src/ingress/headers.js';

describe('ambiguous requests', () => {
  const cases: [string, string[], string, string | undefined][] = [
    ['plain GET', ['Host', 'h'], '1.1', undefined],
    ['Content-Length and Transfer-Encoding', ['Host', 'h', 'Content-Length', '5', 'Transfer-Encoding', 'chunked'], '1.1', 'both Content-Length and Transfer-Encoding'],
    ['two different Content-Length', ['Host', 'h', 'Content-Length', '5', 'content-length', '6'], '1.1', 'conflicting Content-Length values'],
    ['a Content-Length list that disagrees', ['Host', 'h', 'Content-Length', '5, 6'], '1.1', 'conflicting Content-Length values'],
    ['equal Content-Length repeated', ['Host', 'h', 'Content-Length', '5', 'Content-Length', '05'], '1.1', undefined],
    ['a Content-Length that is not a number', ['Host', 'h', 'Content-Length', '+5'], '1.1', 'invalid Content-Length'],
    ['chunked not last', ['Host', 'h', 'Transfer-Encoding', 'chunked, gzip'], '1.1', 'Transfer-Encoding does not end with chunked'],
    ['chunked last over two lines', ['Host', 'h', 'Transfer-Encoding', 'gzip', 'Transfer-Encoding', 'chunked'], '1.1', undefined],
    ['two Host headers', ['Host', 'a', 'host', 'b'], '1.1', 'more than one Host header'],
    ['HTTP/1.1 without Host', [], '1.1', 'no Host header'],
    ['HTTP/1.0 without Host', [], '1.0', undefined],
  ];
  it.each(cases)('%s', (_, raw, version, want) => expect(ambiguity(raw, version)).toBe(want));
});

describe('hop-by-hop headers', () => {
  it('drops the fixed list and whatever Connection names, keeps the rest in order and case', () => {
    const raw = ['Host', 'h', 'Connection', 'keep-alive, X-Secret-Hop', 'Keep-Alive', 'timeout=5', 'X-Secret-Hop', '1', 'TE', 'trailers', 'Trailer', 'X-T', 'Upgrade', 'h2c', 'Proxy-Authorization', 'Basic x', 'Proxy-Connection', 'keep-alive', 'Transfer-Encoding', 'chunked', 'X-App', 'a', 'x-app', 'b'];
    expect(endToEnd(raw)).toEqual(['Host', 'h', 'X-App', 'a', 'x-app', 'b']);
  });
});

describe('headers sent upstream', () => {
  const client = { address: '192.0.2.7', proto: 'https' as const, port: 443 };

  it('appends the client to X-Forwarded-For and sets Proto/Host/Port, replacing what the client sent', () => {
    const raw = ['Host', 'shop.test', 'X-Forwarded-For', '203.0.113.1', 'X-Forwarded-Proto', 'gopher', 'X-Forwarded-Host', 'evil.test', 'Expect', '100-continue', 'Content-Length', '3'];
    expect(upstreamHeaders(raw, client, '10.244.0.5:8080')).toEqual([
      'Host', 'shop.test', 'Content-Length', '3',
      'X-Forwarded-For', '203.0.113.1, 192.0.2.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'shop.test', 'X-Forwarded-Port', '443',
    ]);
  });

  it('a chunked body stays chunked; a Host-less HTTP/1.0 request gets the endpoint as Host', () => {
    expect(upstreamHeaders(['Transfer-Encoding', 'chunked'], client, '10.244.0.5:8080')).toEqual([
      'Host', '10.244.0.5:8080', 'X-Forwarded-For', '192.0.2.7', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', '10.244.0.5:8080', 'X-Forwarded-Port', '443', 'Transfer-Encoding', 'chunked',
    ]);
  });

  it('an upgrade keeps the protocol it asks for', () => {
    const out = upstreamHeaders(['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], client, 'e', 'websocket');
    expect(out.slice(-4)).toEqual(['Connection', 'upgrade', 'Upgrade', 'websocket']);
    expect(out).toContain('Sec-WebSocket-Key');
  });

  it('IPv4-mapped client addresses are written as IPv4', () => {
    expect(clientAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});
