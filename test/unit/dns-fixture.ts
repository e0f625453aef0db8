/** A small cluster for the DNS tests: ClusterIP, headless (with and without hostnames), ExternalName. */
import { buildRecordSet, type RecordOptions, type RecordSet } from '../../src/dns/records.js';
import { readyWhen } from '../../src/model/endpoints.js';
import { serviceView } from '../../src/model/service-view.js';
import type { Cluster } from '../../src/model/types.js';
import { loadCluster, pod } from './fixtures.js';

type Obj = Record<string, unknown>;

export function service(key: string, spec: Obj): Obj {
  const [namespace, name] = key.split('/');
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

function withHost(obj: Obj, hostname: string, subdomain: string): Obj {
  const spec = obj.spec as Obj;
  return { ...obj, spec: { ...spec, hostname, subdomain } };
}

/** `extra` headless endpoints for truncation tests: pods big-0..big-(n-1) behind default/big. */
export function dnsCluster(extra = 0): Cluster {
  const http = [{ name: 'http', containerPort: 8080 }];
  return loadCluster([
    pod('default/web-1', { labels: { app: 'web' }, podIP: '10.244.0.5', ports: http }),
    pod('default/web-2', { labels: { app: 'web' }, podIP: '10.244.0.6', ports: http }),
    withHost(pod('default/db-0', { labels: { app: 'db' }, podIP: '10.244.1.10' }), 'db-0', 'db'),
    pod('default/db-1', { labels: { app: 'db' }, podIP: '10.244.1.11' }),
    pod('default/db-2', { labels: { app: 'db' }, podIP: '10.244.1.12' }),
    pod('other/lone', { labels: { app: 'lone' }, podIP: '10.244.2.7' }),
    ...Array.from({ length: extra }, (_, i) => pod(`default/big-${i}`, { labels: { app: 'big' }, podIP: `10.244.3.${i + 1}` })),
    service('default/web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { port: 81 }], clusterIP: '10.96.0.20' }),
    service('default/db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }, { name: 'metrics', port: 9187, protocol: 'UDP' }] }),
    service('default/db-all', { clusterIP: 'None', selector: { app: 'db' }, publishNotReadyAddresses: true, ports: [{ port: 5432 }] }),
    service('default/empty', { clusterIP: 'None', selector: { app: 'nobody' }, ports: [{ port: 1 }] }),
    service('other/ext', { type: 'ExternalName', externalName: 'Example.COM.' }),
    service('other/alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
    ...(extra > 0 ? [service('default/big', { clusterIP: 'None', selector: { app: 'big' }, ports: [{ port: 80 }] })] : []),
  ]);
}

/** db-2 is not ready. */
export const ready = readyWhen((key) => key !== 'default/db-2');

export function dnsRecords(options: RecordOptions = {}, extra = 0): RecordSet {
  const cluster = dnsCluster(extra);
  const view = serviceView(cluster, { config: { serviceCidr: '10.96.0.0/12' } }, ready);
  return buildRecordSet(cluster, view, options);
}
