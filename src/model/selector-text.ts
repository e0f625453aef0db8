/**
 * Label selectors as text, the way `kubectl -l` takes them (apimachinery's labels.Parse):
 * comma-separated requirements, all of which must hold — `key=value`, `key==value`,
 * `key!=value`, `key`, `!key`, `key in (a,b)`, `key notin (a,b)`. Pure.
 */
import type { Selector, SelectorRequirement } from './labels.js';

export class SelectorSyntaxError extends Error {}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function requirements(text: string): string[] {
  if ((text.match(/\(/g) ?? []).length !== (text.match(/\)/g) ?? []).length) throw new SelectorSyntaxError(`label selector ${JSON.stringify(text)}: unbalanced parentheses`);
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

function key(k: string, text: string): string {
  if (!KEY.test(k)) throw new SelectorSyntaxError(`label selector ${JSON.stringify(text)}: ${JSON.stringify(k)} is not a label key`);
  return k;
}

function value(v: string, text: string): string {
  if (v.length > 63 || !VALUE.test(v)) throw new SelectorSyntaxError(`label selector ${JSON.stringify(text)}: ${JSON.stringify(v)} is not a label value`);
  return v;
}

function requirement(part: string, text: string): SelectorRequirement {
  if (part === '') throw new SelectorSyntaxError(`label selector ${JSON.stringify(text)}: empty requirement`);
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = set[3].split(',').map((v) => value(v.trim(), text));
    return { key: key(set[1], text), operator: set[2] === 'in' ? 'In' : 'NotIn', values };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (eq) return { key: key(eq[1], text), operator: eq[2] === '!=' ? 'NotIn' : 'In', values: [value(eq[3], text)] };
  if (part.startsWith('!')) return { key: key(part.slice(1).trim(), text), operator: 'DoesNotExist', values: [] };
  return { key: key(part, text), operator: 'Exists', values: [] };
}

/** The selector `text` means; an empty text selects everything. */
export function parseSelectorText(text: string): Selector {
  if (text.trim() === '') return { matchLabels: {}, matchExpressions: [] };
  return { matchLabels: {}, matchExpressions: requirements(text).map((p) => requirement(p, text)) };
}
