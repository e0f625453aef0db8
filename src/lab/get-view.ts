/**
 * What `podnet get` shows of a running lab, kind by kind: kubectl-style rows and the objects as
 * the API returns them (status from the agents). The lab's API server builds its lab-owned
 * objects (pods, nodes, EndpointSlices, Services' allocations) from the same view.
 */
import { apiTime, deletionDue } from '../model/api-time.js';
import { programOnHost } from '../host/which.js';
import { chooseEntrypoint, entrypointLabel } from '../model/entrypoint.js';
import { initStatusText } from './agent/init-sequence.js';
import { selectIngresses } from '../model/ingress-classes.js';
import { withProgramCommands } from './program.js';
import { INGRESS_NAMESPACE, INGRESS_SERVICE } from '../api/system-objects.js';
import { networkStatus } from './attach-sync.js';
import { NETWORK_STATUS_ANNOTATION } from '../model/network-selection.js';
import type { AgentPodStatus } from './agent-client.js';
import { conditionsLookup, endpointStatusOf, isTerminal } from './readiness.js';
import type { LabState } from './state.js';
import { livePlacements } from './terminating.js';
import { isManagedSlice, serviceColumns, serviceObject, serviceView, sliceColumns, sliceObject } from '../model/service-view.js';
import { cmp, serviceKey } from '../model/services.js';
import { podKey, type Cluster } from '../model/types.js';
import { formatAge } from '../output/table.js';

export interface ViewOptions { namespace?: string; allNamespaces?: boolean }

/** The object as it was applied, with its namespace filled in (what kubectl would get back). */
function manifest(state: LabState, kind: string, o: { namespace: string; name: string }): Record<string, unknown> {
  const raw = state.objects.find((r) => {
    const m = (r.obj.metadata ?? {}) as { name?: string; namespace?: string };
    return r.obj.kind === kind && m.name === o.name && (m.namespace || 'default') === o.namespace;
  });
  const obj = raw ? structuredClone(raw.obj) : { kind, metadata: {} };
  return { ...obj, metadata: { ...(obj.metadata as Record<string, unknown>), name: o.name, namespace: o.namespace } };
}

/** A cluster-scoped object as it was applied. */
function clusterManifest(state: LabState, kind: string, name: string): Record<string, unknown> {
  const raw = state.objects.find((r) => r.obj.kind === kind && (r.obj.metadata as { name?: string } | undefined)?.name === name);
  return raw ? structuredClone(raw.obj) : { kind, metadata: { name } };
}

/**
 * A previous run as ContainerStateTerminated: reason "Completed" for exit 0 and "Error" otherwise,
 * as the container runtime reports a process's end; times are whole seconds (metav1.Time).
 */
function lastTerminated(t: NonNullable<AgentPodStatus['containers'][number]['lastTermination']>): Record<string, unknown> {
  return { exitCode: t.exitCode, reason: t.exitCode === 0 ? 'Completed' : 'Error', ...(t.startedAt ? { startedAt: apiTime(t.startedAt) } : {}), finishedAt: apiTime(t.finishedAt) };
}

/** An exited container's state: the kubelet's reason (Completed or Error, as `kubectl run` prints it) and, when known, the run's times. */
function terminated(c: AgentPodStatus['containers'][number]): Record<string, unknown> {
  const exitCode = c.exitCode ?? 0;
  const last = c.lastTermination;
  return last && last.exitCode === exitCode ? lastTerminated(last) : { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' };
}

/** kubectl's status.conditions (Ready) and status.containerStatuses, from the agent's status. */
function probeStatus(s: AgentPodStatus | undefined): Record<string, unknown> {
  if (!s) return {};
  const state = (c: AgentPodStatus['containers'][number]) =>
    c.state === 'running' ? { running: c.startedAt ? { startedAt: c.startedAt } : {} } : c.state === 'exited' ? { terminated: terminated(c) } : { waiting: c.restarts > 0 ? { reason: 'CrashLoopBackOff' } : { reason: 'ContainerCreating' } };
  return {
    conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False' }],
    containerStatuses: s.containers.map((c) => ({ name: c.name, ready: c.ready, restartCount: c.restarts, started: c.started, state: state(c), ...(c.lastTermination ? { lastState: { terminated: lastTerminated(c.lastTermination) } } : {}) })),
  };
}

/** Applied bare Pods' annotations by "ns/name" (one pass over the objects). */
function appliedPodAnnotations(state: LabState): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const o of state.objects) {
    const m = (o.obj.metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, string> };
    if (o.obj.kind === 'Pod' && m.annotations) out.set(`${m.namespace || 'default'}/${m.name}`, m.annotations);
  }
  return out;
}

