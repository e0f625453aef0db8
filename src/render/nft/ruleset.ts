/**
 * An in-memory nftables ruleset (the "fake" of knftables): Transactions are applied to it with
 * the kernel's rules for what may fail — a rule naming a missing chain or set, deleting a chain
 * that still has rules or is still referenced, deleting something absent — and atomically (a
 * failing transaction changes nothing). `dump()` is a canonical listing for comparisons; the
 * packet tracer walks this model. Pure.
 */
import { NftError, elementText, type ChainType, type Hook, type Operation, type SetFlag, type Transaction } from './txn.js';

export interface ChainState {
  name: string;
  type?: ChainType;
  hook?: Hook;
  priority?: number;
  rules: string[];
}

export interface SetState {
  name: string;
  isMap: boolean;
  type: string;
  flags: readonly SetFlag[];
  timeoutSeconds?: number;
  /** Key text ("10.96.0.1 . tcp . 80") → value text (maps) or '' (sets). */
  elements: Map<string, string>;
}

export interface TableState {
  chains: Map<string, ChainState>;
  sets: Map<string, SetState>;
}

/** Chains a rule or verdict jumps to, and sets it reads or updates. */
export function chainRefs(text: string): string[] {
  return [...text.matchAll(/\b(?:jump|goto) ([A-Za-z_.][A-Za-z0-9_./-]*)/g)].map((m) => m[1]);
}
export function setRefs(text: string): string[] {
  return [...text.matchAll(/@([A-Za-z_.][A-Za-z0-9_./-]*)/g)].map((m) => m[1]);
}

export class Ruleset {
  private readonly tables = new Map<string, TableState>();

  table(family: string, name: string): TableState | undefined {
    return this.tables.get(`${family} ${name}`);
  }

  /** Applies every operation, or none: throws NftError on the first failing one. */
  apply(tx: Transaction): void {
    if (tx.err) throw tx.err;
    const key = `${tx.family} ${tx.table}`;
    const before = this.tables.get(key);
    const work = before ? cloneTable(before) : undefined;
    let current = work;
    tx.operations.forEach((op, i) => {
      try {
        current = step(current, op);
      } catch (e) {
        throw new NftError(`operation ${i + 1} (${op.verb} ${op.obj.kind}): ${(e as Error).message}`);
      }
    });
    if (current) this.tables.set(key, current);
    else this.tables.delete(key);
  }

  /** Canonical text: chains, sets and maps sorted by name, elements sorted, rules in order. */
  dump(): string {
    const out: string[] = [];
    for (const [name, t] of [...this.tables].sort(([a], [b]) => cmp(a, b))) {
      out.push(`table ${name}`);
      for (const c of [...t.chains.values()].sort((a, b) => cmp(a.name, b.name))) {
        out.push(`  chain ${c.name}${c.type ? ` { type ${c.type} hook ${c.hook} priority ${c.priority} }` : ''}`, ...c.rules.map((r) => `    ${r}`));
      }
      for (const s of [...t.sets.values()].sort((a, b) => cmp(a.name, b.name))) {
        const flags = s.flags.length > 0 ? ` flags ${s.flags.join(',')}` : '';
        out.push(`  ${s.isMap ? 'map' : 'set'} ${s.name} { type ${s.type}${flags}${s.timeoutSeconds ? ` timeout ${s.timeoutSeconds}s` : ''} }`);
        for (const [k, v] of [...s.elements].sort(([a], [b]) => cmp(a, b))) out.push(`    ${s.isMap ? `${k} : ${v}` : k}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cloneTable(t: TableState): TableState {
  return {
    chains: new Map([...t.chains].map(([k, c]) => [k, { ...c, rules: [...c.rules] }])),
    sets: new Map([...t.sets].map(([k, s]) => [k, { ...s, elements: new Map(s.elements) }])),
  };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`No such file or directory: ${what}`);
  return value;
}

/** Is `name` still used by a rule, a map element's verdict, or (for sets) a rule's @name? */
function referenced(t: TableState, name: string, kind: 'chain' | 'set'): boolean {
  const refs = kind === 'chain' ? chainRefs : setRefs;
  for (const c of t.chains.values()) if (c.rules.some((r) => refs(r).includes(name))) return true;
  if (kind === 'chain') for (const s of t.sets.values()) for (const v of s.elements.values()) if (chainRefs(v).includes(name)) return true;
  return false;
}

function step(t: TableState | undefined, op: Operation): TableState | undefined {
  const o = op.obj;
  if (o.kind === 'table') {
    if (op.verb === 'add') return t ?? { chains: new Map(), sets: new Map() };
    need(t, 'table');
    return op.verb === 'delete' ? undefined : (t!.chains.forEach((c) => (c.rules = [])), t);
  }
  const table = need(t, 'table');
  switch (o.kind) {
    case 'chain': {
      const c = table.chains.get(o.name);
      if (op.verb === 'add') {
        if (c && (c.type !== o.type || c.hook !== o.hook || c.priority !== o.priority)) throw new Error(`File exists: chain ${o.name} with other hook`);
        if (!c) table.chains.set(o.name, { name: o.name, type: o.type, hook: o.hook, priority: o.priority, rules: [] });
      } else if (op.verb === 'flush') need(c, `chain ${o.name}`).rules = [];
      else {
        if (need(c, `chain ${o.name}`).rules.length > 0 || referenced(table, o.name, 'chain')) throw new Error(`Device or resource busy: chain ${o.name}`);
        table.chains.delete(o.name);
      }
      break;
    }
    case 'rule': {
      const c = need(table.chains.get(o.chain), `chain ${o.chain}`);
      for (const r of chainRefs(o.rule)) need(table.chains.get(r), `chain ${r}`);
      for (const s of setRefs(o.rule)) need(table.sets.get(s), `set ${s}`);
      c.rules.push(o.rule);
      break;
    }
    case 'set':
    case 'map': {
      const s = table.sets.get(o.name);
      if (op.verb === 'add') {
        const timeout = o.kind === 'set' ? o.timeoutSeconds : undefined;
        if (s && (s.type !== o.type || s.isMap !== (o.kind === 'map') || s.timeoutSeconds !== timeout)) throw new Error(`File exists: ${o.kind} ${o.name} with another type`);
        if (!s) table.sets.set(o.name, { name: o.name, isMap: o.kind === 'map', type: o.type, flags: o.kind === 'set' ? (o.flags ?? []) : [], timeoutSeconds: timeout, elements: new Map() });
      } else if (op.verb === 'flush') need(s, `${o.kind} ${o.name}`).elements.clear();
      else {
        need(s, `${o.kind} ${o.name}`);
        if (referenced(table, o.name, 'set')) throw new Error(`Device or resource busy: ${o.kind} ${o.name}`);
        table.sets.delete(o.name);
      }
      break;
    }
    case 'element': {
      const name = (o.set ?? o.map)!;
      const s = need(table.sets.get(name), `set ${name}`);
      const key = elementText(o, false);
      if (op.verb === 'delete') {
        if (!s.elements.delete(key)) throw new Error(`No such file or directory: element ${key} in ${name}`);
        break;
      }
      const value = o.value ?? '';
      for (const r of chainRefs(value)) need(table.chains.get(r), `chain ${r}`);
      const old = s.elements.get(key);
      if (old !== undefined && old !== value) throw new Error(`File exists: element ${key} in ${name}`);
      s.elements.set(key, value);
      break;
    }
  }
  return table;
}
