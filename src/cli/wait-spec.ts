/**
 * What `podnet wait` waits for, read from its arguments the way `kubectl wait` reads them:
 * targets (`pod/NAME`…, or `pods` with `--all` or `-l`), the condition (`--for condition=Ready`,
 * `condition=Ready=false`, `delete`); the timeout is a Go duration (common.ts parseDuration).
 * Pure.
 */
import { matchesSelector, type Labels, type Selector } from '../model/labels.js';
import { UsageError } from './common.js';

export type WaitCondition = { kind: 'ready'; want: boolean } | { kind: 'delete' };

/** Pods to wait for: these names, or every pod matching `selector` (in `namespace`, or all). */
export type WaitTargets = { names: string[] } | { selector: Selector };

const POD_WORDS = ['pod', 'pods', 'po'];

export function parseTargets(args: readonly string[], opts: { all?: boolean; selector?: Selector }): WaitTargets {
  const names: string[] = [];
  let bare = false;
  for (const a of args) {
    const slash = a.indexOf('/');
    const word = slash < 0 ? a : a.slice(0, slash);
    if (!POD_WORDS.includes(word)) throw new UsageError(`wait: ${JSON.stringify(a)}: podnet waits for pods (pod/NAME, or pods with --all or -l)`);
    if (slash < 0) bare = true;
    else if (a.slice(slash + 1) === '') throw new UsageError(`wait: ${JSON.stringify(a)}: no pod name after the slash`);
    else names.push(a.slice(slash + 1));
  }
  if (names.length > 0) {
    if (bare || opts.all || opts.selector) throw new UsageError('wait: name pods (pod/NAME) or select them (pods with --all or -l), not both');
    return { names };
  }
  if (!bare) throw new UsageError('wait: which pods? pod/NAME, or pods with --all or -l SELECTOR');
  if (!opts.all && !opts.selector) throw new UsageError('wait: resource(s) were provided, but no name was specified: add --all or -l SELECTOR');
  return { selector: opts.selector ?? { matchLabels: {}, matchExpressions: [] } };
}

export function parseCondition(text: string | undefined): WaitCondition {
  if (text === undefined) throw new UsageError('wait: --for is required: condition=Ready, condition=Ready=false or delete');
  if (text === 'delete') return { kind: 'delete' };
  const m = /^condition=Ready(?:=(true|false))?$/i.exec(text);
  if (!m) throw new UsageError(`wait: --for ${JSON.stringify(text)}: podnet knows condition=Ready, condition=Ready=false and delete`);
  return { kind: 'ready', want: (m[1] ?? 'true').toLowerCase() === 'true' };
}

export interface WaitPod {
  key: string;
  namespace: string;
  name: string;
  labels: Labels;
}

/** The pods `targets` picks among `pods` (named ones that do not exist are reported by the caller). */
export function selectPods(pods: readonly WaitPod[], targets: WaitTargets, namespace: string | undefined): WaitPod[] {
  const inNs = (p: WaitPod) => namespace === undefined || p.namespace === namespace;
  if ('names' in targets) return targets.names.flatMap((n) => pods.filter((p) => inNs(p) && p.name === n));
  return pods.filter((p) => inNs(p) && matchesSelector(targets.selector, p.labels));
}