/** The pod's annotations as applied, with the network-status Multus writes (pods with a netns). */
function podAnnotations(state: LabState, at: LabState['placements'][number] | undefined, applied: Record<string, string> = {}): Record<string, unknown> {
  const status = networkStatus(state, at);
  const annotations = { ...applied, ...(status ? { [NETWORK_STATUS_ANNOTATION]: JSON.stringify(status, null, 2) } : {}) };
  return Object.keys(annotations).length > 0 ? { annotations } : {};
}

/** A pod whose attachments failed: Pending, its containers waiting, the plugin's error as the message. */
function sandboxStatus(state: LabState, key: string): Record<string, unknown> {
  const error = state.attachmentFailures?.[key];
  if (!error) return {};
  return { reason: 'FailedCreatePodSandBox', message: error, conditions: [{ type: 'PodReadyToStartContainers', status: 'False', reason: 'FailedCreatePodSandBox', message: error }, { type: 'Ready', status: 'False' }] };
}

/** A terminating pod's metadata: deletionTimestamp (model/api-time.ts deletionDue) and deletionGracePeriodSeconds. */
function deletionMeta(d: { at: string; graceSeconds: number } | undefined): Record<string, unknown> {
  return d ? { deletionTimestamp: deletionDue(d.at, d.graceSeconds), deletionGracePeriodSeconds: d.graceSeconds } : {};
}

export interface View { headers: string[]; wideHeaders: string[]; rows: string[][]; items: unknown[] }

