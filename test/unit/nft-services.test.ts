// Services on nftables: golden rulesets (regenerate deliberately: UPDATE_GOLDEN=1 npx vitest run
// test/unit/nft-services.test.ts), packet traces over the rendered model, conntrack (partial sync:
// nft-delta.test.ts).
import { describe, expect, it } from 'vitest';
import type { ServiceTable } from '../../src/model/service-table.js';
import { parseRule } from '../../src/proxy/nft-rule.js';
import { remember, traceRuleset, traceServices, type TracePacket } from '../../src/proxy/trace.js';
import { staleUdpConntrack } from '../../src/proxy/nft/conntrack.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { renderServices, renderServicesFull, type ServiceRenderOptions } from '../../src/proxy/nft/full.js';
import { changedTable, ep, NODE, OPTS, port, representativeTable, svc } from './nft-fixture.js';
import { golden } from '../support/golden.js';


const TRACE_NODE = { ...NODE, localIPs: ['10.244.0.1'] };
const loaded = (table: ServiceTable, opts: ServiceRenderOptions = OPTS) => {
  const rs = new Ruleset();
  rs.apply(renderServices(table, NODE, opts));
  return rs;
};

const P = (src: string, dst: string, dport: number, from: TracePacket['from'], protocol: TracePacket['protocol'] = 'TCP'): TracePacket => ({ src, dst, dport, from, protocol });

