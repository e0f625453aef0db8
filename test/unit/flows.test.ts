// podnet flows: nft monitor trace lines -> connection verdicts -> flow records with pods and the
// deciding policy (engine attribution), one report per connection; /metrics text.
import { describe, expect, it } from 'vitest';
import { attributeFlow, Deduper, flowKeys, NodeFlowReader } from '../../src/flows/attribute.js';
import { formatFlowText, parseFlowLines } from '../../src/flows/format.js';
import { packetFields, TraceParser, type FlowEvent } from '../../src/flows/parse.js';
import { countTables } from '../../src/metrics/collect.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { config, OBJECTS, rawObjects, world } from './trace-fixture.js';
import { offlineWorld } from '../../src/trace/world.js';

const W = world();
const ip = (name: string) => W.cluster.pods.find((p) => p.name === name)!.ip;

const pkt = (id: string, src: string, dst: string, l4 = 'tcp sport 40000 tcp dport 8080 tcp flags == syn') =>
  `trace id ${id} ip podnet-policy forward packet: iif "pv0a1b2c3d4e" oif "eth0" ether saddr 02:00:00:00:00:01 ip saddr ${src} ip daddr ${dst} ip dscp cs0 ip ecn not-ect ip ttl 63 ip id 1 ip length 60 ${l4} tcp window 64240 `;

describe('TraceParser', () => {
  it('an egress reject is a denied connection, direction egress', () => {
    const p = new TraceParser('podnet-policy');
    expect(p.feed(pkt('aa01', '10.244.0.5', '10.244.1.3'))).toBeNull();
    expect(p.feed('trace id aa01 ip podnet-policy forward rule meta nftrace set 1 (verdict continue)')).toBeNull();
    expect(p.feed('trace id aa01 ip podnet-policy forward rule ip saddr vmap @egress-pods (verdict jump egr-10.244.0.5)')).toBeNull();
    expect(p.feed('trace id aa01 ip podnet-policy egr-10.244.0.5 rule counter packets 0 bytes 0 reject with icmp admin-prohibited (verdict drop)')).toEqual({
      src: '10.244.0.5', dst: '10.244.1.3', protocol: 'TCP', sport: 40000, dport: 8080, verdict: 'denied', direction: 'egress', chain: 'egr-10.244.0.5',
    });
  });

  it('an ingress set match and the chain policy are allowed connections', () => {
    const p = new TraceParser('podnet-policy');
    p.feed(pkt('b1', '10.244.0.5', '10.244.1.3'));
    expect(p.feed('trace id b1 ip podnet-policy ing-10.244.1.3 rule ip saddr . meta l4proto . th dport @ing-10.244.1.3 accept (verdict accept)')).toMatchObject({ verdict: 'allowed', chain: 'ing-10.244.1.3' });
    p.feed(pkt('b2', '10.244.0.5', '10.244.1.4', 'udp sport 5000 udp dport 53 udp length 40'));
    expect(p.feed('trace id b2 ip podnet-policy forward policy accept ')).toMatchObject({ verdict: 'allowed', protocol: 'UDP', dport: 53, chain: 'forward' });
  });

  it('ignores other tables, unknown ids and continuing verdicts', () => {
    const p = new TraceParser('podnet-policy');
    p.feed(pkt('c1', '10.244.0.5', '10.244.1.3').replace('podnet-policy', 'podnet'));
    expect(p.feed('trace id c1 ip podnet-policy forward policy accept')).toBeNull();
    expect(p.feed('trace id c1 ip podnet nat-postrouting policy accept')).toBeNull();
    expect(p.feed('garbage')).toBeNull();
  });

  it('reads ICMP packets without ports', () => {
    expect(packetFields('packet: ip saddr 10.0.0.1 ip daddr 10.0.0.2 ip protocol icmp icmp type echo-request ')).toMatchObject({ protocol: 'ICMP', dport: null });
  });
});

