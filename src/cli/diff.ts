/** `podnet diff`: connections gained and lost between two versions of the manifests. */
import type { Command } from 'commander';
import { diffConnectivity, formatDiffText, isEmptyDiff } from '../policy/diff.js';
import { DEFAULT_SEMANTICS } from '../policy/semantics.js';
import { collect, loadCluster, oneOf, run, write } from './common.js';
import { parseSemantics, semanticsOption } from './semantics.js';

export function registerDiff(program: Command): void {
  const cmd = program
    .command('diff')
    .description('show connections gained, lost and changed between two versions of the manifests')
    .option('--before <path>', 'manifests before the change (file, directory or -); repeatable', collect)
    .option('--after <path>', 'manifests after the change; repeatable', collect)
    .option('-o, --output <format>', 'text, json or html (a self-contained page)', 'text')
    .option('--exit-code', 'exit with status 1 when connectivity changed');
  semanticsOption(cmd)
    .action((opts: { before?: string[]; after?: string[]; output: string; exitCode?: boolean; semantics?: string }) =>
      run(async () => {
        const format = oneOf('-o', opts.output, ['text', 'json', 'html'] as const);
        const semantics = parseSemantics(opts.semantics, DEFAULT_SEMANTICS);
        const before = loadCluster(opts.before, {}, '--before');
        const after = loadCluster(opts.after, {}, '--after');
        const diff = diffConnectivity(before, after, semantics);
        if (format === 'html') process.stdout.write((await import('../ui/report-html.js')).reportHtml((await import('../ui/report.js')).diffReport(before, after, { before: opts.before ?? [], after: opts.after ?? [] }, semantics)));
        else write(format === 'json' ? JSON.stringify(diff, null, 2) : formatDiffText(diff));
        if (opts.exitCode && !isEmptyDiff(diff)) process.exitCode = 1;
      }),
    );
}
