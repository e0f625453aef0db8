/** `podnet exec` and `podnet logs`: into a pod's network namespace, and its containers' output. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { containerLogPath } from '../lab/agent/paths.js';
import { isCommandContainer } from '../lab/agent/protocol.js';
import { execArgv } from '../lab/agent/sandbox-argv.js';
import { containerArgvSandboxed, newLayer, sandboxInitPid } from '../lab/agent/sandbox.js';
import { resolveSecurity } from '../lab/agent/security.js';
import type { Command } from 'commander';
import { agentPodSpec, labCluster, podStatuses } from '../lab/lab.js';
import { labDir, type LabState } from '../lab/state.js';
import { run, UsageError } from './common.js';
import { DEFAULT_LAB, findPod, requireLab, requireRoot } from './lab-common.js';

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a command inside a pod\'s container sandbox (root)')
    .argument('<pod>', 'ns/name, or name with -n')
    .argument('<command...>', 'the command (after --)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-c, --container <name>', 'container (default: the first command container running)')
    .action((podRef: string, command: string[], opts: { name: string; namespace: string; container?: string }) =>
      run(async () => {
        requireRoot('podnet exec');
        const state = requireLab(opts.name);
        const pod = findPod(state, podRef, opts.namespace);
        const { argv, layer } = await sandboxedExec(state, pod.key, opts.container, command);
        const code = await new Promise<number>((resolve) => {
          const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
          child.on('error', () => resolve(127));
          child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
        });
        if (layer !== undefined) rmSync(layer, { recursive: true, force: true });
        process.exitCode = code;
      }),
    );
  program
    .command('logs')
    .description('print the output of a pod\'s container')
    .argument('<pod>', 'ns/name, or name with -n')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-c, --container <name>', 'container (default: the only or first one)')
    .action((podRef: string, opts: { name: string; namespace: string; container?: string }) =>
      run(() => {
        const state = requireLab(opts.name);
        const pod = findPod(state, podRef, opts.namespace);
        const [ns, name] = pod.key.split('/');
        const file = (c: string) => containerLogPath(labDir(state.config.name), ns, name, c);
        const containers = containersOf(state, pod.key);
        const sandboxError = state.attachmentFailures?.[pod.key];
        if (sandboxError) {
          // As kubectl: the containers are waiting, their sandbox failed; the CNI error says why.
          process.stderr.write(`podnet: container in pod ${pod.key} is waiting to start: FailedCreatePodSandBox: ${sandboxError}\n`);
          process.exitCode = 1;
          return;
        }
        const container = opts.container ?? containers[0];
        if (!container || !containers.includes(container)) {
          throw new UsageError(`pod ${pod.key} has no container ${JSON.stringify(container)}; containers: ${containers.join(', ')}`);
        }
        process.stdout.write(existsSync(file(container)) ? readFileSync(file(container)) : '');
      }),
    );
}

/**
 * As `kubectl exec`: inside the container's namespaces (network, mount, PID, IPC, UTS) with its
 * credentials. A pod whose containers are podnet's built-in servers has no container process to
 * join: the command gets a sandbox of its own in the pod's network namespace, with the pod's
 * securityContext.
 */
async function sandboxedExec(state: LabState, key: string, container: string | undefined, command: string[]): Promise<{ argv: string[]; layer?: string }> {
  const spec = agentPodSpec(state, key);
  if (!spec) throw new UsageError(`pod ${key} is not placed`);
  // App containers first (the default), then init containers: a running sidecar can be entered too.
  const all = [...spec.containers, ...(spec.initContainers ?? [])];
  const commands = all.filter(isCommandContainer).filter((c) => container !== undefined || spec.containers.includes(c));
  if (container !== undefined && !all.some((c) => c.name === container)) {
    throw new UsageError(`pod ${key} has no container ${JSON.stringify(container)}; containers: ${all.map((c) => c.name).join(', ')}`);
  }
  const status = (await podStatuses(state)).get(key);
  const statuses = [...(status?.containers ?? []), ...(status?.initContainers ?? []).filter((s) => s !== null)];
  for (const c of commands.filter((c) => container === undefined || c.name === container)) {
    const outer = statuses.find((s) => s.name === c.name && s.state === 'running')?.pid;
    const pid = outer === undefined ? undefined : sandboxInitPid(outer);
    if (pid !== undefined) return { argv: execArgv(pid, c.security ?? resolveSecurity(undefined, undefined), command) };
  }
  if (container !== undefined && commands.some((c) => c.name === container)) throw new UsageError(`container ${container} of pod ${key} is not running`);
  const netns = spec.netns ?? state.nodes.find((n) => n.name === spec.node)!.netns;
  const base = all.find((c) => c.name === container) ?? spec.containers[0]!;
  // No volumes: a pod of built-in containers has none made (they are made for command containers).
  const dir = labDir(state.config.name);
  const layer = newLayer(dir, `${spec.namespace}_${spec.name}_exec`);
  return { argv: containerArgvSandboxed(dir, netns, spec, { ...base, volumeMounts: [] }, base.security ?? resolveSecurity(undefined, undefined), command, layer), layer };
}

function containersOf(state: LabState, key: string): string[] {
  const pod = labCluster(state).pods.find((p) => `${p.namespace}/${p.name}` === key);
  // App containers first (the default is the first of them), then init containers (`logs -c INIT`).
  return pod ? [...pod.containers, ...(pod.initContainers ?? [])].map((c) => c.name) : [];
}
