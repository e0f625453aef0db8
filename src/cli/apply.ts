/** `podnet apply` and `podnet delete`: change a running lab incrementally. */
import type { Command } from 'commander';
import { rawObjectKey, withDefaultNamespace } from '../api/default-namespace.js';
import { loadManifests } from '../api/load.js';
import { finishTerminations, reconcile } from '../lab/lab.js';
import { withLabLock } from '../lab/lock.js';
import { collect, run, UsageError, write } from './common.js';
import { DEFAULT_LAB, requireLab, requireRoot } from './lab-common.js';

export function registerApply(program: Command): void {
  for (const verb of ['apply', 'delete'] as const) {
    program
      .command(verb)
      .description(verb === 'apply' ? 'create or update objects in a running lab; unchanged pods keep their IPs and processes' : 'remove objects from a running lab')
      .option('--name <lab>', 'the lab', DEFAULT_LAB)
      .option('-f, --filename <path>', 'manifest file, directory or -; repeatable', collect)
      .option('-n, --namespace <ns>', 'namespace of objects that name none (as kubectl apply -n)')
      .action((opts: { name: string; filename?: string[]; namespace?: string }) =>
        run(async () => {
          if (!opts.filename || opts.filename.length === 0) throw new UsageError('at least one -f PATH is required');
          const incoming = withDefaultNamespace(loadManifests(opts.filename), opts.namespace);
          const host = requireRoot(`podnet ${verb}`);
          requireLab(opts.name); // before waiting for a lock of a lab that does not exist
          const report = await withLabLock(opts.name, `podnet ${verb}`, async () => {
            const state = requireLab(opts.name); // read under the lock: another command may have changed it
            const keys = new Set(incoming.map(rawObjectKey));
            const kept = state.objects.filter((o) => !keys.has(rawObjectKey(o)));
            const report = await reconcile(host, state, verb === 'apply' ? [...kept, ...incoming] : kept);
            // Deleted pods terminate gracefully (SIGTERM, their grace period): the command returns when they are gone.
            await finishTerminations(host, state);
            return report;
          });
          for (const note of report.notes) process.stderr.write(`podnet: ${note}\n`);
          const changed = `${report.added.length} pods started, ${report.removed.length} stopped, ${report.unchanged} unchanged`;
          write(`${verb === 'apply' ? 'applied' : 'deleted'} ${incoming.length} objects: ${changed}`);
          const pol = report.policy;
          write(`network policies enforced on every node in ${(pol.compileMs + pol.applyMs).toFixed(0)} ms (${pol.isolatedPods} pods isolated, ${pol.elements} set elements written)`);
          for (const u of report.unschedulable) write(`pending: ${u.key}: ${u.reason}`);
          for (const p of report.notListening) write(`warning: ${p} is declared but nothing listens on it yet`);
          for (const p of report.serviceProblems) write(`warning: ${p}`);
          for (const p of report.podProblems) write(`warning: pod not started: ${p}`);
        }),
      );
  }
}
