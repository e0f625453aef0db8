/**
 * The objects a lab adds to the user's: with cluster DNS on, kube-system/coredns pods running
 * podnet's DNS server behind the kube-dns Service at the 10th address of the service CIDR; when
 * the objects hold an Ingress, podnet's ingress controller behind a LoadBalancer Service and its
 * IngressClass `podnet`. Pure: the same objects whatever the host.
 */
import type { RawObject } from './load.js';
import { kubeDnsIP } from '../model/cluster-dns.js';
import { DEFAULT_CLASS_ANNOTATION, INGRESS_CLASS, INGRESS_CONTROLLER, whyNotOurs } from '../model/ingress-classes.js';
import type { LabConfig } from '../model/lab.js';

/**
 * A system container's command names one of podnet's programs symbolically, `podnet:<path>`
 * (e.g. `podnet:dns/main`): what the objects say does not depend on where podnet is installed or
 * whether it was built. The lab resolves it when it starts the container (src/lab/program.ts),
 * and only for system pods: a user's container with such a command runs the built-in server, as
 * any command whose program is not on the host.
 */
export const SYSTEM_PROGRAM = 'podnet:';

/** The program path of a symbolic command (`dns/main`), or undefined for any other command. */
export function systemProgramOf(command: readonly string[] | undefined): string | undefined {
  const first = command?.[0];
  return first !== undefined && first.startsWith(SYSTEM_PROGRAM) ? first.slice(SYSTEM_PROGRAM.length) : undefined;
}

const dnsCommand = (): string[] => [`${SYSTEM_PROGRAM}dns/main`];
const ingressCommand = (): string[] => [`${SYSTEM_PROGRAM}ingress/main`];

/** The source the lab's own objects carry: no user file can be named like it (the "<podnet:" prefix). */
export function isSystemSource(file: string): boolean {
  return file === DNS_SOURCE || file === INGRESS_SOURCE;
}
const DNS_SOURCE = '<podnet: cluster DNS>';
const INGRESS_SOURCE = '<podnet: ingress controller>';

export function systemObjects(config: LabConfig, objects: readonly RawObject[] = []): RawObject[] {
  return [...dnsObjects(config), ...ingressObjects(objects)];
}

function dnsObjects(config: LabConfig): RawObject[] {
  if (!config.dns) return [];
  const source = { file: DNS_SOURCE, doc: 0 };
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

export const INGRESS_NAMESPACE = 'podnet-ingress';
export const INGRESS_SERVICE = 'podnet-ingress-controller';

/**
 * Added only when the objects hold an Ingress (level-triggered: applying the first one adds them),
 * so labs without Ingresses keep their pods. The controller's Service has externalTrafficPolicy
 * Local: clients keep their address (X-Forwarded-For, NetworkPolicy ipBlocks), as ingress-nginx
 * recommends. podnet's class is the default unless the user marks another one.
 */
function ingressObjects(objects: readonly RawObject[]): RawObject[] {
  const annotations = (o: RawObject) => ((o.obj.metadata ?? {}) as { annotations?: Record<string, unknown> }).annotations ?? {};
  const otherDefault = objects.some((o) => o.obj.kind === 'IngressClass' && annotations(o)[DEFAULT_CLASS_ANNOTATION] === 'true');
  // Only for Ingresses of podnet's class (by name, or as the default): an Ingress for another
  // controller (class nginx, alb, …) starts nothing here.
  const classes = [
    ...objects.filter((o) => o.obj.kind === 'IngressClass').map((o) => ({ name: String((o.obj.metadata as { name?: unknown } | undefined)?.name ?? ''), controller: String((o.obj.spec as { controller?: unknown } | undefined)?.controller ?? ''), isDefault: annotations(o)[DEFAULT_CLASS_ANNOTATION] === 'true' })),
    { name: INGRESS_CLASS, controller: INGRESS_CONTROLLER, isDefault: !otherDefault },
  ];
  const classNameOf = (o: RawObject) => {
    const name = (o.obj.spec as { ingressClassName?: unknown } | undefined)?.ingressClassName ?? annotations(o)['kubernetes.io/ingress.class'];
    return typeof name === 'string' ? name : undefined;
  };
  if (!objects.some((o) => o.obj.kind === 'Ingress' && whyNotOurs({ className: classNameOf(o) }, classes) === undefined)) return [];
  const source = { file: INGRESS_SOURCE, doc: 0 };
  const labels = { 'app.kubernetes.io/name': 'podnet-ingress', 'app.kubernetes.io/component': 'controller' };
  const ports = [
    { name: 'http', containerPort: 80, protocol: 'TCP' },
    { name: 'https', containerPort: 443, protocol: 'TCP' },
  ];
  const built: Record<string, unknown>[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INGRESS_NAMESPACE } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS, ...(otherDefault ? {} : { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } }) },
      spec: { controller: INGRESS_CONTROLLER },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: INGRESS_SERVICE, namespace: INGRESS_NAMESPACE, labels },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: INGRESS_SERVICE, namespace: INGRESS_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'controller', image: 'podnet/ingress', command: ingressCommand(), ports }] } },
      },
    },
  ];
  return built.map((obj, doc) => ({ obj, source: { ...source, doc }, prefix: '' }));
}

/** The user's objects plus the system ones they do not define themselves. */
export function withSystemObjects(config: LabConfig, objects: readonly RawObject[]): RawObject[] {
  const key = (o: RawObject) => {
    const m = (o.obj.metadata ?? {}) as { name?: string; namespace?: string };
    return `${String(o.obj.kind)}/${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  const mine = new Set(objects.map(key));
  return [...systemObjects(config, objects).filter((o) => !mine.has(key(o))), ...objects];
}