describe('attributeFlow', () => {
  const ev = (e: Partial<FlowEvent>): FlowEvent => ({ src: ip('client'), dst: ip('db'), protocol: 'TCP', sport: 1, dport: 5432, verdict: 'denied', direction: 'ingress', chain: `ing-${ip('db')}`, ...e });
  const at = new Date('2026-01-02T03:04:05Z');

  it('a denial names the pods and the policy isolating the refusing side', () => {
    expect(attributeFlow(W.cluster, 'node-2', ev({}), at)).toEqual({
      time: '2026-01-02T03:04:05.000Z', node: 'node-2', src: { ip: ip('client'), pod: 'default/client' }, dst: { ip: ip('db'), pod: 'default/db' },
      protocol: 'TCP', port: 5432, verdict: 'denied', direction: 'ingress', policies: ['default/db-from-api'],
    });
    expect(attributeFlow(W.cluster, 'node-1', ev({ src: ip('locked'), dst: ip('web-a'), dport: 8080, direction: 'egress' }), at)!.policies).toEqual(['default/locked-egress']);
  });

  it('with cluster policies: the deciding rule and its tier (Admin Deny over NetworkPolicy, Admin Accept, Baseline, default)', () => {
    const cnp = (name: string, tier: string, priority: number, ingress: unknown[]) => ({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name }, spec: { tier, priority, subject: { namespaces: {} }, ingress } });
    const T = offlineWorld(config(), rawObjects([
      ...OBJECTS,
      // web-b refuses the client on 8080 though web-open allows it; db lets the client in though db-from-api does not.
      cnp('deny-client', 'Admin', 5, [{ action: 'Deny', from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } } }], protocols: [{ tcp: { destinationPort: { number: 8080 } } }] }]),
      cnp('accept-db', 'Admin', 6, [{ action: 'Accept', from: [{ namespaces: {} }], protocols: [{ tcp: { destinationPort: { number: 5432 } } }] }]),
      cnp('base-deny', 'Baseline', 1, [{ name: 'no-9000', action: 'Deny', from: [{ namespaces: {} }], protocols: [{ tcp: { destinationPort: { number: 9000 } } }] }]),
    ]));
    const tip = (name: string) => T.cluster.pods.find((p) => p.name === name)!.ip;
    const denied = attributeFlow(T.cluster, 'node-2', ev({ src: tip('client'), dst: tip('web-b'), dport: 8080 }), at)!;
    expect(denied.policies).toEqual(['clusternetworkpolicy deny-client spec.ingress[0] (Admin, priority 5): Deny']);
    expect(denied.deciders).toEqual([{ direction: 'ingress', tier: 'Admin', policy: 'clusternetworkpolicy/deny-client' }]);
    expect(flowKeys(denied)).toEqual(['denied\tAdmin\tclusternetworkpolicy/deny-client']);
    const accepted = attributeFlow(T.cluster, 'node-2', ev({ src: tip('client'), dst: tip('db'), dport: 5432, verdict: 'allowed', direction: undefined }), at)!;
    expect(accepted.deciders).toEqual([{ direction: 'ingress', tier: 'Admin', policy: 'clusternetworkpolicy/accept-db' }]);
    // locked is not isolated on ingress by any NetworkPolicy: the Baseline tier decides port 9000.
    const base = attributeFlow(T.cluster, 'node-1', ev({ src: tip('web-a'), dst: tip('locked'), dport: 9000 }), at)!;
    expect(base.deciders).toEqual([{ direction: 'ingress', tier: 'Baseline', policy: 'clusternetworkpolicy/base-deny' }]);
    const byDefault = attributeFlow(T.cluster, 'node-1', ev({ src: tip('web-a'), dst: tip('locked'), dport: 7000, verdict: 'allowed', direction: undefined }), at)!;
    expect(byDefault.deciders).toEqual([{ direction: 'ingress', tier: 'default', policy: '' }]);
    expect(flowKeys(byDefault)).toEqual(['allowed\tdefault\t']);
  });

  it('an allowed connection names the allowing rules, reported once, by the destination\'s node', () => {
    const allowed = ev({ dst: ip('web-b'), dport: 8080, verdict: 'allowed', direction: undefined, chain: 'forward' });
    expect(attributeFlow(W.cluster, 'node-1', allowed, at)).toBeNull();
    expect(attributeFlow(W.cluster, 'node-2', allowed, at)!.policies).toEqual(['default/web-open spec.ingress[0]']);
    const open = ev({ src: ip('web-a'), dst: ip('client'), dport: 8080, verdict: 'allowed', direction: undefined });
    expect(attributeFlow(W.cluster, 'node-1', open, at)!.policies).toEqual([]);
  });

  it('to an address outside the pods: reported by the source\'s node', () => {
    const out = ev({ dst: '192.0.2.1', dport: 443, verdict: 'allowed', direction: undefined });
    expect(attributeFlow(W.cluster, 'node-2', out, at)).toBeNull();
    expect(attributeFlow(W.cluster, 'node-1', out, at)!.dst).toEqual({ ip: '192.0.2.1', pod: null });
  });

  it('folds retransmissions of one connection, not new connections', () => {
    const d = new Deduper(3000);
    const e = ev({});
    expect(d.fresh(e, 0)).toBe(true);
    expect(d.fresh(e, 1000)).toBe(false);
    expect(d.fresh({ ...e, sport: 2 }, 1000)).toBe(true);
    expect(d.fresh(e, 9000)).toBe(true);
  });

  it('a cross-node connection seen by both nodes is reported once, by the destination\'s, in either order', () => {
    const lines = (id: string) => [pkt(id, ip('client'), ip('web-b')), `trace id ${id} ip podnet-policy forward policy accept`];
    for (const order of [['node-1', 'node-2'], ['node-2', 'node-1']]) {
      const readers = new Map(order.map((n) => [n, new NodeFlowReader(n, 'podnet-policy')]));
      const out = order.flatMap((n) => lines(n === 'node-1' ? 'a1' : 'b2').map((l) => readers.get(n)!.feed(l, () => W.cluster, at))).filter((f) => f !== null);
      expect(out.map((f) => [f!.node, f!.dst.pod])).toEqual([['node-2', 'default/web-b']]);
    }
    // A retransmission on the same node is folded.
    const r = new NodeFlowReader('node-2', 'podnet-policy');
    const twice = [...lines('c1'), ...lines('c2')].map((l) => r.feed(l, () => W.cluster, at)).filter((f) => f !== null);
    expect(twice).toHaveLength(1);
  });

  it('formats text and reads JSON lines back, skipping torn ones', () => {
    const f = attributeFlow(W.cluster, 'node-2', ev({}), at)!;
    expect(formatFlowText(f)).toBe(`2026-01-02T03:04:05.000Z node-2 default/client -> default/db TCP/5432 DENIED by ingress (isolated by default/db-from-api)`);
    expect(parseFlowLines(`${JSON.stringify(f)}\n{"torn`)).toEqual([f]);
  });
});

