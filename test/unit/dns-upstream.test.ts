import { describe, expect, it } from 'vitest';
import { formatUpstream, parseUpstreamSpec, resolvConfNameservers, upstreamsFor } from '../../src/model/dns-upstream.js';
import { defaultNodeCidr, validateLabConfig, type LabConfig } from '../../src/model/lab.js';

describe('--dns-upstream', () => {
  it.each([
    ['host', { kind: 'host' }],
    ['none', { kind: 'none' }],
    [' none ', { kind: 'none' }],
    ['192.0.2.1', { kind: 'list', upstreams: [{ address: '192.0.2.1', port: 53 }] }],
    ['127.0.0.1:5353', { kind: 'list', upstreams: [{ address: '127.0.0.1', port: 5353 }] }],
    ['127.0.0.1:5353, 192.0.2.1', { kind: 'list', upstreams: [{ address: '127.0.0.1', port: 5353 }, { address: '192.0.2.1', port: 53 }] }],
    ['::1', { kind: 'list', upstreams: [{ address: '::1', port: 53 }] }],
    ['2001:db8::53', { kind: 'list', upstreams: [{ address: '2001:db8::53', port: 53 }] }],
    ['[::1]:5353', { kind: 'list', upstreams: [{ address: '::1', port: 5353 }] }],
    ['[fe80::1%eth0]', { kind: 'list', upstreams: [{ address: 'fe80::1%eth0', port: 53 }] }],
  ])('%j', (text, want) => {
    expect(parseUpstreamSpec(text)).toEqual(want);
  });

  it.each([
    ['', /expected host, none or ADDR/],
    ['hots', /"hots" is not an IP address/],
    ['dns.example.com', /is not an IP address/],
    ['1.2.3', /"1.2.3" is not an IP address/],
    ['1.2.3.4,', /expected host, none or ADDR/],
    ['1.2.3.4:0', /"1.2.3.4:0": the port must be 1-65535/],
    ['1.2.3.4:65536', /the port must be 1-65535/],
    ['1.2.3.4:', /the port must be 1-65535/],
    ['1.2.3.4:53:53', /is not an IP address/],
    ['[::1]:x', /the port must be 1-65535/],
    ['[1.2.3]:53', /is not an IP address/],
    ['host,1.2.3.4', /"host" is not an IP address/],
    ['1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4', /at most 3 servers/],
  ])('%j is refused', (text, message) => {
    const r = parseUpstreamSpec(text);
    expect(r).toEqual({ error: expect.stringMatching(message) });
  });

  it('formats upstreams as they are written (IPv6 in brackets), and parses back', () => {
    for (const u of [{ address: '192.0.2.1', port: 53 }, { address: '::1', port: 5353 }]) {
      const text = formatUpstream(u);
      expect(parseUpstreamSpec(text)).toEqual({ kind: 'list', upstreams: [u] });
    }
    expect(formatUpstream({ address: '::1', port: 5353 })).toBe('[::1]:5353');
  });

  it('upstreamsFor: host reads the resolv.conf, none and lists do not', () => {
    let reads = 0;
    const read = () => (reads++, 'nameserver 192.0.2.9\n');
    expect(upstreamsFor({ kind: 'none' }, read)).toEqual([]);
    expect(upstreamsFor({ kind: 'list', upstreams: [{ address: '192.0.2.1', port: 53 }] }, read)).toEqual([{ address: '192.0.2.1', port: 53 }]);
    expect(reads).toBe(0);
    expect(upstreamsFor({ kind: 'host' }, read)).toEqual([{ address: '192.0.2.9', port: 53 }]);
    expect(reads).toBe(1);
  });
});

describe('resolvConfNameservers', () => {
  it.each([
    ['one', 'nameserver 192.0.2.1\n', ['192.0.2.1']],
    ['comments, options and search are not nameservers', '# nameserver 192.0.2.7\n; x\nsearch example.com\noptions ndots:2\nnameserver 192.0.2.1 # primary\n', ['192.0.2.1']],
    ['IPv6 and tabs', 'nameserver\t2001:db8::1\nnameserver ::1\n', ['2001:db8::1', '::1']],
    ['at most three (glibc MAXNS)', ['1', '2', '3', '4'].map((n) => `nameserver 192.0.2.${n}`).join('\n'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']],
    ['lines that are no address are skipped', 'nameserver\nnameserver dns.example.com\nnameservers 192.0.2.5\nnameserver 192.0.2.6\n', ['192.0.2.6']],
    ['none at all', 'search example.com\n', []],
    ['empty', '', []],
  ])('%s', (_name, text, want) => {
    expect(resolvConfNameservers(text)).toEqual(want.map((address) => ({ address, port: 53 })));
  });
});

describe('validateLabConfig: --dns-upstream', () => {
  const config = (extra: Partial<LabConfig>): LabConfig => ({ name: 'lab', nodes: 2, mode: 'routed', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12', nodeCidr: defaultNodeCidr('lab'), dns: true, ...extra });
  it.each([
    ['absent (host)', {}, []],
    ['host', { dnsUpstream: 'host' }, []],
    ['none', { dnsUpstream: 'none' }, []],
    ['a list', { dnsUpstream: '127.0.0.1:5353,192.0.2.1' }, []],
    ['not an address', { dnsUpstream: 'nope' }, ['--dns-upstream: "nope" is not an IP address (IPv4, IPv6; a port as ADDR:PORT or [IPv6]:PORT)']],
    ['a bad port', { dnsUpstream: '127.0.0.1:70000' }, ['--dns-upstream: "127.0.0.1:70000": the port must be 1-65535']],
    ['a Service address', { dnsUpstream: '127.0.0.1,10.96.0.10' }, ["--dns-upstream: 10.96.0.10 is inside the lab's --service-cidr 10.96.0.0/12: the forwarder runs on the host, which cannot reach it"]],
    ['a pod address', { dnsUpstream: '10.244.1.5:5353' }, ["--dns-upstream: 10.244.1.5 is inside the lab's --pod-cidr 10.244.0.0/16: the forwarder runs on the host, which cannot reach it"]],
    ['a node address (reachable from the host)', { dnsUpstream: '100.64.0.10' }, []],
    ['with --no-dns', { dns: undefined, dnsUpstream: 'none' }, ['--dns-upstream: cluster DNS is off (--no-dns): there is nothing to forward']],
  ])('%s', (_name, extra, want) => {
    expect(validateLabConfig(config(extra))).toEqual(want);
  });
});
