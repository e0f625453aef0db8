/**
 * `Table` responses (meta.k8s.io/v1) with kube-apiserver's columns for the kinds podnet runs;
 * wide-only columns have priority 1 (kubectl shows them with -o wide). Pure.
 */
import { endpointsColumn } from './endpoints.js';
import type { Obj } from './store.js';

interface Column { name: string; type: string; format?: string; priority?: number }
type Cells = (o: Obj, now: number) => (string | number)[];

const col = (name: string, type = 'string', priority = 0, format = ''): Column => ({ name, type, format, priority });
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

/** apimachinery's HumanDuration: the AGE column's text. */
export function humanAge(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  const d = Math.floor(s / 86400);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const spec = (o: Obj): Any => (o.spec ?? {}) as Any;
const status = (o: Obj): Any => (o.status ?? {}) as Any;
const age = (o: Obj, now: number) => humanAge(o.metadata.creationTimestamp, now);
const selectorText = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';

/** The pod's STATUS column, as kubectl's printer derives it from the pod's status. */
export function podReason(o: Obj): string {
  const st = status(o);
  let reason: string = st.reason ?? st.phase ?? 'Pending';
  const inits: Any[] = st.initContainerStatuses ?? [];
  const initTotal = (spec(o).initContainers ?? []).length;
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    if (c.state?.terminated?.exitCode === 0) continue;
    if (c.started && c.state?.running) continue;
    initializing = true;
    reason = c.state?.terminated ? `Init:${c.state.terminated.reason ?? 'Error'}` : c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing' ? `Init:${c.state.waiting.reason}` : `Init:${i}/${initTotal}`;
    break;
  }
  if (!initializing) {
    let running = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse() as Any[]) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = c.state.terminated.reason ?? (c.state.terminated.exitCode === 0 ? 'Completed' : 'Error');
      else if (c.state?.running && c.ready) running = true;
    }
    if (reason === 'Completed' && running) reason = 'Running';
  }
  if (o.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function servicePorts(o: Obj): string {
  const ports: Any[] = spec(o).ports ?? [];
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';
}

const TABLES: Record<string, { columns: Column[]; cells: Cells }> = {
  pods: {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    cells: (o, now) => {
      const cs: Any[] = status(o).containerStatuses ?? [];
      const total = (spec(o).containers ?? []).length;
      return [o.metadata.name, `${cs.filter((c) => c.ready).length}/${total}`, podReason(o), String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)), age(o, now), status(o).podIP ?? '<none>', spec(o).nodeName ?? '<none>', '<none>', '<none>'];
    },
  },
  services: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    cells: (o, now) => {
      const lb: Any[] = status(o).loadBalancer?.ingress ?? [];
      const ext = lb.map((i) => i.ip ?? i.hostname).join(',') || (spec(o).type === 'ExternalName' ? spec(o).externalName : spec(o).type === 'LoadBalancer' ? '<pending>' : '<none>');
      return [o.metadata.name, spec(o).type ?? 'ClusterIP', spec(o).clusterIP ?? '<none>', ext, servicePorts(o), age(o, now), selectorText(spec(o).selector)];
    },
  },
  nodes: {
    columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    cells: (o, now) => {
      const ready = (status(o).conditions ?? []).find((c: Any) => c.type === 'Ready');
      const addr = (t: string) => (status(o).addresses ?? []).find((a: Any) => a.type === t)?.address ?? '<none>';
      const info = status(o).nodeInfo ?? {};
      return [o.metadata.name, ready?.status === 'True' ? 'Ready' : 'NotReady', '<none>', age(o, now), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  namespaces: { columns: [NAME, col('Status'), AGE], cells: (o, now) => [o.metadata.name, status(o).phase ?? 'Active', age(o, now)] },
  deployments: {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (o, now) => {
      const cs: Any[] = spec(o).template?.spec?.containers ?? [];
      return [o.metadata.name, `${status(o).readyReplicas ?? 0}/${spec(o).replicas ?? 1}`, status(o).updatedReplicas ?? 0, status(o).availableReplicas ?? 0, age(o, now), cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(','), selectorText(spec(o).selector?.matchLabels)];
    },
  },
  // printers.go's ReplicaSet columns.
  replicasets: {
    columns: [NAME, col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), AGE, col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)],
    cells: (o, now) => {
      const cs: Any[] = spec(o).template?.spec?.containers ?? [];
      return [o.metadata.name, spec(o).replicas ?? 1, status(o).replicas ?? 0, status(o).readyReplicas ?? 0, age(o, now), cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(','), selectorText(spec(o).selector?.matchLabels)];
    },
  },
  networkpolicies: { columns: [NAME, col('Pod-Selector'), AGE], cells: (o, now) => [o.metadata.name, selectorText(spec(o).podSelector?.matchLabels), age(o, now)] },
  // The CRDs' additionalPrinterColumns (network-policy-api): Tier, Priority (v1alpha2); Priority (AdminNetworkPolicy); none but Age (BaselineAdminNetworkPolicy).
  clusternetworkpolicies: { columns: [NAME, col('Tier'), col('Priority'), AGE], cells: (o, now) => [o.metadata.name, String(spec(o).tier ?? ''), spec(o).priority === undefined ? '' : String(spec(o).priority), age(o, now)] },
  adminnetworkpolicies: { columns: [NAME, col('Priority'), AGE], cells: (o, now) => [o.metadata.name, spec(o).priority === undefined ? '' : String(spec(o).priority), age(o, now)] },
  baselineadminnetworkpolicies: { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o, now)] },
  // printers.go's Endpoints columns: the ready addresses with their ports (formatEndpoints).
  endpoints: { columns: [NAME, col('Endpoints'), AGE], cells: (o, now) => [o.metadata.name, endpointsColumn(o), age(o, now)] },
  endpointslices: {
    columns: [NAME, col('AddressType'), col('Ports'), col('Endpoints'), AGE],
    cells: (o, now) => {
      const ports = ((o.ports ?? []) as Any[]).map((p) => String(p.port)).join(',') || '<unset>';
      const eps = ((o.endpoints ?? []) as Any[]).flatMap((e) => e.addresses ?? []);
      return [o.metadata.name, String(o.addressType ?? ''), ports, eps.length === 0 ? '<unset>' : eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : ''), age(o, now)];
    },
  },
  configmaps: { columns: [NAME, col('Data', 'integer'), AGE], cells: (o, now) => [o.metadata.name, Object.keys((o.data ?? {}) as object).length + Object.keys((o.binaryData ?? {}) as object).length, age(o, now)] },
  secrets: { columns: [NAME, col('Type'), col('Data', 'integer'), AGE], cells: (o, now) => [o.metadata.name, String(o.type ?? 'Opaque'), Object.keys((o.data ?? {}) as object).length, age(o, now)] },
  // printers.go's event columns: wide adds Subobject, Source, First Seen, Count, Name. Last Seen
  // falls back to the first time and that to eventTime (events.k8s.io events have no timestamps).
  events: {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), { ...NAME, priority: 1 }],
    cells: (o, now) => {
      const first = o.firstTimestamp ? humanAge(String(o.firstTimestamp), now) : humanAge(o.eventTime ? String(o.eventTime) : undefined, now);
      const last = o.lastTimestamp ? humanAge(String(o.lastTimestamp), now) : first;
      const inv = (o.involvedObject ?? {}) as Any;
      const src = (o.source ?? {}) as Any;
      const component = src.component || o.reportingComponent || '';
      const instance = src.host || o.reportingInstance || '';
      return [last, String(o.type ?? ''), String(o.reason ?? ''), inv.name ? `${String(inv.kind ?? '').toLowerCase()}/${inv.name}` : String(inv.kind ?? '').toLowerCase(), inv.fieldPath ?? '', instance ? `${component}, ${instance}` : component, String(o.message ?? '').trim(), first, Number(o.count ?? 0) || 1, o.metadata.name];
    },
  },
  ingresses: {
    columns: [NAME, col('Class'), col('Hosts'), col('Address'), col('Ports'), AGE],
    cells: (o, now) => [o.metadata.name, spec(o).ingressClassName ?? '<none>', ((spec(o).rules ?? []) as Any[]).map((r) => r.host ?? '*').join(',') || '*', ((status(o).loadBalancer?.ingress ?? []) as Any[]).map((i) => i.ip).join(','), (spec(o).tls ?? []).length > 0 ? '80, 443' : '80', age(o, now)],
  },
};

/** Any other kind: kube-apiserver's default table (name and age). */
const DEFAULT = { columns: [NAME, AGE], cells: ((o, now) => [o.metadata.name, age(o, now)]) as Cells };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function table(resource: string, objs: readonly Obj[], opts: { resourceVersion: string; include: IncludeObject; now: number; continue?: string }): Record<string, unknown> {
  const t = TABLES[resource] ?? DEFAULT;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: opts.resourceVersion, ...(opts.continue ? { continue: opts.continue } : {}) },
    columnDefinitions: t.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: objs.map((o) => ({
      cells: t.cells(o, opts.now),
      ...(opts.include === 'None' ? {} : { object: opts.include === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } }),
    })),
  };
}

/** Does this Accept header ask for a Table? (kubectl: application/json;as=Table;v=v1;g=meta.k8s.io, …) */
export function wantsTable(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0] ?? '';
  const p = new Map(first.split(';').slice(1).map((x) => x.trim().split('=') as [string, string]));
  return p.get('as') === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1');
}
