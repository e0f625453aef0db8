/** Label selectors as the Kubernetes API defines them (metav1.LabelSelector). */

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values: readonly string[];
}

export interface Selector {
  matchLabels: Labels;
  matchExpressions: readonly SelectorRequirement[];
}

export const SELECT_ALL: Selector = { matchLabels: {}, matchExpressions: [] };

/**
 * "The requirements are ANDed." — matchLabels entries and matchExpressions must all hold.
 * "An empty label selector matches all objects."
 */
export function matchesSelector(selector: Selector, labels: Labels): boolean {
  // for…in, not Object.entries: no array per call on the analyzer's hottest path.
  const match = selector.matchLabels;
  for (const key in match) {
    if (labels[key] !== match[key]) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    switch (req.operator) {
      case 'In':
        if (!has || !req.values.includes(labels[req.key])) return false;
        break;
      case 'NotIn':
        // NotIn matches objects that lack the key, as in apimachinery's labels.Requirement.
        if (has && req.values.includes(labels[req.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/**
 * A string naming the selector, equal for selectors written alike (in the same order): a cache
 * key, cheaper than JSON. Parts are NUL-separated and expressions start with \u0001, characters
 * no label key or value may hold, so two different selectors never share a key.
 */
export function selectorKey(selector: Selector): string {
  let key = '';
  const match = selector.matchLabels;
  for (const k in match) key += `${k}\u0000${match[k]}\u0000`;
  for (const req of selector.matchExpressions) {
    key += `\u0001${req.key}\u0000${req.operator}`;
    for (const v of req.values) key += `\u0000${v}`;
  }
  return key;
}

export function formatSelector(selector: Selector): string {
  const parts = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions) {
    if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
    else parts.push(`${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`);
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}
