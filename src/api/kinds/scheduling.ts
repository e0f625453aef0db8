/** Reading the scheduling parts of a PodSpec (affinity, tolerations, topologySpreadConstraints) and Node taints. */
import type { Selector } from '../../model/labels.js';
import type { Affinity, NodeSelectorOperator, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, Taint, TaintEffect, Toleration, TopologySpreadConstraint, Weighted } from '../../model/types.js';
import { join, readArray, readInt, readObj, readSelector, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

const NODE_OPS: readonly NodeSelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function list<T>(v: unknown, path: string, p: ObjectProblems, read: (o: Obj, path: string) => T | undefined): T[] {
  return (readArray(v, path, p) ?? []).flatMap((x, i) => {
    const o = readObj(x, join(path, i), p);
    const r = o ? read(o, join(path, i)) : undefined;
    return r === undefined ? [] : [r];
  });
}

function requirement(o: Obj, path: string, p: ObjectProblems): NodeSelectorRequirement | undefined {
  const key = readString(o.key, join(path, 'key'), p);
  const op = readString(o.operator, join(path, 'operator'), p);
  const values = (readArray(o.values, join(path, 'values'), p) ?? []).map((x) => String(x));
  if (key === undefined) return void p.error(join(path, 'key'), 'required field is missing');
  if (op === undefined || !NODE_OPS.includes(op as NodeSelectorOperator)) return void p.error(join(path, 'operator'), `${op === undefined ? 'required field is missing' : `${show(op)} is not valid`} (${NODE_OPS.join(', ')})`);
  // "If the operator is In or NotIn, the values array must be non-empty. If the operator is Exists
  // or DoesNotExist, the values array must be empty. If the operator is Gt or Lt, the values array
  // must have a single element, which will be interpreted as an integer."
  if ((op === 'In' || op === 'NotIn') && values.length === 0) return void p.error(join(path, 'values'), `must be non-empty when operator is ${op}`);
  if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) return void p.error(join(path, 'values'), `must be empty when operator is ${op}`);
  if ((op === 'Gt' || op === 'Lt') && (values.length !== 1 || !/^-?[0-9]+$/.test(values[0]))) return void p.error(join(path, 'values'), `must be a single integer when operator is ${op}`);
  return { key, operator: op as NodeSelectorOperator, values };
}

function term(o: Obj, path: string, p: ObjectProblems): NodeSelectorTerm {
  return {
    matchExpressions: list(o.matchExpressions, join(path, 'matchExpressions'), p, (x, xp) => requirement(x, xp, p)),
    matchFields: list(o.matchFields, join(path, 'matchFields'), p, (x, xp) => requirement(x, xp, p)),
  };
}

function podTerm(o: Obj, path: string, p: ObjectProblems): PodAffinityTerm | undefined {
  const topologyKey = readString(o.topologyKey, join(path, 'topologyKey'), p);
  if (!topologyKey) return void p.error(join(path, 'topologyKey'), 'required field is missing');
  const selector: Selector | null = readSelector(o.labelSelector, join(path, 'labelSelector'), p) ?? null;
  const namespaceSelector: Selector | null = readSelector(o.namespaceSelector, join(path, 'namespaceSelector'), p) ?? null;
  const namespaces = (readArray(o.namespaces, join(path, 'namespaces'), p) ?? []).map((x) => String(x));
  return { selector, namespaces, namespaceSelector, topologyKey };
}

function weighted<T>(o: Obj, path: string, p: ObjectProblems, key: string, read: (o: Obj, path: string) => T | undefined): Weighted<T> | undefined {
  const weight = readInt(o.weight, join(path, 'weight'), p, 1, 100);
  const inner = readObj(o[key], join(path, key), p);
  if (weight === undefined) return void p.error(join(path, 'weight'), 'required field is missing (1-100)');
  if (!inner) return void p.error(join(path, key), 'required field is missing');
  const t = read(inner, join(path, key));
  return t === undefined ? undefined : { weight, term: t };
}

export function readAffinity(v: unknown, path: string, p: ObjectProblems): Affinity | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const node = readObj(o.nodeAffinity, join(path, 'nodeAffinity'), p) ?? {};
  const pod = readObj(o.podAffinity, join(path, 'podAffinity'), p) ?? {};
  const anti = readObj(o.podAntiAffinity, join(path, 'podAntiAffinity'), p) ?? {};
  const reqPath = join(join(path, 'nodeAffinity'), 'requiredDuringSchedulingIgnoredDuringExecution');
  const req = readObj(node.requiredDuringSchedulingIgnoredDuringExecution, reqPath, p);
  const R = 'requiredDuringSchedulingIgnoredDuringExecution';
  const P = 'preferredDuringSchedulingIgnoredDuringExecution';
  const podTerms = (x: Obj, sub: string) => list(x[R], join(join(path, sub), R), p, (t, tp) => podTerm(t, tp, p));
  const podPrefs = (x: Obj, sub: string) => list(x[P], join(join(path, sub), P), p, (t, tp) => weighted(t, tp, p, 'podAffinityTerm', (i, ip) => podTerm(i, ip, p)));
  return {
    nodeRequired: req ? list(req.nodeSelectorTerms, join(reqPath, 'nodeSelectorTerms'), p, (t, tp) => term(t, tp, p)) : null,
    nodePreferred: list(node[P], join(join(path, 'nodeAffinity'), P), p, (t, tp) => weighted(t, tp, p, 'preference', (i, ip) => term(i, ip, p))),
    podRequired: podTerms(pod, 'podAffinity'),
    podPreferred: podPrefs(pod, 'podAffinity'),
    antiRequired: podTerms(anti, 'podAntiAffinity'),
    antiPreferred: podPrefs(anti, 'podAntiAffinity'),
  };
}

