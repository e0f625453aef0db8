/** `podnet down` and `podnet ls`. */
import type { Command } from 'commander';
import { labDown } from '../lab/down.js';
import { withLabLock } from '../lab/lock.js';
import { listLabs, loadState } from '../lab/state.js';
import { formatAge, formatTable } from '../output/table.js';
import { run, write } from './common.js';
import { DEFAULT_LAB, requireRoot } from './lab-common.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('remove every namespace, link, route, process and file of a lab (also after a crash)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .action((opts: { name: string }) =>
      run(async () => {
        const host = requireRoot('podnet down');
        // The lock is removed with the lab's directory; a crashed holder's lock is stale and broken.
        const r = await withLabLock(opts.name, 'podnet down', () => labDown(host, opts.name));
        write(`lab ${opts.name} is down: ${r.namespaces} namespaces, ${r.agents} agents, ${r.processes} other processes removed${r.attachments > 0 ? `, ${r.attachments} network attachments deleted (CNI DEL)` : ''}`);
      }),
    );
  program
    .command('ls')
    .description('list labs')
    .action(() =>
      run(() => {
        const rows = listLabs().map((name) => {
          const s = loadState(name);
          return s ? [name, s.phase, s.config.mode, String(s.nodes.length), String(s.placements.length), formatAge(s.createdAt)] : [name, 'unknown', '', '', '', ''];
        });
        write(rows.length === 0 ? 'no labs' : formatTable(['NAME', 'PHASE', 'MODE', 'NODES', 'PODS', 'AGE'], rows));
      }),
    );
}
