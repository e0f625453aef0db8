/**
 * What each node agent is told to run: the lab's pods as agent PodSpecs. The entrypoint rule
 * (model/entrypoint.ts) is decided here against this host, and built-in containers get the ports
 * model/served-ports.ts gives them.
 */
import { programOnHost } from '../host/which.js';
import { chooseEntrypoint } from '../model/entrypoint.js';
import type { PlacedPod } from '../model/lab.js';
import { stableJson } from '../model/names.js';
import { servedPorts } from '../model/served-ports.js';
import type { Cluster, Container, Pod } from '../model/types.js';
import { podKey } from '../model/types.js';
import type { AgentPodSpec } from './agent-client.js';
import { resolveSecurity } from './agent/security.js';
import { withProgramCommands } from './program.js';
import { isSystemSource } from '../api/system-objects.js';

/** True when the container runs podnet's built-in server. */
export function runsBuiltin(c: Pick<Container, 'image' | 'command' | 'args'>): boolean {
  return chooseEntrypoint(c, programOnHost).run === 'builtin';
}

type AgentContainer = AgentPodSpec['containers'][number];

function agentContainer(pod: Pod, c: Container, ports: AgentContainer['ports']): AgentContainer {
  const entry = chooseEntrypoint(c, programOnHost);
  const reason = entry.run === 'builtin' ? entry.reason : undefined;
  // An image without an entrypoint runs its args as the command line (entrypoint.ts).
  const line = entry.run === 'command' && !c.command?.length ? { command: entry.argv } : { ...(c.command ? { command: [...c.command] } : {}), ...(c.args ? { args: [...c.args] } : {}) };
  return {
    name: c.name,
    ...line,
    ...(reason ? { builtin: reason } : {}),
    env: { ...(c.env ?? {}) },
    ports,
    ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
    ...(c.livenessProbe ? { livenessProbe: c.livenessProbe } : {}),
    ...(c.startupProbe ? { startupProbe: c.startupProbe } : {}),
    ...(c.preStop ? { preStop: c.preStop } : {}),
    security: resolveSecurity(pod.securityContext, c.securityContext),
    ...(c.volumeMounts ? { volumeMounts: c.volumeMounts.map((m) => ({ ...m })) } : {}),
    ...(c.stdin ? { stdin: c.stdin } : {}),
    ...(c.tty ? { tty: true as const } : {}),
  };
}

export function agentSpecs(cluster: Cluster, placed: readonly PlacedPod[]): AgentPodSpec[] {
  const pods = new Map(cluster.pods.map((p) => [podKey(p), p]));
  return placed.map((at) => {
    // System pods' symbolic commands become this host's command lines here, before the entrypoint rule.
    const pod = withProgramCommands(pods.get(at.key)!);
    const served = servedPorts(pod, cluster.services, runsBuiltin);
    const containers = pod.containers.map((c) => agentContainer(pod, c, served.get(c.name)!.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol, ...(p.tls ? { tls: true } : {}) }))));
    const inits = (pod.initContainers ?? []).map((c) => ({ ...agentContainer(pod, c, c.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol }))), ...(c.restartPolicy === 'Always' ? { sidecar: true } : {}) }));
    const restartPolicy = (pod.restartPolicy ?? 'Always') as AgentPodSpec['restartPolicy'];
    const spec = {
      key: at.key,
      namespace: pod.namespace,
      name: pod.name,
      node: at.node,
      ip: at.ip,
      netns: at.netns,
      containers,
      ...(inits.length > 0 ? { initContainers: inits } : {}),
      restartPolicy,
      ...(pod.hostname ? { hostname: pod.hostname } : {}),
      ...(pod.emptyDirs ? { volumes: [...pod.emptyDirs] } : {}),
      ...(pod.securityContext?.fsGroup !== undefined ? { fsGroup: pod.securityContext.fsGroup } : {}),
      // Only the lab's own objects (their source is no file a user gave) see the lab's state.
      ...(isSystemSource(pod.source.file) ? { system: true } : {}),
    };
    // A new incarnation of the pod (deleted, made again under its name) is a changed pod to its agent.
    return { ...spec, hash: stableJson(at.incarnation ? { ...spec, incarnation: at.incarnation } : spec) };
  });
}