export function readTolerations(v: unknown, path: string, p: ObjectProblems): Toleration[] | undefined {
  if (v === undefined) return undefined;
  return list(v, path, p, (o, tp) => {
    const key = readString(o.key, join(tp, 'key'), p) ?? '';
    const operator = readString(o.operator, join(tp, 'operator'), p) ?? 'Equal';
    const effect = readString(o.effect, join(tp, 'effect'), p);
    if (operator !== 'Equal' && operator !== 'Exists') return void p.error(join(tp, 'operator'), `${show(operator)} is not valid (Exists, Equal)`);
    if (effect !== undefined && effect !== '' && !EFFECTS.includes(effect as TaintEffect)) return void p.error(join(tp, 'effect'), `${show(effect)} is not valid (${EFFECTS.join(', ')})`);
    // "If the key is empty, operator must be Exists; this combination means to match all values and all keys."
    if (key === '' && operator !== 'Exists') return void p.error(join(tp, 'operator'), 'must be Exists when key is empty');
    return { key, operator, value: readString(o.value, join(tp, 'value'), p) ?? '', ...(effect ? { effect: effect as TaintEffect } : {}) };
  });
}

export function readTaints(v: unknown, path: string, p: ObjectProblems): Taint[] {
  return list(v, path, p, (o, tp) => {
    const key = readString(o.key, join(tp, 'key'), p);
    const effect = readString(o.effect, join(tp, 'effect'), p);
    if (!key) return void p.error(join(tp, 'key'), 'required field is missing');
    if (!effect || !EFFECTS.includes(effect as TaintEffect)) return void p.error(join(tp, 'effect'), `${effect === undefined ? 'required field is missing' : `${show(effect)} is not valid`} (${EFFECTS.join(', ')})`);
    return { key, value: readString(o.value, join(tp, 'value'), p) ?? '', effect: effect as TaintEffect };
  });
}

/** spec.topologySpreadConstraints. */
export function readSpreadConstraints(v: unknown, path: string, p: ObjectProblems): TopologySpreadConstraint[] | undefined {
  if (v === undefined) return undefined;
  return list(v, path, p, (o, cp) => {
    const maxSkew = readInt(o.maxSkew, join(cp, 'maxSkew'), p, 1);
    const topologyKey = readString(o.topologyKey, join(cp, 'topologyKey'), p);
    const when = readString(o.whenUnsatisfiable, join(cp, 'whenUnsatisfiable'), p);
    if (maxSkew === undefined) return void p.error(join(cp, 'maxSkew'), 'required field is missing (an integer ≥ 1)');
    if (!topologyKey) return void p.error(join(cp, 'topologyKey'), 'required field is missing');
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') return void p.error(join(cp, 'whenUnsatisfiable'), `${when === undefined ? 'required field is missing' : `${show(when)} is not valid`} (DoNotSchedule, ScheduleAnyway)`);
    const minDomains = readInt(o.minDomains, join(cp, 'minDomains'), p, 1);
    if (minDomains !== undefined && when !== 'DoNotSchedule') p.error(join(cp, 'minDomains'), 'may only be set with whenUnsatisfiable: DoNotSchedule');
    const policy = (key: string, dflt: 'Honor' | 'Ignore') => {
      const s = readString(o[key], join(cp, key), p);
      if (s !== undefined && s !== 'Honor' && s !== 'Ignore') p.error(join(cp, key), `${show(s)} is not valid (Honor, Ignore)`);
      return s === 'Honor' || s === 'Ignore' ? s : dflt;
    };
    const selector: Selector | null = readSelector(o.labelSelector, join(cp, 'labelSelector'), p) ?? null;
    const matchLabelKeys = (readArray(o.matchLabelKeys, join(cp, 'matchLabelKeys'), p) ?? []).map((x) => String(x));
    return { maxSkew, topologyKey, whenUnsatisfiable: when, selector, matchLabelKeys, minDomains: minDomains ?? 1, nodeAffinityPolicy: policy('nodeAffinityPolicy', 'Honor'), nodeTaintsPolicy: policy('nodeTaintsPolicy', 'Ignore') };
  });
}
