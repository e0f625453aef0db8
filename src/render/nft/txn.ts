/**
 * A small nftables transaction builder in the spirit of knftables: a Transaction is a plain value
 * holding an ordered list of add/flush/delete operations on one table. Every operation is
 * validated when it is queued; the first error sticks (later operations are ignored) and
 * `toString()` refuses to produce a script from a broken transaction. `toString()` is the
 * `nft -f` script: loading it is one atomic kernel transaction. Pure.
 */
import { NFT_NAME_LIMIT } from './names.js';

/** `ip` for podnet's node tables; `inet` for the lab's seal in the host's root namespace. */
export type Family = 'ip' | 'inet';
export type ChainType = 'filter' | 'nat';
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
export type SetFlag = 'dynamic' | 'timeout' | 'interval' | 'constant';
export type Verb = 'add' | 'flush' | 'delete';

export interface TableObj {
  kind: 'table';
  comment?: string;
}
/** A regular chain, or a base chain when type, hook and priority are all given. */
export interface ChainObj {
  kind: 'chain';
  name: string;
  type?: ChainType;
  hook?: Hook;
  priority?: number;
}
/** One rule, appended to its chain; `rule` is nft rule text ("ip saddr 10.0.0.1 jump x"). */
export interface RuleObj {
  kind: 'rule';
  chain: string;
  rule: string;
}
export interface SetObj {
  kind: 'set';
  name: string;
  type: string;
  flags?: readonly SetFlag[];
  timeoutSeconds?: number;
}
/** A map; `type` is "KEY-TYPE : VALUE-TYPE" ("inet_proto . inet_service : verdict"). */
export interface MapObj {
  kind: 'map';
  name: string;
  type: string;
}
/** An element of a set (no value) or of a map (with value). Key parts are joined with " . ". */
export interface ElementObj {
  kind: 'element';
  set?: string;
  map?: string;
  key: readonly string[];
  value?: string;
}
export type NftObject = TableObj | ChainObj | RuleObj | SetObj | MapObj | ElementObj;

export interface Operation {
  verb: Verb;
  obj: NftObject;
}

export class NftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NftError';
  }
}

const NAME = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;
const NAT_HOOKS: readonly Hook[] = ['prerouting', 'input', 'output', 'postrouting'];
const FLUSHABLE = new Set(['table', 'chain', 'set', 'map']);
const DELETABLE = new Set(['table', 'chain', 'set', 'map', 'element']);

export class Transaction {
  private readonly ops: Operation[] = [];
  private error: NftError | undefined;

  constructor(
    readonly family: Family,
    readonly table: string,
  ) {
    if (!NAME.test(table) || table.length > NFT_NAME_LIMIT) this.error = new NftError(`invalid table name ${JSON.stringify(table)}`);
  }

  add(obj: NftObject): this {
    return this.queue('add', obj);
  }
  flush(obj: NftObject): this {
    return this.queue('flush', obj);
  }
  delete(obj: NftObject): this {
    return this.queue('delete', obj);
  }

  /** The first validation error, if any (every later operation was ignored). */
  get err(): NftError | undefined {
    return this.error;
  }
  get operations(): readonly Operation[] {
    return this.ops;
  }
  get size(): number {
    return this.ops.length;
  }

  /**
   * The `nft -f` script. Throws the sticky error instead of producing a partial script.
   *
   * Compact, because nft's cost is per command: each run of consecutive `add` operations becomes
   * its tables, sets and maps (one line each), then ONE `table … { chain … { rules } … }` block
   * with the run's chains and rules (nft creates a block's chains before its rules, so a rule may
   * jump to a chain declared later), then one `add element` per set or map with all of the run's
   * elements (after the block: their verdicts name its chains); consecutive deletes of elements
   * of one set or map become one command too. Same transaction, same order of dependencies as
   * the operations (see toLines for the one-operation-per-line form).
   */
  toString(): string {
    if (this.error) throw this.error;
    const t = `${this.family} ${this.table}`;
    const out: string[] = [];
    let i = 0;
    while (i < this.ops.length) {
      const op = this.ops[i];
      if (op.verb === 'add') {
        let j = i;
        while (j < this.ops.length && this.ops[j].verb === 'add') j++;
        addRun(this.ops.slice(i, j), t, out);
        i = j;
      } else if (op.verb === 'delete' && op.obj.kind === 'element') {
        const name = op.obj.set ?? op.obj.map;
        const keys: string[] = [];
        while (i < this.ops.length && this.ops[i].verb === 'delete' && this.ops[i].obj.kind === 'element' && ((this.ops[i].obj as ElementObj).set ?? (this.ops[i].obj as ElementObj).map) === name) {
          keys.push(elementText(this.ops[i].obj as ElementObj, false));
          i++;
        }
        out.push(`delete element ${t} ${name} { ${keys.join(', ')} }\n`);
      } else {
        out.push(`${op.verb} ${format(op, t)}\n`);
        i++;
      }
    }
    return out.join('');
  }

  /** One operation per line (`add rule …`, `add element …`): the same transaction as toString. */
  toLines(): string {
    if (this.error) throw this.error;
    const t = `${this.family} ${this.table}`;
    return this.ops.map((op) => `${op.verb} ${format(op, t)}\n`).join('');
  }

  private queue(verb: Verb, obj: NftObject): this {
    if (this.error) return this;
    const problem = validate(verb, obj);
    if (problem) this.error = new NftError(`${verb} ${obj.kind}: ${problem}`);
    else this.ops.push({ verb, obj });
    return this;
  }
}

