/**
 * `podnet flows`: the connections a lab's NetworkPolicy data plane allowed and denied, with the
 * pods at both ends and the deciding policy, as the lab's monitor collected them (src/flows/).
 * `--follow` keeps printing new ones; `podnet metrics` prints the lab's Prometheus metrics.
 */
import type { Command } from 'commander';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { FlowRecord } from '../flows/attribute.js';
import { flowsPath } from '../flows/collector.js';
import { formatFlowJson, formatFlowText, parseFlowLines } from '../flows/format.js';
import { LabError } from '../lab/lab.js';
import { labDir } from '../lab/state.js';
import { oneOf, run } from './common.js';
import { DEFAULT_LAB, requireLab } from './lab-common.js';

const POLL_MS = 250;

export function registerFlows(program: Command): void {
  program
    .command('flows')
    .description('connections the lab allowed and denied, with pods, port, verdict and deciding policy')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('--follow', 'keep printing new connections until interrupted')
    .option('--verdict <v>', 'only allowed or denied connections')
    .option('-o, --output <format>', 'text or json (JSON lines)', 'text')
    .action((opts: { name: string; follow?: boolean; verdict?: string; output: string }) =>
      run(async () => {
        const format = oneOf('-o', opts.output, ['text', 'json'] as const);
        const verdict = opts.verdict === undefined ? undefined : oneOf('--verdict', opts.verdict, ['allowed', 'denied'] as const);
        const state = requireLab(opts.name);
        if (!state.monitor) throw new LabError(`lab ${JSON.stringify(opts.name)} has no monitor (made by an older podnet?): run 'podnet apply --name ${opts.name} -f …' to start it`);
        const path = flowsPath(labDir(opts.name));
        const show = (fs: FlowRecord[]) => {
          for (const f of fs) if (!verdict || f.verdict === verdict) process.stdout.write(`${format === 'json' ? formatFlowJson(f) : formatFlowText(f)}\n`);
        };
        let offset = 0;
        const readNew = (): FlowRecord[] => {
          if (!existsSync(path)) return [];
          const size = statSync(path).size;
          if (size < offset) offset = 0; // rotated
          if (size === offset) return [];
          const buf = Buffer.alloc(size - offset);
          const fd = openSync(path, 'r');
          try {
            readSync(fd, buf, 0, buf.length, offset);
          } finally {
            closeSync(fd);
          }
          const text = buf.toString('utf8');
          const complete = text.lastIndexOf('\n') + 1;
          offset += Buffer.byteLength(text.slice(0, complete));
          return parseFlowLines(text.slice(0, complete));
        };
        if (existsSync(`${path}.1`)) show(parseFlowLines(readFileSync(`${path}.1`, 'utf8')));
        show(readNew());
        if (!opts.follow) return;
        await new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (!existsSync(labDir(opts.name))) {
              clearInterval(timer);
              resolve(); // the lab went down
              return;
            }
            show(readNew());
          }, POLL_MS);
          process.once('SIGINT', () => {
            clearInterval(timer);
            resolve();
          });
        });
      }),
    );
  program
    .command('metrics')
    .description('print the lab\'s Prometheus metrics (served on 127.0.0.1 by the lab monitor)')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('--url', 'print the /metrics URL instead')
    .action((opts: { name: string; url?: boolean }) =>
      run(async () => {
        const state = requireLab(opts.name);
        if (!state.monitor) throw new LabError(`lab ${JSON.stringify(opts.name)} has no monitor: run 'podnet apply --name ${opts.name} -f …' to start it`);
        const url = `http://127.0.0.1:${state.monitor.port}/metrics`;
        if (opts.url) return void process.stdout.write(`${url}\n`);
        let res: Response;
        try {
          res = await fetch(url);
        } catch {
          throw new LabError(`the lab monitor does not answer at ${url}: 'podnet apply --name ${opts.name} -f …' restarts it`);
        }
        process.stdout.write(await res.text());
      }),
    );
}
