/**
 * The objects a lab adds to the user's: with cluster DNS on, kube-system/coredns pods running
 * podnet's DNS server behind the kube-dns Service at the 10th address of the service CIDR.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawObject } from '../api/load.js';
import { formatIPv4, parseCidr } from '../model/ip.js';
import type { LabConfig } from '../model/lab.js';

export const CLUSTER_ZONE = 'cluster.local';

/** "the 10th address of the service CIDR (10.96.0.10 by default)" */
export function kubeDnsIP(serviceCidr: string): string {
  return formatIPv4(parseCidr(serviceCidr)!.start + 10);
}

/** The DNS server's command line: dist/dns/main.js, or the .ts source through tsx. */
export function dnsCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, '..', 'dns', 'main.js');
  if (existsSync(js)) return [process.execPath, js];
  // import.meta.resolve is missing under vitest's module runner (pure callers such as an offline
  // trace only need the command's shape there).
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx') : 'tsx';
  return [process.execPath, '--import', tsx, join(here, '..', 'dns', 'main.ts')];
}

export function systemObjects(config: LabConfig): RawObject[] {
  if (!config.dns) return [];
  const source = { file: '<podnet: cluster DNS>', doc: 0 };
  const labels = { 'k8s-app': 'kube-dns' };
  const ports = [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
  ];
  const objects: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: { clusterIP: kubeDnsIP(config.serviceCidr), selector: labels, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { dnsPolicy: 'Default', containers: [{ name: 'coredns', image: 'podnet/dns', command: dnsCommand(), ports }] } },
      },
    },
  ];
  return objects.map((obj, doc) => ({ obj, source: { ...source, doc }, prefix: '' }));
}

/** The user's objects plus the system ones they do not define themselves. */
export function withSystemObjects(config: LabConfig, objects: readonly RawObject[]): RawObject[] {
  const key = (o: RawObject) => {
    const m = (o.obj.metadata ?? {}) as { name?: string; namespace?: string };
    return `${String(o.obj.kind)}/${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  const mine = new Set(objects.map(key));
  return [...systemObjects(config).filter((o) => !mine.has(key(o))), ...objects];
}
