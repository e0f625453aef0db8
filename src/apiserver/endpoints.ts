/**
 * The v1 Endpoints of each Service with a selector, as kube-controller-manager's endpoints
 * controller keeps them next to the EndpointSlices (Kubernetes 1.32: `kubectl get endpoints`,
 * `kubectl describe service`'s "Endpoints:" line read them). Pure: made from the lab's
 * EndpointSlices of the Service (label kubernetes.io/service-name), so both always agree.
 *
 * One subset per set of ports (the slices already group endpoints by their resolved ports);
 * ready endpoints are `addresses`, the others `notReadyAddresses` ("IP addresses which offer the
 * related ports but are not currently marked as ready"); a Service with publishNotReadyAddresses
 * has them all ready, as its slices say; terminating pods are left out (unless the Service publishes
 * not-ready addresses). Within a subset, addresses sorted by IP, as the
 * controller's RepackSubsets leaves them. A Service without endpoints still has its Endpoints,
 * with no subsets. Services without a selector get none: their Endpoints are the user's.
 */

type Raw = Record<string, unknown>;
type Meta = { name?: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string };

const SERVICE_NAME = 'kubernetes.io/service-name';

interface Address { ip: string; nodeName?: string; targetRef?: Raw }
interface Port { name?: string; port: number; protocol: string; appProtocol?: string }

const metaOf = (o: Raw) => (o.metadata ?? {}) as Meta;

function byIp(a: Address, b: Address): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}

/** The Endpoints object of each selector Service of `services`, from `slices`. */
export function endpointsOf(services: readonly Raw[], slices: readonly Raw[]): Raw[] {
  const bySvc = new Map<string, Raw[]>();
  for (const s of slices) {
    const m = metaOf(s);
    const svc = m.labels?.[SERVICE_NAME];
    if (!svc) continue;
    const key = `${m.namespace ?? 'default'}/${svc}`;
    const list = bySvc.get(key);
    if (list) list.push(s);
    else bySvc.set(key, [s]);
  }
  const out: Raw[] = [];
  for (const svc of services) {
    const m = metaOf(svc);
    const selector = ((svc.spec ?? {}) as Raw).selector as Record<string, string> | undefined;
    if (!m.name || !selector || Object.keys(selector).length === 0) continue;
    const ns = m.namespace ?? 'default';
    const subsets = new Map<string, { ports: Port[]; ready: Address[]; notReady: Address[] }>();
    for (const slice of bySvc.get(`${ns}/${m.name}`) ?? []) {
      const ports = ((slice.ports ?? []) as Raw[]).map((p): Port => ({
        ...(p.name ? { name: String(p.name) } : {}),
        port: Number(p.port),
        protocol: String(p.protocol ?? 'TCP'),
        ...(p.appProtocol ? { appProtocol: String(p.appProtocol) } : {}),
      }));
      const key = JSON.stringify(ports);
      const subset = subsets.get(key) ?? { ports, ready: [], notReady: [] };
      subsets.set(key, subset);
      for (const e of (slice.endpoints ?? []) as Raw[]) {
        const conditions = (e.conditions ?? {}) as Raw;
        // A terminating pod is left out unless the Service publishes not-ready addresses (then its
        // slice says ready): the controller's ShouldPodBeInEndpoints(pod, includeTerminating =
        // service.Spec.PublishNotReadyAddresses).
        if (conditions.terminating === true && conditions.ready === false) continue;
        for (const ip of (e.addresses ?? []) as string[]) {
          const address: Address = { ip, ...(e.nodeName ? { nodeName: String(e.nodeName) } : {}), ...(e.targetRef ? { targetRef: e.targetRef as Raw } : {}) };
          // "ready ... nil should be interpreted as true" (EndpointConditions).
          (conditions.ready === false ? subset.notReady : subset.ready).push(address);
        }
      }
    }
    const list = [...subsets.values()].filter((s) => s.ready.length + s.notReady.length > 0).map((s) => ({
      ...(s.ready.length > 0 ? { addresses: s.ready.sort(byIp) } : {}),
      ...(s.notReady.length > 0 ? { notReadyAddresses: s.notReady.sort(byIp) } : {}),
      ...(s.ports.length > 0 ? { ports: s.ports } : {}),
    }));
    out.push({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: m.name, namespace: ns, ...(m.labels && Object.keys(m.labels).length > 0 ? { labels: { ...m.labels } } : {}), ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}) },
      ...(list.length > 0 ? { subsets: list } : {}),
    });
  }
  return out;
}

/**
 * kubectl's ENDPOINTS column (printers.go formatEndpoints): the ready addresses with each port,
 * "IP:PORT" (only the IP for a subset without ports), at most 3 then " + N more..."; `<none>`
 * without subsets.
 */
export function endpointsColumn(ep: Raw): string {
  const subsets = (ep.subsets ?? []) as { addresses?: Address[]; ports?: Port[] }[];
  if (subsets.length === 0) return '<none>';
  const MAX = 3;
  const list: string[] = [];
  let count = 0;
  for (const s of subsets) {
    const addresses = s.addresses ?? [];
    const ports = s.ports ?? [];
    const each = ports.length === 0 ? [null] : ports;
    for (const p of each) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX) continue;
        list.push(p === null ? a.ip : a.ip.includes(':') ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
      }
    }
  }
  const text = list.join(',');
  return count > MAX ? `${text} + ${count - MAX} more...` : text;
}