const WEB = '10.244.0.5:8080 | 10.244.1.5:8080 | 10.244.2.5:8080 (one of 3)';
const cases: [string, TracePacket, string][] = [
  ['ClusterIP from a pod: any ready endpoint, source kept', P('10.244.0.20', '10.96.0.10', 80, 'pod'), `DNAT ${WEB}`],
  ['ClusterIP from the node: masqueraded', P('100.64.0.2', '10.96.0.10', 80, 'node'), `DNAT ${WEB}, masquerade`],
  ['ClusterIP from outside: masqueraded', P('192.168.7.1', '10.96.0.10', 80, 'external'), `DNAT ${WEB}, masquerade`],
  ['hairpin: a pod reaching itself is masqueraded', P('10.244.0.5', '10.96.0.10', 80, 'pod'), 'DNAT 10.244.0.5:8080 (masquerade) | 10.244.1.5:8080 | 10.244.2.5:8080 (one of 3)'],
  ['a port the Service does not have', P('10.244.0.20', '10.96.0.10', 81, 'pod'), 'no service: pass'],
  ['NodePort from outside (eTP Cluster): masqueraded', P('192.168.7.1', '100.64.0.2', 30080, 'external'), 'DNAT 10.244.0.6:8080 | 10.244.1.7:8080 (one of 2), masquerade'],
  ['NodePort on the pod gateway address from a pod', P('10.244.0.20', '10.244.0.1', 30080, 'pod'), 'DNAT 10.244.0.6:8080 | 10.244.1.7:8080 (one of 2), masquerade'],
  ['NodePort on loopback: not a NodePort', P('127.0.0.1', '127.0.0.1', 30080, 'node'), 'no service: pass'],
  ['LoadBalancer eTP Local from outside: local endpoint, source kept', P('192.168.7.1', '192.0.2.10', 443, 'external'), 'DNAT 10.244.0.7:8443'],
  ['its NodePort from outside: the same', P('192.168.7.1', '100.64.0.2', 30443, 'external'), 'DNAT 10.244.0.7:8443'],
  ['its LoadBalancer IP from a pod: short-circuit to all endpoints', P('10.244.0.20', '192.0.2.10', 443, 'pod'), 'DNAT 10.244.0.7:8443 | 10.244.1.8:8443 (one of 2)'],
  ['its LoadBalancer IP from the node: all endpoints, masqueraded', P('100.64.0.2', '192.0.2.10', 443, 'node'), 'DNAT 10.244.0.7:8443 | 10.244.1.8:8443 (one of 2), masquerade'],
  ['its ClusterIP from a pod: all endpoints', P('10.244.0.20', '10.96.0.12', 443, 'pod'), 'DNAT 10.244.0.7:8443 | 10.244.1.8:8443 (one of 2)'],
  ['eTP Local without a local endpoint, from outside: dropped', P('192.168.7.1', '192.0.2.11', 80, 'external'), 'DROP (no local endpoint)'],
  ['the same on its NodePort', P('192.168.7.1', '100.64.0.2', 30081, 'external'), 'DROP (no local endpoint)'],
  ['the same from a pod: short-circuit to the remote endpoint', P('10.244.0.20', '192.0.2.11', 80, 'pod'), 'DNAT 10.244.1.9:8080'],
  ['its NodePort from the node: dropped (filter output runs before DNAT)', P('100.64.0.2', '100.64.0.2', 30081, 'node'), 'DROP (no local endpoint)'],
  ['no endpoints, TCP from a pod: rejected', P('10.244.0.20', '10.96.0.15', 80, 'pod'), 'REJECT (no endpoints)'],
  ['no endpoints, from the node: rejected', P('100.64.0.2', '10.96.0.15', 80, 'node'), 'REJECT (no endpoints)'],
  ['no endpoints, its NodePort from outside: rejected', P('192.168.7.1', '100.64.0.2', 30082, 'external'), 'REJECT (no endpoints)'],
  ['no endpoints, UDP: rejected', P('10.244.0.20', '10.96.0.17', 514, 'pod', 'UDP'), 'REJECT (no endpoints)'],
  ['UDP DNS', P('10.244.0.20', '10.96.0.53', 53, 'pod', 'UDP'), 'DNAT 10.244.0.2:53 | 10.244.1.2:53 (one of 2)'],
  ['TCP DNS on the same address', P('10.244.0.20', '10.96.0.53', 53, 'pod'), 'DNAT 10.244.0.2:53 | 10.244.1.2:53 (one of 2)'],
  ['iTP Local without a local endpoint: dropped', P('10.244.0.20', '10.96.0.16', 80, 'pod'), 'DROP (no local endpoint)'],
  ['only terminating endpoints: the serving ones are used', P('10.244.0.20', '10.96.0.18', 80, 'pod'), 'DNAT 10.244.2.11:8080'],
  ['a headless Service has no VIP: straight to the pod', P('10.244.0.20', '10.244.0.9', 80, 'pod'), 'no service: pass'],
];
describe('renderServices', () => {
  it('renders the full ruleset of a representative table (golden)', () => {
    golden('nft-services.txt', renderServices(representativeTable(), NODE, OPTS).toLines());
    // The script nft -f loads: the same transaction in block syntax, elements batched.
    golden('nft-services.nft', renderServices(representativeTable(), NODE, OPTS).toString());
  });

  it('renders nothing per Service for headless and ExternalName Services', () => {
    const text = renderServices(representativeTable(), NODE, OPTS).toString();
    expect(text).not.toContain('headless');
    expect(text).not.toContain('ext-name');
  });

  it('does not depend on the order of the table', () => {
    const t = representativeTable();
    const reversed = { services: [...t.services].reverse() };
    expect(renderServices(reversed, NODE, OPTS).toString()).toBe(renderServices(t, NODE, OPTS).toString());
  });

  it('renders ClientIP affinity Services with per-service chains, every other one with shared chains', () => {
    const text = renderServices(representativeTable(), NODE, OPTS).toLines();
    expect(text.match(/add chain ip podnet (svc|svl|ext|sep)-\S+/g)?.every((c) => c.includes('default/sticky/'))).toBe(true);
    expect(text).toContain('add element ip podnet clusterip-chains { 10.96.0.14 . tcp . 80 : goto svc-');
    expect(text).toContain('add element ip podnet service-ips { 10.96.0.14 . tcp . 80 : goto clusterip-chain }');
  });

  it('renders the per-service rule cascade for every Service when asked, with the same verdicts', () => {
    const rules = { ...OPTS, loadBalancing: 'rules' as const };
    expect(renderServices(representativeTable(), NODE, rules).toLines()).toMatch(/svc-\S+default\/web\/tcp\/http numgen random mod 3 == 0 goto sep-/);
    for (const [, packet] of cases) expect(traceServices(representativeTable(), TRACE_NODE, rules, packet).text).toBe(traceServices(representativeTable(), TRACE_NODE, OPTS, packet).text);
  });

  it("renders kube-proxy's numgen vmap when asked", () => {
    const text = renderServices(representativeTable(), NODE, { ...OPTS, loadBalancing: 'vmap' }).toLines();
    expect(text).toMatch(/svc-\S+default\/web\/tcp\/http numgen random mod 3 vmap \{ 0 : goto sep-\S+10\.244\.0\.5\/8080, 1 : goto sep-\S+, 2 : goto sep-\S+ \}/);
    const rs = loaded(representativeTable(), { ...OPTS, loadBalancing: 'vmap' });
    expect(traceRuleset(rs, 'podnet', TRACE_NODE, { src: '10.244.0.20', dst: '10.96.0.10', protocol: 'TCP', dport: 80, from: 'pod' }).destinations).toHaveLength(3);
  });

  it('renderServicesFull replaces whatever table exists, in one transaction', () => {
    const rs = loaded(representativeTable());
    rs.apply(renderServicesFull(changedTable(), NODE, OPTS));
    expect(rs.dump()).toBe(loaded(changedTable()).dump());
    expect(renderServicesFull(changedTable(), NODE, OPTS).toString()).toMatch(/^add table ip podnet\ndelete table ip podnet\nadd table ip podnet /);
  });
});

