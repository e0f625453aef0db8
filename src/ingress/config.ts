/**
 * What the controller serves, from a lab's state: the lab's objects as a Cluster, the Services'
 * endpoints as kube-proxy sees them, the Ingresses of podnet's class, their routes and certificates.
 */
import { labCluster } from '../api/lab-cluster.js';
import type { LabState } from '../lab/state.js';
import { recordedEndpoints } from '../lab/readiness.js';
import { serviceView } from '../model/service-view.js';
import { selectIngresses, type IgnoredIngress } from '../model/ingress-classes.js';
import { buildRouteTable, type RouteTable } from './routes.js';
import { buildTlsTable, type TlsTable } from './tls-hosts.js';

export interface ControllerConfig {
  routes: RouteTable;
  tls: TlsTable;
  served: string[];
  ignored: IgnoredIngress[];
}

export function configFromState(state: LabState): ControllerConfig {
  const cluster = labCluster(state);
  // The table the nodes' Services rules hold, as the Services sync recorded it (proxy/sync.ts,
  // kept current by the endpoints controller). While a sync is under way or after a failed one
  // (null), and before the first, it is derived the same way from the recorded readiness.
  const table = state.proxyTable ?? serviceView(cluster, state, recordedEndpoints(state)).table;
  const { handled, ignored } = selectIngresses(cluster);
  return {
    routes: buildRouteTable(handled, table),
    tls: buildTlsTable(handled, cluster.secrets),
    served: handled.map((i) => `${i.namespace}/${i.name}`),
    ignored,
  };
}

/** One line per fact worth logging, so that only changes are logged. */
export function summary(config: ControllerConfig, certProblems: readonly string[]): string[] {
  const targets = [...config.routes.exact.values(), ...config.routes.wildcard.values(), ...(config.routes.anyHost ? [config.routes.anyHost] : [])].flatMap((h) => h.paths.map((p) => p.target));
  const backends = [...new Set(targets.map((t) => `${t.backend} → ${t.problem ?? (t.endpoints.map((e) => `${e.ip}:${e.port}`).join(' ') || 'no endpoints')}`))].sort();
  return [
    `serving ${config.served.length} Ingress(es): ${config.served.join(', ') || '-'}`,
    ...config.ignored.map((i) => `ignoring ingress ${i.ingress.namespace}/${i.ingress.name}: ${i.reason}`),
    ...backends.map((b) => `backend ${b}`),
    ...config.tls.problems,
    ...certProblems,
  ];
}
