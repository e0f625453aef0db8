// A representative ServiceTable for the nftables renderer tests (node-1 of a 3-node cluster).
import type { ServiceEndpoint, ServiceEntry, ServicePortEntry, ServiceTable } from '../../src/model/service-table.js';

export const NODE = { name: 'node-1', ip: '100.64.0.2' };
export const OPTS = { tableName: 'podnet', podCidr: '10.244.0.0/16' };

export function ep(ip: string, node: string, port = 8080, extra: Partial<ServiceEndpoint> = {}): ServiceEndpoint {
  return { ip, port, node, ready: true, serving: true, terminating: false, ...extra };
}

export function port(p: number, endpoints: ServiceEndpoint[], extra: Partial<ServicePortEntry> = {}): ServicePortEntry {
  return { name: '', protocol: 'TCP', port: p, endpoints, ...extra };
}

export function svc(key: string, clusterIP: string | undefined, ports: ServicePortEntry[], extra: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    key,
    type: 'ClusterIP',
    ...(clusterIP ? { clusterIP } : {}),
    ports,
    sessionAffinity: 'None',
    affinityTimeoutSeconds: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ...extra,
  };
}

/** ClusterIP with 3 ready endpoints (+1 not ready), NodePort, LoadBalancer eTP Local (with and
 *  without a local endpoint), ClientIP affinity, headless, ExternalName, no endpoints, UDP DNS,
 *  internalTrafficPolicy Local without a local endpoint, and a draining (terminating) Service. */
export function representativeTable(): ServiceTable {
  return {
    services: [
      svc('default/web', '10.96.0.10', [port(80, [ep('10.244.1.5', 'node-2'), ep('10.244.0.5', 'node-1'), ep('10.244.2.5', 'node-3'), ep('10.244.1.6', 'node-2', 8080, { ready: false, serving: false })], { name: 'http' })]),
      svc('default/shop', '10.96.0.11', [port(80, [ep('10.244.0.6', 'node-1'), ep('10.244.1.7', 'node-2')], { nodePort: 30080 })], { type: 'NodePort' }),
      svc('default/lb-local', '10.96.0.12', [port(443, [ep('10.244.0.7', 'node-1', 8443), ep('10.244.1.8', 'node-2', 8443)], { name: 'https', nodePort: 30443 })], {
        type: 'LoadBalancer',
        loadBalancerIP: '192.0.2.10',
        externalTrafficPolicy: 'Local',
      }),
      svc('default/lb-remote', '10.96.0.13', [port(80, [ep('10.244.1.9', 'node-2')], { nodePort: 30081 })], { type: 'LoadBalancer', loadBalancerIP: '192.0.2.11', externalTrafficPolicy: 'Local' }),
      svc('default/sticky', '10.96.0.14', [port(80, [ep('10.244.0.8', 'node-1'), ep('10.244.2.8', 'node-3')])], { sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 600 }),
      svc('default/headless', undefined, [port(80, [ep('10.244.0.9', 'node-1')])]),
      svc('default/ext-name', undefined, [], { type: 'ExternalName' }),
      svc('default/empty', '10.96.0.15', [port(80, [], { nodePort: 30082 })], { type: 'NodePort' }),
      svc('kube-system/kube-dns', '10.96.0.53', [
        port(53, [ep('10.244.0.2', 'node-1', 53), ep('10.244.1.2', 'node-2', 53)], { name: 'dns', protocol: 'UDP' }),
        port(53, [ep('10.244.0.2', 'node-1', 53), ep('10.244.1.2', 'node-2', 53)], { name: 'dns-tcp' }),
      ]),
      svc('default/syslog', '10.96.0.17', [port(514, [], { protocol: 'UDP' })]),
      svc('default/node-local', '10.96.0.16', [port(80, [ep('10.244.1.10', 'node-2')])], { internalTrafficPolicy: 'Local' }),
      svc('default/draining', '10.96.0.18', [port(80, [ep('10.244.2.11', 'node-3', 8080, { ready: false, serving: true, terminating: true })])]),
    ],
  };
}

/** The representative table after a round of changes: one Service added (default/new), one
 *  endpoint of default/web gone, default/empty gains a local endpoint, default/sticky's affinity
 *  timeout changes, default/syslog is deleted. */
export function changedTable(): ServiceTable {
  const t = representativeTable();
  const byKey = new Map(t.services.map((s) => [s.key, s]));
  byKey.get('default/web')!.ports[0].endpoints = byKey.get('default/web')!.ports[0].endpoints.filter((e) => e.ip !== '10.244.2.5');
  byKey.get('default/empty')!.ports[0].endpoints = [ep('10.244.0.12', 'node-1')];
  byKey.get('default/sticky')!.affinityTimeoutSeconds = 900;
  byKey.delete('default/syslog');
  byKey.set('default/new', svc('default/new', '10.96.0.19', [port(80, [ep('10.244.0.13', 'node-1'), ep('10.244.2.13', 'node-3')])]));
  return { services: [...byKey.values()] };
}

/** n ClusterIP Services with 3 endpoints each (one per node), as the benchmark builds them. */
export function manyServices(n: number): ServiceTable {
  const services: ServiceEntry[] = [];
  for (let i = 0; i < n; i++) {
    const eps = [0, 1, 2].map((e) => {
      const k = i * 3 + e;
      return ep(`10.${64 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`, `node-${e + 1}`);
    });
    services.push(svc(`ns-${i % 100}/svc-${i}`, `10.96.${(i >> 8) & 255}.${i & 255}`, [port(80, eps, { name: 'http' })]));
  }
  return { services };
}