describe('tracer over the rendered ruleset (node-1: 100.64.0.2, pod gateway 10.244.0.1)', () => {
  it.each(cases)('%s', (_name, packet, want) => {
    expect(traceServices(representativeTable(), TRACE_NODE, OPTS, packet).text).toBe(want);
  });

  it('gives the same verdicts when the service CIDR is routed local (as in a lab node)', () => {
    const labNode = { ...NODE, localIPs: ['10.244.0.1', '10.96.0.0/12'] };
    const t = representativeTable();
    for (const [packet, want] of [
      [P('10.244.0.20', '10.96.0.15', 80, 'pod'), 'REJECT (no endpoints)'],
      [P('192.168.7.1', '10.96.0.15', 80, 'external'), 'REJECT (no endpoints)'],
      [P('10.244.0.20', '10.96.0.16', 80, 'pod'), 'DROP (no local endpoint)'],
      [P('10.244.0.20', '10.96.0.10', 80, 'pod'), 'DNAT 10.244.0.5:8080 | 10.244.1.5:8080 | 10.244.2.5:8080 (one of 3)'],
    ] as const) {
      expect(traceServices(t, labNode, OPTS, packet).text).toBe(want);
    }
  });

  it('parses the map DNAT of both key shapes, and refuses what it does not model', () => {
    expect(parseRule('numgen random mod 3 == 0 dnat ip to ip daddr . meta l4proto . th dport map @service-endpoints-0')).toEqual([
      { kind: 'numgen', mod: 3, value: 0 },
      { kind: 'dnat-map', key: 'daddr.proto.dport', map: 'service-endpoints-0' },
    ]);
    expect(parseRule('dnat ip to meta l4proto . th dport map @nodeport-endpoints-1')).toEqual([{ kind: 'dnat-map', key: 'proto.dport', map: 'nodeport-endpoints-1' }]);
    expect(() => parseRule('dnat ip to ip daddr . meta l4proto . th dport . numgen random mod 2 map @m')).toThrow(/tracer: unsupported rule/);
  });

  it('a map DNAT without an element for the key does not match (the rule breaks, the walk goes on)', () => {
    const rs = loaded(representativeTable());
    rs.table('ip', 'podnet')!.sets.get('service-endpoints-1')!.elements.delete('10.96.0.11 . tcp . 80'); // shop: 2 endpoints
    const r = traceRuleset(rs, 'podnet', TRACE_NODE, P('10.244.0.20', '10.96.0.11', 80, 'pod'));
    expect(r.text).toBe('MIXED: DNAT, PASS');
    expect(r.destinations).toEqual(['10.244.0.6:8080']);
  });

  it('rejects TCP with a reset and UDP with ICMP port unreachable', () => {
    const t = representativeTable();
    expect(traceServices(t, TRACE_NODE, OPTS, P('10.244.0.20', '10.96.0.15', 80, 'pod')).outcomes[0].reject).toBe('tcp-reset');
    expect(traceServices(t, TRACE_NODE, OPTS, P('10.244.0.20', '10.96.0.17', 514, 'pod', 'UDP')).outcomes[0].reject).toBe('icmp-port-unreachable');
  });

  it('ClientIP affinity: after the first connection, the same client sticks to its endpoint', () => {
    const rs = loaded(representativeTable());
    const first = traceRuleset(rs, 'podnet', TRACE_NODE, P('10.244.0.20', '10.96.0.14', 80, 'pod'));
    expect(first.destinations).toEqual(['10.244.0.8:8080', '10.244.2.8:8080']);
    const chosen = first.outcomes.find((o) => o.dnat === '10.244.2.8:8080')!;
    expect(chosen.updates).toHaveLength(1);
    remember(rs, 'podnet', chosen);
    expect(traceRuleset(rs, 'podnet', TRACE_NODE, P('10.244.0.20', '10.96.0.14', 80, 'pod')).text).toBe('DNAT 10.244.2.8:8080');
    expect(traceRuleset(rs, 'podnet', TRACE_NODE, P('10.244.0.21', '10.96.0.14', 80, 'pod')).destinations).toHaveLength(2);
  });
});

describe('staleUdpConntrack', () => {
  it('flushes entries of removed UDP endpoints and of ports that gain endpoints', () => {
    const t = representativeTable();
    const next = structuredClone(t);
    next.services[8].ports[0].endpoints = next.services[8].ports[0].endpoints.filter((e) => e.ip !== '10.244.1.2'); // kube-dns UDP
    next.services[8].ports[1].endpoints = []; // kube-dns TCP: not UDP, nothing to do
    next.services[9].ports[0].endpoints = [ep('10.244.0.14', 'node-1', 514)]; // syslog gains one
    expect(staleUdpConntrack(t, next, NODE).map((f) => f.argv.join(' '))).toEqual([
      'conntrack -D -p udp --orig-dst 10.96.0.53 --dport 53 --reply-src 10.244.1.2',
      'conntrack -D -p udp --orig-dst 10.96.0.17 --dport 514',
    ]);
  });

  it('flushes every endpoint of a deleted UDP Service, on its NodePort too', () => {
    const t = { services: [svc('a/u', '10.96.1.1', [port(53, [ep('10.244.0.3', 'node-1', 53)], { protocol: 'UDP', nodePort: 30053 })], { type: 'NodePort' })] };
    expect(staleUdpConntrack(t, { services: [] }, NODE).map((f) => f.argv.join(' '))).toEqual([
      'conntrack -D -p udp --orig-dst 10.96.1.1 --dport 53 --reply-src 10.244.0.3',
      'conntrack -D -p udp --dport 30053 --reply-src 10.244.0.3',
    ]);
  });
});
