/** `podnet exec` and `podnet logs`: into a pod's network namespace, and its containers' output. */
import { existsSync, readFileSync } from 'node:fs';
import { containerLogPath } from '../lab/agent/paths.js';
import type { Command } from 'commander';
import { sandboxedExec, startExec, type ExecEnd } from '../lab/exec.js';
import { labCluster } from '../lab/lab.js';
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
        const exec = await sandboxedExec(state, pod.key, opts.container, command);
        const end = await new Promise<ExecEnd>((resolve) => startExec(exec, 'inherit', false, resolve));
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

function containersOf(state: LabState, key: string): string[] {
  const pod = labCluster(state).pods.find((p) => `${p.namespace}/${p.name}` === key);
  // App containers first (the default is the first of them), then init containers (`logs -c INIT`).
  return pod ? [...pod.containers, ...(pod.initContainers ?? [])].map((c) => c.name) : [];
}
