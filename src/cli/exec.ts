/** `podnet exec` and `podnet logs`: into a pod's network namespace, and its containers' output. */
import { existsSync, readFileSync } from 'node:fs';
import { instanceRange, runStarts } from '../lab/agent/log-runs.js';
import { containerLogPath } from '../lab/agent/paths.js';
import type { Command } from 'commander';
import { sandboxedExec, startExec, ttyCommand, type ExecEnd, type SandboxedExec } from '../lab/exec.js';
import type { Writable } from 'node:stream';
import { labCluster } from '../api/lab-cluster.js';
import { labDir, type LabState } from '../lab/state.js';
import { run, UsageError } from './common.js';
import { DEFAULT_LAB, findPod, requireLab, requireRoot } from './lab-common.js';

/**
 * Runs `exec` (its command wrapped by ttyCommand) with this process's terminal in raw mode, as
 * kubectl does: keys go to the command's terminal as typed, its output comes back, and the
 * window's size follows this terminal's (resize events to the helper's fd 3).
 */
function onTerminal(exec: SandboxedExec): Promise<ExecEnd> {
  return new Promise<ExecEnd>((resolve) => {
    const stdin = process.stdin;
    stdin.setRawMode(true);
    const child = startExec(exec, ['pipe', 'pipe', 'inherit', 'pipe'], false, (end) => {
      stdin.setRawMode(false);
      stdin.unpipe(child.stdin!);
      stdin.pause();
      process.stdout.off('resize', size);
      resolve(end);
    });
    const sizes = child.stdio[3] as Writable;
    sizes.on('error', () => {});
    const size = () => sizes.write(`${process.stdout.columns ?? 80} ${process.stdout.rows ?? 24}\n`);
    size();
    process.stdout.on('resize', size);
    child.stdin!.on('error', () => {});
    stdin.pipe(child.stdin!);
    child.stdout!.pipe(process.stdout, { end: false });
  });
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description('run a command inside a pod\'s container sandbox (root)')
    .argument('<pod>', 'ns/name, or name with -n')
    .argument('<command...>', 'the command (after --)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-c, --container <name>', 'container (default: the first command container running)')
    .option('-t, --tty', 'a pseudo-terminal for the command (as kubectl exec -t), when stdin is a terminal')
    .action((podRef: string, command: string[], opts: { name: string; namespace: string; container?: string; tty?: boolean }) =>
      run(async () => {
        requireRoot('podnet exec');
        const state = requireLab(opts.name);
        const pod = findPod(state, podRef, opts.namespace);
        // As kubectl: a TTY needs a terminal on stdin; without one, a warning and no TTY.
        const tty = opts.tty === true && process.stdin.isTTY === true;
        if (opts.tty === true && !tty) process.stderr.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
        const exec = await sandboxedExec(state, pod.key, opts.container, tty ? ttyCommand(command) : command);
        const end = await (tty ? onTerminal(exec) : new Promise<ExecEnd>((resolve) => startExec(exec, 'inherit', false, resolve)));
        if ('error' in end) process.stderr.write(`podnet: cannot run ${exec.argv[0]}: ${end.error}\n`);
        const code = 'code' in end ? end.code : 127;
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
    .option('-p, --previous', 'the previous instance of the container (before its last restart)')
    .action((podRef: string, opts: { name: string; namespace: string; container?: string; previous?: boolean }) =>
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
        // As kubectl logs: the current instance of the container, or with -p the one before it.
        const range = instanceRange(runStarts(file(container)), opts.previous ? 'previous' : 'current');
        if (!range) throw new UsageError(`previous terminated container "${container}" in pod ${pod.key} not found`);
        if (!existsSync(file(container))) return;
        const all = readFileSync(file(container));
        process.stdout.write(all.subarray(range.start, range.end ?? all.length));
      }),
    );
}

function containersOf(state: LabState, key: string): string[] {
  const pod = labCluster(state).pods.find((p) => `${p.namespace}/${p.name}` === key);
  // App containers first (the default is the first of them), then init containers (`logs -c INIT`).
  return pod ? [...pod.containers, ...(pod.initContainers ?? [])].map((c) => c.name) : [];
}
