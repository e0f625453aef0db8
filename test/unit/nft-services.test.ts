// Services on nftables: golden rulesets (regenerate deliberately: UPDATE_GOLDEN=1 npx vitest run
// test/unit/nft-services.test.ts), packet traces over the rendered model, partial sync, conntrack.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceEntry, ServiceTable } from '../../src/model/service-table.js';
import { remember, traceRuleset, traceServices, type TracePacket } from '../../src/proxy/trace.js';
import { staleUdpConntrack } from '../../src/render/nft/conntrack.js';
import { renderServicesDelta } from '../../src/render/nft/delta.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { renderServices, renderServicesFull, type ServiceRenderOptions } from '../../src/render/nft/services.js';
import { changedTable, ep, manyServices, NODE, OPTS, port, representativeTable, svc } from './nft-fixture.js';

const GOLDEN = join(__dirname, '..', 'golden');
function golden(name: string, text: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

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

describe('renderServicesDelta', () => {
  it('renders only what changed (golden)', () => {
    golden('nft-services-delta.txt', renderServicesDelta(representativeTable(), changedTable(), NODE, OPTS).toLines());
  });

  it('full(prev) + delta = full(next), and back', () => {
    for (const [a, b] of [
      [representativeTable(), changedTable()],
      [changedTable(), representativeTable()],
      [{ services: [] }, representativeTable()],
      [representativeTable(), { services: [] }],
    ] as [ServiceTable, ServiceTable][]) {
      const rs = loaded(a);
      rs.apply(renderServicesDelta(a, b, NODE, OPTS));
      expect(rs.dump()).toBe(loaded(b).dump());
    }
  });

  it('full(a) + delta(a, b) = full(b) on random tables (addresses reused across Services)', () => {
    fc.assert(
      fc.property(tableArb, tableArb, (a, b) => {
        const rs = loaded(a);
        rs.apply(renderServicesDelta(a, b, NODE, OPTS));
        expect(rs.dump()).toBe(loaded(b).dump());
      }),
      { numRuns: 300, seed: 4 },
    );
  });

  it('is empty when nothing changed', () => {
    expect(renderServicesDelta(representativeTable(), representativeTable(), NODE, OPTS).size).toBe(0);
  });

  it('one more Service on top of 10,000 is a tiny transaction: map elements only', () => {
    const prev = manyServices(10_000);
    const eps = [ep('10.99.0.1', 'node-1'), ep('10.99.0.2', 'node-2'), ep('10.99.0.3', 'node-3')];
    const next = { services: [...prev.services, svc('zz/new', '10.97.0.1', [port(80, eps)])] };
    const tx = renderServicesDelta(prev, next, NODE, OPTS);
    expect(tx.toString()).toBe(
      [
        'add element ip podnet service-endpoints-0 { 10.97.0.1 . tcp . 80 : 10.99.0.1 . 8080 }',
        'add element ip podnet service-endpoints-1 { 10.97.0.1 . tcp . 80 : 10.99.0.2 . 8080 }',
        'add element ip podnet service-endpoints-2 { 10.97.0.1 . tcp . 80 : 10.99.0.3 . 8080 }',
        'add element ip podnet hairpin-endpoints { 10.99.0.1 . 10.99.0.1, 10.99.0.2 . 10.99.0.2, 10.99.0.3 . 10.99.0.3 }',
        'add element ip podnet service-ips { 10.97.0.1 . tcp . 80 : goto clusterip-3 }\n',
      ].join('\n'),
    );
    // A new endpoint count brings its shared chains along; removing the Service takes them away.
    const two = { services: [...prev.services, svc('zz/new', '10.97.0.1', [port(80, eps.slice(0, 2))])] };
    expect(renderServicesDelta(prev, two, NODE, OPTS).toString()).toMatch(/^table ip podnet \{\nchain pick-2 \{\n(.+\n){3}chain clusterip-2 \{\n/);
    expect(renderServicesDelta(two, prev, NODE, OPTS).toString()).toContain('delete chain ip podnet pick-2\ndelete chain ip podnet clusterip-2\n');
    const rs = loaded(prev);
    rs.apply(renderServicesDelta(prev, two, NODE, OPTS));
    expect(rs.table('ip', 'podnet')!.chains.has('clusterip-2')).toBe(true);
  });

  it('keeps a hairpin pair while another Service still has the endpoint, deletes it once with the last', () => {
    const a = svc('default/a', '10.96.1.1', [port(80, [ep('10.244.0.50', 'node-1')])]);
    const b = svc('default/b', '10.96.1.2', [port(80, [ep('10.244.0.50', 'node-1')]), port(81, [ep('10.244.0.50', 'node-1')])]);
    const pair = 'hairpin-endpoints { 10.244.0.50 . 10.244.0.50 }';
    const both = { services: [a, b] };
    expect(renderServices(both, NODE, OPTS).toLines().split(pair).length - 1).toBe(1);
    const onlyB = renderServicesDelta(both, { services: [b] }, NODE, OPTS).toLines();
    expect(onlyB).not.toContain('hairpin');
    const none = renderServicesDelta(both, { services: [] }, NODE, OPTS).toLines();
    expect(none.split(pair).length - 1).toBe(1);
    const rs = loaded(both);
    rs.apply(renderServicesDelta(both, { services: [b] }, NODE, OPTS));
    expect(rs.dump()).toBe(loaded({ services: [b] }).dump());
  });

  it('keeps an endpoint change inside its Service: its elements (endpoints are indexed in address order)', () => {
    const t = representativeTable();
    const next = structuredClone(t);
    next.services[0].ports[0].endpoints.pop(); // the not-ready endpoint: nothing to render
    expect(renderServicesDelta(t, next, NODE, OPTS).size).toBe(0);
    next.services[0].ports[0].endpoints.shift(); // 10.244.1.5 (index 1 of 3) goes
    expect(renderServicesDelta(t, next, NODE, OPTS).toString().split('\n')).toEqual([
      'delete element ip podnet service-endpoints-1 { 10.96.0.10 . tcp . 80 }',
      'delete element ip podnet service-endpoints-2 { 10.96.0.10 . tcp . 80 }',
      'delete element ip podnet service-ips { 10.96.0.10 . tcp . 80 }',
      // Only the endpoint's hairpin pair goes (no other Service uses it).
      'delete element ip podnet hairpin-endpoints { 10.244.1.5 . 10.244.1.5 }',
      // web was the only Service with 3 endpoints: its shared chains and map 2 go; others have 2.
      'flush chain ip podnet pick-3',
      'flush chain ip podnet clusterip-3',
      'delete map ip podnet service-endpoints-2',
      'delete chain ip podnet pick-3',
      'delete chain ip podnet clusterip-3',
      'add element ip podnet service-endpoints-1 { 10.96.0.10 . tcp . 80 : 10.244.2.5 . 8080 }',
      'add element ip podnet service-ips { 10.96.0.10 . tcp . 80 : goto clusterip-2 }',
      '',
    ]);
  });
});

/** Up to 4 Services over shared pools: every field the renderer reads varies; ClusterIPs, LB IPs
 *  and node ports are unique within a table but move between Services from one table to the next. */
const endpointArb = fc.record({
  ip: fc.constantFrom('10.244.0.5', '10.244.0.6', '10.244.1.5', '10.244.1.6'),
  port: fc.constantFrom(8080, 53),
  node: fc.constantFrom('node-1', 'node-2'),
  ready: fc.boolean(),
  serving: fc.boolean(),
  terminating: fc.boolean(),
});
const serviceArb = fc.record({
  type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
  headless: fc.boolean(),
  ports: fc.subarray([port(80, [], { name: 'http' }), port(53, [], { name: 'dns', protocol: 'UDP' })], { minLength: 1 }),
  endpoints: fc.array(endpointArb, { maxLength: 4 }),
  sessionAffinity: fc.constantFrom('None', 'ClientIP'),
  affinityTimeoutSeconds: fc.constantFrom(60, 120),
  externalTrafficPolicy: fc.constantFrom('Cluster', 'Local'),
  internalTrafficPolicy: fc.constantFrom('Cluster', 'Local'),
});
const tableArb = fc
  .tuple(fc.subarray(['a/one', 'a/two', 'b/three', 'b/four']), fc.array(serviceArb, { minLength: 4, maxLength: 4 }), fc.shuffledSubarray([1, 2, 3, 4, 5, 6], { minLength: 6 }))
  .map(([keys, specs, slots]): ServiceTable => ({
    services: keys.map((key, i): ServiceEntry => {
      const s = specs[i];
      const ports = s.ports.map((p, j) => ({ ...p, endpoints: s.endpoints, nodePort: 30000 + slots[i] * 2 + j }));
      return svc(key, s.headless ? undefined : `10.96.0.${slots[i]}`, ports, {
        type: s.type,
        loadBalancerIP: `192.0.2.${slots[i]}`,
        sessionAffinity: s.sessionAffinity,
        affinityTimeoutSeconds: s.affinityTimeoutSeconds,
        externalTrafficPolicy: s.externalTrafficPolicy,
        internalTrafficPolicy: s.internalTrafficPolicy,
      });
    }),
  }));

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
