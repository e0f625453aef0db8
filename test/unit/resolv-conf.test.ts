import { describe, expect, it } from 'vitest';
import { podResolvConf } from '../../src/dns/resolv-conf.js';
import type { Pod } from '../../src/model/types.js';

const dns = { nameserver: '10.96.0.10', zone: 'cluster.local' };
const pod = (extra: Partial<Pod> = {}): Pod => ({ namespace: 'shop', name: 'p', labels: {}, ip: '10.244.0.5', hostNetwork: false, containers: [], owner: { kind: 'Pod', name: 'p' }, source: { file: 'x', doc: 0 }, ...extra });
const CLUSTER = 'nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n';

describe('podResolvConf', () => {
  it.each([
    ['ClusterFirst (the default)', pod(), CLUSTER],
    ['ClusterFirst explicitly', pod({ dnsPolicy: 'ClusterFirst' }), CLUSTER],
    ['ClusterFirst on hostNetwork falls back to Default', pod({ hostNetwork: true }), null],
    ['ClusterFirstWithHostNet on hostNetwork', pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), CLUSTER],
    ['Default: the node\'s resolver', pod({ dnsPolicy: 'Default' }), null],
    ['None with dnsConfig', pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), 'nameserver 1.2.3.4\nsearch example.com\noptions ndots:2 edns0\n'],
    ['ClusterFirst merged with dnsConfig', pod({ dnsConfig: { nameservers: ['10.96.0.10', '5.6.7.8'], searches: ['x.local'], options: [{ name: 'ndots', value: '1' }] } }), 'nameserver 10.96.0.10\nnameserver 5.6.7.8\nsearch shop.svc.cluster.local svc.cluster.local cluster.local x.local\noptions ndots:1\n'],
  ])('%s', (_n, p, want) => {
    expect(podResolvConf(p, dns)).toBe(want);
  });
});
