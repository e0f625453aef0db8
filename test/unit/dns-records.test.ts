import { describe, expect, it } from 'vitest';
import { buildRecordSet, emptyRecordSet, normalizeName, reverseName, type RecordSet } from '../../src/dns/records.js';
import { serviceView } from '../../src/model/service-view.js';
import { dnsCluster, dnsRecords, ready } from './dns-fixture.js';

const rs = dnsRecords();
const data = (set: RecordSet, name: string, type: string): unknown[] =>
  (set.byName.get(normalizeName(name)) ?? []).filter((r) => r.type === type).map((r) => r.data);
const srv = (weight: number, port: number, target: string) => ({ priority: 0, weight, port, target });

describe('buildRecordSet: the records of the DNS specification', () => {
  it.each<[string, string, string, unknown[]]>([
    ['2.2 schema version', 'dns-version.cluster.local', 'TXT', ['1.1.0']],
    ['2.3.1 ClusterIP A', 'web.default.svc.cluster.local', 'A', ['10.96.0.20']],
    ['2.3.2 SRV for a named port, target the Service', '_http._tcp.web.default.svc.cluster.local', 'SRV', [srv(100, 80, 'web.default.svc.cluster.local')]],
    ['2.3.3 ClusterIP PTR', '20.0.96.10.in-addr.arpa', 'PTR', ['web.default.svc.cluster.local']],
    ['2.4.1 headless: one A per ready endpoint (db-2 is not ready)', 'db.default.svc.cluster.local', 'A', ['10.244.1.10', '10.244.1.11']],
    ['2.4.1 headless: publishNotReadyAddresses publishes not-ready ones', 'db-all.default.svc.cluster.local', 'A', ['10.244.1.10', '10.244.1.11', '10.244.1.12']],
    ['2.4.1 hostname A (pod hostname + subdomain = Service)', 'db-0.db.default.svc.cluster.local', 'A', ['10.244.1.10']],
    ['generated hostname A (dashed IP)', '10-244-1-11.db.default.svc.cluster.local', 'A', ['10.244.1.11']],
    ['subdomain of another Service gives a generated name', '10-244-1-10.db-all.default.svc.cluster.local', 'A', ['10.244.1.10']],
    ['2.4.2 headless SRV: each ready endpoint, weight 100/n', '_pg._tcp.db.default.svc.cluster.local', 'SRV', [srv(50, 5432, 'db-0.db.default.svc.cluster.local'), srv(50, 5432, '10-244-1-11.db.default.svc.cluster.local')]],
    ['SRV protocol label is lower-case', '_metrics._udp.db.default.svc.cluster.local', 'SRV', [srv(50, 9187, 'db-0.db.default.svc.cluster.local'), srv(50, 9187, '10-244-1-11.db.default.svc.cluster.local')]],
    ['2.4.3 headless PTR to the hostname (one per Service)', '10.1.244.10.in-addr.arpa', 'PTR', ['db-0.db.default.svc.cluster.local', '10-244-1-10.db-all.default.svc.cluster.local']],
    ['2.5 ExternalName CNAME (lower-cased, no trailing dot)', 'ext.other.svc.cluster.local', 'CNAME', ['example.com']],
    ['unnamed ports have no SRV', '_81._tcp.web.default.svc.cluster.local', 'SRV', []],
    ['a headless Service without ready endpoints has no A', 'empty.default.svc.cluster.local', 'A', []],
    ['not-ready endpoints get no PTR of a plain headless Service', '12.1.244.10.in-addr.arpa', 'PTR', ['10-244-1-12.db-all.default.svc.cluster.local']],
    ['pod records are synthesized at query time in insecure mode', '10-244-2-7.other.pod.cluster.local', 'A', []],
  ])('%s', (_name, owner, type, want) => {
    expect(data(rs, owner, type)).toEqual(want);
  });

  it('names are case-insensitive: stored lower-case, looked up normalized', () => {
    expect(data(rs, 'WEB.Default.SVC.Cluster.Local.', 'A')).toEqual(['10.96.0.20']);
    expect(data(rs, '_HTTP._TCP.web.default.svc.cluster.local', 'SRV')).toHaveLength(1);
    expect(normalizeName('.A.B.')).toBe('a.b');
  });

  it('empty non-terminals exist as names; the zone apex too', () => {
    for (const n of ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local', '_tcp.db.default.svc.cluster.local', 'other.svc.cluster.local']) expect(rs.names.has(n)).toBe(true);
    expect(rs.names.has('nope.svc.cluster.local')).toBe(false);
  });

  it('pods verified: A records only for pods of that namespace', () => {
    const v = dnsRecords({ pods: 'verified' });
    expect(data(v, '10-244-2-7.other.pod.cluster.local', 'A')).toEqual(['10.244.2.7']);
    expect(data(v, '10-244-2-7.default.pod.cluster.local', 'A')).toEqual([]);
  });

  it('a configurable zone and TTL, with the SOA of the zone', () => {
    const z = dnsRecords({ zone: 'Corp.Example.', ttl: 5 });
    expect(z.zone).toBe('corp.example');
    expect(data(z, 'web.default.svc.corp.example', 'A')).toEqual(['10.96.0.20']);
    expect(z.byName.get('web.default.svc.corp.example')![0].ttl).toBe(5);
    expect(z.soa).toMatchObject({ mname: 'ns.dns.corp.example', rname: 'hostmaster.corp.example', minimum: 5 });
  });

  it('the SOA serial is deterministic and changes with the records', () => {
    expect(dnsRecords().soa.serial).toBe(rs.soa.serial);
    expect(dnsRecords({}, 3).soa.serial).not.toBe(rs.soa.serial);
    expect(emptyRecordSet().byName.size).toBe(1);
  });

  it('a Service without an allocation (not accepted) gets no records', () => {
    const cluster = dnsCluster();
    const view = serviceView(cluster, { config: { serviceCidr: '10.96.0.0/12' } }, ready);
    const allocations = new Map([...view.allocations].filter(([k]) => k !== 'default/web'));
    expect(data(buildRecordSet(cluster, { allocations, slices: view.slices }), 'web.default.svc.cluster.local', 'A')).toEqual([]);
  });

  it('reverseName', () => {
    expect(reverseName('10.96.0.1')).toBe('1.0.96.10.in-addr.arpa');
    expect(reverseName('fd00::1')).toBeUndefined();
  });
});
