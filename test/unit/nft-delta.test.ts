// Partial sync of the Services ruleset: golden delta (regenerate deliberately: UPDATE_GOLDEN=1
// npx vitest run test/unit/nft-delta.test.ts), full(prev) + delta = full(next) on fixed and random
// tables, shared maps and chains kept while any Service uses them, hairpin pairs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServiceEntry, ServiceTable } from '../../src/model/service-table.js';
import { renderServicesDelta } from '../../src/proxy/nft/delta.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { renderServiceFragment, sharedIds } from '../../src/proxy/nft/rules.js';
import { renderServices } from '../../src/proxy/nft/full.js';
import { changedTable, ep, manyServices, NODE, OPTS, port, representativeTable, svc } from './nft-fixture.js';
import { golden } from '../support/golden.js';


const loaded = (table: ServiceTable) => {
  const rs = new Ruleset();
  rs.apply(renderServices(table, NODE, OPTS));
  return rs;
};

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

  it('sharedIds names exactly the shared maps and chains of the fragment (random tables)', () => {
    fc.assert(
      fc.property(tableArb, (t) => {
        for (const s of t.services) {
          const f = renderServiceFragment(s, NODE, OPTS);
          const ids = [...f.sharedMaps.map((m) => `map ${m.name}`), ...f.sharedChains.map((c) => `chain ${c.name}`)];
          expect(new Set(sharedIds(s, NODE, OPTS))).toEqual(new Set(ids));
        }
      }),
      { numRuns: 200, seed: 5 },
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