function badName(name: string | undefined): string | undefined {
  if (name === undefined || !NAME.test(name)) return `invalid name ${JSON.stringify(name)}`;
  if (name.length > NFT_NAME_LIMIT) return `name longer than ${NFT_NAME_LIMIT} characters: ${name}`;
  return undefined;
}

function validate(verb: Verb, obj: NftObject): string | undefined {
  if (verb === 'flush' && !FLUSHABLE.has(obj.kind)) return 'cannot be flushed';
  if (verb === 'delete' && !DELETABLE.has(obj.kind)) return 'cannot be deleted (rules are deleted by flushing their chain)';
  switch (obj.kind) {
    case 'table':
      return obj.comment !== undefined && /["\n]/.test(obj.comment) ? 'comment must not contain quotes or newlines' : undefined;
    case 'chain': {
      const base = [obj.type, obj.hook, obj.priority].filter((v) => v !== undefined).length;
      if (base !== 0 && base !== 3) return `${obj.name}: a base chain needs type, hook and priority`;
      if (obj.type === 'nat' && !NAT_HOOKS.includes(obj.hook!)) return `${obj.name}: nat chains cannot use the ${obj.hook} hook`;
      if (obj.priority !== undefined && !Number.isInteger(obj.priority)) return `${obj.name}: priority must be an integer`;
      return badName(obj.name);
    }
    case 'rule':
      if (obj.rule.trim() === '') return `${obj.chain}: empty rule`;
      if (/[;\n#]/.test(obj.rule)) return `${obj.chain}: rule text must be one rule without ';', '#' or newlines: ${obj.rule}`;
      return badName(obj.chain);
    case 'set':
    case 'map':
      if (verb === 'add' && obj.type.trim() === '') return `${obj.name}: missing type`;
      if (verb === 'add' && obj.kind === 'map' && !obj.type.includes(' : ')) return `${obj.name}: map type needs "KEY : VALUE"`;
      if (obj.kind === 'set' && obj.timeoutSeconds !== undefined && !(Number.isInteger(obj.timeoutSeconds) && obj.timeoutSeconds > 0)) {
        return `${obj.name}: timeout must be a positive number of seconds`;
      }
      return badName(obj.name);
    case 'element': {
      if ((obj.set === undefined) === (obj.map === undefined)) return 'exactly one of set and map';
      if (obj.map !== undefined && obj.value === undefined && verb === 'add') return `${obj.map}: a map element needs a value`;
      if (obj.set !== undefined && obj.value !== undefined) return `${obj.set}: a set element has no value`;
      if (obj.key.length === 0 || obj.key.some((k) => k === '' || /[,{}:;\n]/.test(k))) return `invalid key ${JSON.stringify(obj.key)}`;
      return badName(obj.set ?? obj.map);
    }
  }
}

/** A run of `add` operations: see Transaction.toString. */
function addRun(ops: readonly Operation[], t: string, out: string[]): void {
  const chains = new Map<string, { head?: string; rules: string[] }>();
  const elements = new Map<string, { kind: 'set' | 'map'; items: string[] }>();
  const chain = (name: string) => {
    let c = chains.get(name);
    if (!c) chains.set(name, (c = { rules: [] }));
    return c;
  };
  for (const op of ops) {
    const o = op.obj;
    if (o.kind === 'chain') {
      const c = chain(o.name);
      if (o.type) c.head = `type ${o.type} hook ${o.hook} priority ${o.priority} ; policy accept ;`;
    } else if (o.kind === 'rule') chain(o.chain).rules.push(o.rule);
    else if (o.kind === 'element') {
      const name = (o.set ?? o.map)!;
      let e = elements.get(name);
      if (!e) elements.set(name, (e = { kind: o.set !== undefined ? 'set' : 'map', items: [] }));
      e.items.push(elementText(o));
    } else out.push(`add ${format(op, t)}\n`); // table, set, map
  }
  if (chains.size > 0) {
    const body = [...chains].map(([name, c]) => `chain ${name} {\n${c.head ? `${c.head}\n` : ''}${c.rules.map((r) => `${r}\n`).join('')}}\n`);
    out.push(`table ${t} {\n${body.join('')}}\n`);
  }
  for (const [name, e] of elements) out.push(`add element ${t} ${name} { ${e.items.join(', ')} }\n`);
}

function format(op: Operation, t: string): string {
  const o = op.obj;
  switch (o.kind) {
    case 'table':
      return op.verb === 'add' && o.comment ? `table ${t} { comment "${o.comment}" ; }` : `table ${t}`;
    case 'chain':
      return op.verb === 'add' && o.type ? `chain ${t} ${o.name} { type ${o.type} hook ${o.hook} priority ${o.priority} ; policy accept ; }` : `chain ${t} ${o.name}`;
    case 'rule':
      return `rule ${t} ${o.chain} ${o.rule}`;
    case 'set': {
      if (op.verb !== 'add') return `set ${t} ${o.name}`;
      const flags = o.flags && o.flags.length > 0 ? ` flags ${o.flags.join(',')} ;` : '';
      const timeout = o.timeoutSeconds !== undefined ? ` timeout ${o.timeoutSeconds}s ;` : '';
      return `set ${t} ${o.name} { type ${o.type} ;${flags}${timeout} }`;
    }
    case 'map':
      return op.verb === 'add' ? `map ${t} ${o.name} { type ${o.type} ; }` : `map ${t} ${o.name}`;
    case 'element':
      return `element ${t} ${o.set ?? o.map} { ${elementText(o, op.verb === 'add')} }`;
  }
}

/** "k1 . k2 : value" (delete omits the value, as nft expects). */
export function elementText(e: ElementObj, withValue = true): string {
  const key = e.key.join(' . ');
  return withValue && e.value !== undefined ? `${key} : ${e.value}` : key;
}
