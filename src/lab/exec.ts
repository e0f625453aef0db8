/**
 * Running a command in a pod's container sandbox, for `podnet exec` and the API server's
 * pods/NAME/exec (`kubectl exec`): the argv to spawn (as root) and the layer to remove after.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { isCommandContainer } from './agent/protocol.js';
import { execArgv } from './agent/sandbox-argv.js';
import { containerArgvSandboxed, newLayer, sandboxInitPid, ttyCommand } from './agent/sandbox.js';
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

export { ttyCommand };

export function removeExecLayer(exec: SandboxedExec): void {
  if (exec.layer !== undefined) rmSync(exec.layer, { recursive: true, force: true });
}

/** How an exec ended: an exit code, or why the command could not start. */
export type ExecEnd = { code: number } | { error: string };

/**
 * Starts a prepared exec; `onEnd` is called once, after its output streams closed and its layer
 * is removed. A command killed by a signal ends with 128 + the signal's number, as a shell (and
 * a container runtime) reports it. `group`: in a process group of its own, so that killGroup
 * reaches the command nsenter forked into the PID namespace too (not for a terminal's job).
 */
export function startExec(exec: SandboxedExec, stdio: StdioOptions, group: boolean, onEnd: (end: ExecEnd) => void): ChildProcess {
  const [cmd, ...args] = exec.argv;
  const child = spawn(cmd!, args, { stdio, detached: group });
  let ended = false;
  const end = (e: ExecEnd) => {
    if (ended) return;
    ended = true;
    removeExecLayer(exec);
    onEnd(e);
  };
  child.on('error', (e) => end({ error: e.message }));
  child.on('close', (code, signal) => end({ code: code ?? 128 + (signal ? constants.signals[signal] : 0) }));
  return child;
}

/** Kills a command started with `group` and what it started (the client went away). */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
