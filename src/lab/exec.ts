/**
 * Running a command in a pod's container sandbox, for `podnet exec` and the API server's
 * pods/NAME/exec (`kubectl exec`): the argv to spawn (as root) and the layer to remove after.
 */
import { rmSync } from 'node:fs';
import { isCommandContainer } from './agent/protocol.js';
import { execArgv } from './agent/sandbox-argv.js';
import { containerArgvSandboxed, newLayer, sandboxInitPid } from './agent/sandbox.js';
import { resolveSecurity } from './agent/security.js';
import { agentPodSpec, LabError, podStatuses } from './lab.js';
import { labDir, type LabState } from './state.js';

/** What to spawn; `layer` (a fresh sandbox's root layer) is removed with removeExecLayer once it ends. */
export interface SandboxedExec { argv: string[]; layer?: string }

/**
 * As `kubectl exec`: inside the container's namespaces (network, mount, PID, IPC, UTS) with its
 * credentials. A pod whose containers are podnet's built-in servers has no container process to
 * join: the command gets a sandbox of its own in the pod's network namespace, with the pod's
 * securityContext. Problems (not placed, no such container, not running) are LabErrors.
 */
export async function sandboxedExec(state: LabState, key: string, container: string | undefined, command: string[]): Promise<SandboxedExec> {
  const spec = agentPodSpec(state, key);
  if (!spec) throw new LabError(`pod ${key} is not placed`);
  // App containers first (the default), then init containers: a running sidecar can be entered too.
  const all = [...spec.containers, ...(spec.initContainers ?? [])];
  const commands = all.filter(isCommandContainer).filter((c) => container !== undefined || spec.containers.includes(c));
  if (container !== undefined && !all.some((c) => c.name === container)) {
    throw new LabError(`pod ${key} has no container ${JSON.stringify(container)}; containers: ${all.map((c) => c.name).join(', ')}`);
  }
  const status = (await podStatuses(state)).get(key);
  const statuses = [...(status?.containers ?? []), ...(status?.initContainers ?? []).filter((s) => s !== null)];
  for (const c of commands.filter((c) => container === undefined || c.name === container)) {
    const outer = statuses.find((s) => s.name === c.name && s.state === 'running')?.pid;
    const pid = outer === undefined ? undefined : sandboxInitPid(outer);
    if (pid !== undefined) return { argv: execArgv(pid, c.security ?? resolveSecurity(undefined, undefined), command) };
  }
  if (container !== undefined && commands.some((c) => c.name === container)) throw new LabError(`container ${container} of pod ${key} is not running`);
  const netns = spec.netns ?? state.nodes.find((n) => n.name === spec.node)!.netns;
  const base = all.find((c) => c.name === container) ?? spec.containers[0]!;
  // No volumes: a pod of built-in containers has none made (they are made for command containers).
  const dir = labDir(state.config.name);
  const layer = newLayer(dir, `${spec.namespace}_${spec.name}_exec`);
  return { argv: containerArgvSandboxed(dir, netns, spec, { ...base, volumeMounts: [] }, base.security ?? resolveSecurity(undefined, undefined), command, layer), layer };
}

export function removeExecLayer(exec: SandboxedExec): void {
  if (exec.layer !== undefined) rmSync(exec.layer, { recursive: true, force: true });
}
