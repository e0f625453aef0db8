// NetworkPolicy on nftables: golden ruleset (regenerate deliberately: UPDATE_GOLDEN=1 npx vitest
// run test/unit/nft-policy.test.ts) and the element encoding.
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/model/ip.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { boxKey, parsePodSetName, podSetName, renderPolicyFull } from '../../src/render/nft/policy.js';
import { loadCluster, namespace, netpol, pod } from './fixtures.js';
import { golden } from '../support/golden.js';


const cluster = loadCluster([
  namespace('shop', { team: 'shop' }),
  namespace('ops', { team: 'ops' }),
  pod('shop/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], nodeName: 'node-1', podIP: '10.244.0.5' }),
  pod('shop/api', { labels: { app: 'api' }, ports: [{ name: 'grpc', containerPort: 9090 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }], nodeName: 'node-1', podIP: '10.244.0.6' }),
  pod('shop/db', { labels: { app: 'db' }, nodeName: 'node-2', podIP: '10.244.1.4' }),
  pod('ops/monitor', { labels: { app: 'monitor' }, nodeName: 'node-2', podIP: '10.244.1.5' }),
  netpol('shop', 'default-deny', '{podSelector: {}, policyTypes: [Ingress]}'),
  netpol('shop', 'web', '{podSelector: {matchLabels: {app: web}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [192.168.0.0/16]}}], ports: [{port: http}]}]}'),
  netpol('shop', 'api', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Ingress, Egress], ingress: [{from: [{podSelector: {matchLabels: {app: web}}}, {namespaceSelector: {matchLabels: {team: ops}}}], ports: [{port: grpc}, {port: dns, protocol: UDP}, {port: 3868, protocol: SCTP}]}], egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432, endPort: 5440}]}, {ports: [{port: 53, protocol: UDP}]}]}'),
  netpol('shop', 'db', '{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]}'),
]);

describe('renderPolicyFull', () => {
  const compiled = compilePolicies(cluster);

  it('node-1: web and api (golden)', () => {
    golden('nft-policy-node-1.nft', renderPolicyFull(compiled, 'node-1').toString());
  });

  it('SCTP is rendered (protocol 132) even where the kernel cannot carry it', () => {
    expect(renderPolicyFull(compiled, 'node-1').toString()).toContain('10.244.0.5 . 132 . 3868');
  });

  it('node-2: only its own isolated pods (db; monitor is not selected)', () => {
    const text = renderPolicyFull(compiled, 'node-2').toString();
    expect(text).toContain(`${podSetName('ingress', '10.244.1.4')} {`);
    expect(text).not.toContain('10.244.0.5 : jump');
    expect(text).not.toContain('ing-10.244.1.5');
  });

  it('an empty node still gets the table with its dispatch, replacing the old one atomically', () => {
    const text = renderPolicyFull(compiled, 'node-3').toString();
    expect(text.split('\n').slice(0, 3)).toEqual(['add table ip podnet-policy', 'delete table ip podnet-policy', 'add table ip podnet-policy { comment "podnet: NetworkPolicy" ; }']);
    expect(text).toContain('ip daddr vmap @ingress-pods');
  });
});

describe('boxKey', () => {
  const ip = (s: string) => parseIPv4(s)!;
  it.each([
    { box: { peerStart: ip('10.0.0.1'), peerEnd: ip('10.0.0.1'), protocol: 6, portStart: 80, portEnd: 80 }, want: ['10.0.0.1', '6', '80'] },
    { box: { peerStart: ip('10.0.0.0'), peerEnd: ip('10.0.0.255'), protocol: 17, portStart: 53, portEnd: 60 }, want: ['10.0.0.0-10.0.0.255', '17', '53-60'] },
    { box: { peerStart: 0, peerEnd: ip('255.255.255.255'), protocol: 'any' as const, portStart: 0, portEnd: 65535 }, want: ['0.0.0.0-255.255.255.255', '0-255', '0-65535'] },
  ])('$want', ({ box, want }) => {
    expect(boxKey(box)).toEqual(want);
  });
});

describe('per-pod policy chain names', () => {
  it('parsePodSetName inverts podSetName and refuses other chains', () => {
    for (const direction of ['ingress', 'egress'] as const) {
      for (const ip of ['10.244.0.5', '10.244.12.250', '192.168.255.1']) {
        expect(parsePodSetName(podSetName(direction, ip))).toEqual({ direction, ip });
      }
    }
    for (const other of ['forward', 'ing-', 'egr-10.244.0', 'ing-10.244.0.5x', 'xegr-10.0.0.1', 'ingress-pods']) {
      expect(parsePodSetName(other)).toBeNull();
    }
  });
});