export function labView(kind: string, state: LabState, cluster: Cluster, statuses: Map<string, AgentPodStatus>, opts: ViewOptions, answered: ReadonlySet<string>): View {
  const age = formatAge(state.createdAt);
  const inNs = (ns: string) => opts.allNamespaces || ns === opts.namespace;
  const nsCol = (headers: string[]) => (opts.allNamespaces ? ['NAMESPACE', ...headers] : headers);
  const withNs = (ns: string, cells: string[]) => (opts.allNamespaces ? [ns, ...cells] : cells);
  const meta = (o: { namespace: string; name: string }) => ({ name: o.name, namespace: o.namespace });
  switch (kind) {
    case 'nodes':
      return {
        headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
        wideHeaders: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'POD-CIDR'],
        // Ready while the node's agent (its kubelet) answers.
        rows: state.nodes.map((n) => [n.name, answered.has(n.name) ? 'Ready' : 'NotReady', '<none>', age, 'podnet', n.ip, n.podCidr]),
        items: state.nodes.map((n) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: n.labels }, spec: { podCIDR: n.podCidr, podCIDRs: [n.podCidr] }, status: { addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }], conditions: [{ type: 'Ready', status: answered.has(n.name) ? 'True' : 'Unknown' }] } })),
      };
    case 'pods': {
      const pods = cluster.pods.filter((p) => inNs(p.namespace));
      const placed = new Map(livePlacements(state).map((p) => [p.key, p]));
      const deleting = new Map(pods.filter((p) => p.deletion).map((p) => [podKey(p), p.deletion!]));
      const annotated = appliedPodAnnotations(state);
      const initSpecs = new Map(pods.map((p) => [podKey(p), p.initContainers ?? []]));
      const row = (key: string) => {
        const s = statuses.get(key);
        // A pod whose sandbox failed never reached its agent: none of its containers is ready.
        const total = s?.containers.length ?? (state.attachmentFailures?.[key] ? cluster.pods.find((p) => podKey(p) === key)?.containers.length ?? 0 : 0);
        const ready = s?.containers.filter((c) => c.ready).length ?? 0;
        const running = s !== undefined && total > 0 && s.containers.every((c) => c.state === 'running');
        // Every container exited for good (restartPolicy said so): the pod is Succeeded (all with
        // code 0: kubectl shows "Completed") or Failed ("Error").
        const done = isTerminal(s);
        const succeeded = done && s!.containers.every((c) => c.exitCode === 0);
        // A container waiting to start again after it failed is in back-off: kubectl's CrashLoopBackOff.
        const backOff = s !== undefined && s.containers.some((c) => c.state === 'waiting' && c.restarts > 0);
        // Its secondary networks could not be attached: the sandbox never came up (kubelet's event
        // reason FailedCreatePodSandBox), the containers never started.
        const sandboxError = state.attachmentFailures?.[key];
        const init = s?.initContainers ? initStatusText((initSpecs.get(key) ?? []).map((c, i) => ({ sidecar: c.restartPolicy === 'Always', status: s.initContainers![i] ?? undefined }))) : undefined;
        // kubectl's printer: a pod with a deletionTimestamp is "Terminating", whatever its containers do.
        const status = deleting.has(key) ? 'Terminating' : !placed.has(key) ? 'Pending' : sandboxError ? 'FailedCreatePodSandBox' : !s ? 'Unknown' : init ?? (s.ready || running ? 'Running' : backOff ? 'CrashLoopBackOff' : succeeded ? 'Completed' : s.containers.some((c) => c.state === 'exited') ? 'Error' : 'ContainerCreating');
        const phase = status === 'Running' || (status === 'Terminating' && running) ? 'Running' : done ? (succeeded ? 'Succeeded' : 'Failed') : 'Pending';
        return { ready: `${ready}/${total}`, status, phase, restarts: String(s?.containers.reduce((a, c) => a + c.restarts, 0) ?? 0) };
      };
      return {
        headers: nsCol(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']),
        wideHeaders: nsCol(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'RUNS']),
        rows: pods.map((p) => {
          const r = row(podKey(p));
          // What each container runs (the entrypoint rule): command, built-in, or built-in because its command is not on this host.
          const runs = withProgramCommands(p).containers.map((c) => entrypointLabel(c.name, chooseEntrypoint(c, programOnHost))).join(',');
          return withNs(p.namespace, [p.name, r.ready, r.status, r.restarts, age, p.ip || '<none>', p.nodeName ?? '<none>', runs]);
        }),
        items: pods.map((p) => ({
          apiVersion: 'v1', kind: 'Pod', metadata: { ...meta(p), ...deletionMeta(p.deletion), labels: p.labels, ...podAnnotations(state, placed.get(podKey(p)), annotated.get(podKey(p))), ...(p.owner.kind !== 'Pod' ? { ownerReferences: [{ kind: p.owner.kind, name: p.owner.name, controller: true }] } : {}) },
          spec: { nodeName: p.nodeName, hostNetwork: p.hostNetwork || undefined, containers: p.containers.map((c) => ({ name: c.name, image: c.image, command: c.command, args: c.args, ports: c.ports })) },
          status: { phase: row(podKey(p)).phase, ...probeStatus(statuses.get(podKey(p))), ...sandboxStatus(state, podKey(p)), podIP: p.ip || undefined, podIPs: p.ip ? [{ ip: p.ip }] : [], hostIP: state.nodes.find((n) => n.name === p.nodeName)?.ip },
        })),
      };
    }
    case 'services': {
      const svcs = cluster.services.filter((s) => inNs(s.namespace)).sort((a, b) => cmp(serviceKey(a), serviceKey(b))); // etcd key order, as kubectl lists
      const { allocations } = serviceView(cluster, state, () => 'notReady');
      return {
        headers: nsCol(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']),
        wideHeaders: nsCol(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']),
        rows: svcs.map((s) => {
          const c = serviceColumns(s, allocations.get(serviceKey(s)));
          return withNs(s.namespace, [s.name, s.type, c.clusterIP, c.externalIP, c.ports, age, c.selector]);
        }),
        items: svcs.map((s) => serviceObject(s, allocations.get(serviceKey(s)))),
      };
    }
    case 'endpointslices': {
      // What the Services rules reflect (recorded by the last sync), else the agents' word now.
      const podStatus = state.endpoints ? conditionsLookup(state.endpoints) : (key: string) => endpointStatusOf(statuses.get(key));
      const slices = serviceView(cluster, state, podStatus).slices.filter((s) => inNs(s.namespace));
      return {
        headers: nsCol(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']),
        wideHeaders: nsCol(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']),
        rows: slices.map((s) => withNs(s.namespace, [s.name, s.addressType, sliceColumns(s).ports, sliceColumns(s).endpoints, age])),
        items: slices.map((s) => sliceObject(s, isManagedSlice(s, cluster))),
      };
    }
    case 'ingress': {
      const ings = cluster.ingresses.filter((i) => inNs(i.namespace));
      // status.loadBalancer of the Ingresses podnet's controller serves: its Service's LB address.
      const served = new Set(selectIngresses(cluster).handled);
      const lbIP = serviceView(cluster, state, () => 'notReady').allocations.get(`${INGRESS_NAMESPACE}/${INGRESS_SERVICE}`)?.loadBalancerIP;
      const address = (i: (typeof ings)[number]) => (lbIP && served.has(i) ? lbIP : undefined);
      return {
        headers: nsCol(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']),
        wideHeaders: nsCol(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']),
        rows: ings.map((i) => withNs(i.namespace, [i.name, i.className ?? '<none>', i.rules.map((r) => r.host ?? '*').join(',') || '*', address(i) ?? '', i.tls.length > 0 ? '80, 443' : '80', age])),
        items: ings.map((i) => ({ ...manifest(state, 'Ingress', i), status: { loadBalancer: address(i) ? { ingress: [{ ip: address(i) }] } : {} } })),
      };
    }
    case 'clusternetworkpolicies':
    case 'adminnetworkpolicies':
    case 'baselineadminnetworkpolicies': {
      // Cluster-scoped, with the CRDs' printer columns (Tier and Priority; Priority; none).
      const kindOf = { clusternetworkpolicies: 'ClusterNetworkPolicy', adminnetworkpolicies: 'AdminNetworkPolicy', baselineadminnetworkpolicies: 'BaselineAdminNetworkPolicy' } as const;
      const pols = (cluster.clusterPolicies ?? []).filter((p) => p.kind === kindOf[kind]);
      const headers = kind === 'clusternetworkpolicies' ? ['NAME', 'TIER', 'PRIORITY', 'AGE'] : kind === 'adminnetworkpolicies' ? ['NAME', 'PRIORITY', 'AGE'] : ['NAME', 'AGE'];
      const cells = (p: (typeof pols)[number]) => (kind === 'clusternetworkpolicies' ? [p.name, p.tier, String(p.priority), age] : kind === 'adminnetworkpolicies' ? [p.name, String(p.priority), age] : [p.name, age]);
      return { headers, wideHeaders: headers, rows: pols.map(cells), items: pols.map((p) => clusterManifest(state, p.kind, p.name)) };
    }
    case 'network-attachment-definitions': {
      const nads = (cluster.networkAttachmentDefinitions ?? []).filter((n) => inNs(n.namespace));
      return {
        headers: nsCol(['NAME', 'AGE']),
        wideHeaders: nsCol(['NAME', 'AGE']),
        rows: nads.map((n) => withNs(n.namespace, [n.name, age])),
        items: nads.map((n) => manifest(state, 'NetworkAttachmentDefinition', n)),
      };
    }
    default: {
      const pols = cluster.policies.filter((p) => inNs(p.namespace));
      const sel = (p: (typeof pols)[number]) => Object.entries(p.podSelector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
      return {
        headers: nsCol(['NAME', 'POD-SELECTOR', 'AGE']),
        wideHeaders: nsCol(['NAME', 'POD-SELECTOR', 'AGE']),
        rows: pols.map((p) => withNs(p.namespace, [p.name, sel(p), age])),
        items: pols.map((p) => {
          // As the API server returns it: the manifest, with the defaulted policyTypes.
          const obj = manifest(state, 'NetworkPolicy', p);
          const spec = (obj.spec ?? {}) as Record<string, unknown>;
          return { ...obj, spec: { ...spec, policyTypes: [...(p.affectsIngress ? ['Ingress'] : []), ...(p.affectsEgress ? ['Egress'] : [])] } };
        }),
      };
    }
  }
}
