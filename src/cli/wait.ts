/** `podnet wait`: until pods are ready, not ready or deleted, as `kubectl wait` does; exit 1 on timeout. */
import type { Command } from 'commander';
import { podStatuses } from '../lab/lab.js';
import { labCluster } from '../api/lab-cluster.js';
import { loadState } from '../lab/state.js';
import { parseSelectorText, SelectorSyntaxError } from '../model/selector-text.js';
import { podKey } from '../model/types.js';
import { parseDuration, run, UsageError, write } from './common.js';
import { DEFAULT_LAB, requireLab } from './lab-common.js';
import { parseCondition, parseTargets, selectPods, type WaitCondition, type WaitPod } from './wait-spec.js';

const POLL_MS = 200;

interface WaitOptions { for?: string; name: string; namespace: string; allNamespaces?: boolean; selector?: string; all?: boolean; timeout: string }

export function registerWait(program: Command): void {
  program
    .command('wait')
    .description('wait until pods are ready, not ready or deleted (kubectl wait); exit 1 on timeout')
    .argument('<targets...>', 'pod/NAME…, or pods with --all or -l')
    .option('--for <condition>', 'condition=Ready, condition=Ready=false or delete')
    .option('--name <lab>', 'the lab', DEFAULT_LAB)
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-l, --selector <selector>', 'label selector: key=value, key!=value, key in (a,b), key, !key')
    .option('--all', 'every pod of the namespace')
    .option('--timeout <duration>', 'how long to wait: 30s, 2m, 1m30s', '30s')
    .action((args: string[], opts: WaitOptions) => run(() => waitFor(args, opts)));
}

async function waitFor(args: string[], opts: WaitOptions): Promise<void> {
  const condition = parseCondition(opts.for);
  const targets = parseTargets(args, { all: opts.all, selector: opts.selector === undefined ? undefined : selector(opts.selector) });
  const deadline = Date.now() + parseDuration(opts.timeout, 'wait: --timeout');
  const namespace = opts.allNamespaces ? undefined : opts.namespace;
  const state = requireLab(opts.name);
  const pods: WaitPod[] = labCluster(state).pods.map((p) => ({ key: podKey(p), namespace: p.namespace, name: p.name, labels: p.labels }));
  const chosen = selectPods(pods, targets, namespace);
  if ('names' in targets && condition.kind !== 'delete') {
    const missing = targets.names.filter((n) => !chosen.some((p) => p.name === n));
    if (missing.length > 0) throw new UsageError(`wait: no pod ${missing.map((n) => JSON.stringify(`${namespace ?? 'default'}/${n}`)).join(', ')} in lab ${JSON.stringify(opts.name)}`);
  }
  if (chosen.length === 0 && !('names' in targets)) {
    process.stderr.write('error: no matching resources found\n');
    process.exitCode = 1;
    return;
  }
  // Named pods already gone meet --for delete at once, as kubectl's does for missing objects.
  let pending = 'names' in targets && condition.kind === 'delete' ? [...chosen, ...gone(targets.names, chosen, namespace)] : chosen;
  for (;;) {
    pending = await notYet(opts.name, pending, condition);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      for (const p of pending) process.stderr.write(`error: timed out waiting for the condition on pods/${p.name}\n`);
      process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function selector(text: string) {
  try {
    return parseSelectorText(text);
  } catch (e) {
    if (e instanceof SelectorSyntaxError) throw new UsageError(`wait: -l: ${e.message}`);
    throw e;
  }
}

/** Named pods not in the lab (any more), as pods to wait for: they are deleted already. */
function gone(names: string[], chosen: WaitPod[], namespace: string | undefined): WaitPod[] {
  const ns = namespace ?? 'default';
  return names.filter((n) => !chosen.some((p) => p.name === n)).map((name) => ({ key: `${ns}/${name}`, namespace: ns, name, labels: {} }));
}

/** Prints the pods whose condition is met now; returns the others. */
async function notYet(lab: string, pending: WaitPod[], condition: WaitCondition): Promise<WaitPod[]> {
  const state = loadState(lab);
  const placed = new Set(state?.placements.map((p) => p.key) ?? []);
  const statuses = condition.kind === 'ready' && state ? await podStatuses(state) : undefined;
  return pending.filter((p) => {
    const met = condition.kind === 'delete' ? !placed.has(p.key) : (statuses?.get(p.key)?.ready ?? false) === condition.want;
    if (met) write(condition.kind === 'delete' ? `pod/${p.name} deleted` : `pod/${p.name} condition met`);
    return !met;
  });
}