describe('metrics', () => {
  it('counts rules, elements and per-pod reject counters from the table listing, attributed to policies', () => {
    const db = ip('db');
    const listing = {
      chains: { forward: 1, [`ing-${db}`]: 2 },
      sets: { [`ing-${db}`]: ['a', 'b', 'c'], 'ingress-pods': ['d'] },
      counters: { [`ing-${db}`]: 7 },
    };
    const { counts, drops } = countTables('node-2', { 'podnet-policy': listing }, W.cluster);
    expect(counts).toEqual([{ node: 'node-2', table: 'podnet-policy', rules: 3, elements: 4 }]);
    expect(drops).toEqual([{ node: 'node-2', pod: 'default/db', direction: 'ingress', packets: 7, policies: ['default/db-from-api'] }]);
    const text = renderMetrics({
      lab: 'x',
      sync: { at: '2026-01-02T03:04:05Z', count: 2, servicesMs: 12, services: 3, endpoints: 4, policyCompileMs: 1.5, policyApplyMs: 20, isolatedPods: 2, policyElements: 9 },
      endpoints: { ready: ['default/a', 'default/b'], terminal: ['default/c'], at: '2026-01-02T03:04:06Z', syncs: 5, by: 'controller' },
      tables: counts,
      drops,
      flows: new Map(flowKeys({ verdict: 'denied', policies: ['default/db-from-api'] }).map((k) => [k, 1])),
    });
    expect(text).toContain('podnet_endpoint_syncs_total{lab="x"} 5\n');
    expect(text).toContain('podnet_endpoint_pods{lab="x",condition="ready"} 2\n');
    expect(text).toContain('podnet_endpoint_pods{lab="x",condition="terminal"} 1\n');
    expect(text).toContain(`podnet_endpoint_last_sync_timestamp_seconds{lab="x",by="controller"} ${Date.parse('2026-01-02T03:04:06Z') / 1000}\n`);
    expect(text).toContain('podnet_sync_duration_seconds{lab="x",part="services"} 0.012\n');
    expect(text).toContain('podnet_nft_rules{lab="x",node="node-2",table="podnet-policy"} 3\n');
    expect(text).toContain('podnet_policy_drops_total{lab="x",policy="default/db-from-api",direction="ingress"} 7\n');
    expect(text).toContain('podnet_flows_total{lab="x",verdict="denied",tier="NetworkPolicy",policy="default/db-from-api"} 1\n');
    expect(text).toMatch(/# TYPE podnet_policy_drops_total counter\n/);
  });
});
