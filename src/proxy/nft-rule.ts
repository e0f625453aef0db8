/**
 * Parses the nft rule texts podnet's Service and NetworkPolicy renderers emit into matches and
 * statements, for the packet tracer. It knows exactly the expressions the renderer uses and throws on anything else,
 * so a renderer change that the tracer does not model fails the tests instead of passing them
 * silently (kube-proxy's nftables tracer works the same way). Pure.
 */

export type Item =
  | { kind: 'ct-new' }
  /** `ct state established,related`: never true for the first packet, which the tracer follows. */
  | { kind: 'ct-established' }
  | { kind: 'ct-dnat' }
  | { kind: 'in-set'; key: 'daddr.proto.dport' | 'saddr.proto.dport' | 'saddr.daddr'; set: string }
  | { kind: 'fib-local'; field: 'saddr' | 'daddr' }
  | { kind: 'ip'; field: 'saddr' | 'daddr'; negate: boolean; value: string }
  | { kind: 'l4proto'; proto: string }
  | { kind: 'dport'; proto: string; port: number }
  | { kind: 'mark-and'; mask: number; value: number }
  | { kind: 'numgen'; mod: number; value: number }
  | { kind: 'vmap'; key: 'daddr.proto.dport' | 'proto.dport' | 'saddr' | 'daddr'; map: string }
  /** `limit rate …`: the first packet is within any rate. */
  | { kind: 'limit' }
  /** `meta nftrace set 1`, `counter`: no effect on the verdict. */
  | { kind: 'no-op' }
  | { kind: 'numgen-vmap'; mod: number; verdicts: Map<number, string> }
  | { kind: 'verdict'; verdict: string }
  | { kind: 'dnat'; ip: string; port: number }
  /** `dnat ip to [ip daddr .] meta l4proto . th dport map @m`: the endpoint is the map's value
   *  for the packet's key (no element: the rule does not match). */
  | { kind: 'dnat-map'; key: 'daddr.proto.dport' | 'proto.dport'; map: string }
  | { kind: 'masquerade' }
  | { kind: 'reject'; how: 'tcp-reset' | 'icmp-port-unreachable' | 'admin-prohibited' }
  | { kind: 'mark-set'; op: 'or' | 'xor'; value: number }
  | { kind: 'update'; set: string };

const PROTOS = new Set(['tcp', 'udp', 'sctp']);
const cache = new Map<string, Item[]>();

export function parseRule(text: string): Item[] {
  let items = cache.get(text);
  if (!items) {
    items = parse(text);
    cache.set(text, items);
  }
  return items;
}

function parse(text: string): Item[] {
  const t = text.replace(/,/g, ' , ').trim().split(/\s+/);
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`tracer: unsupported rule (${why} at "${t.slice(i).join(' ')}"): ${text}`);
  };
  const take = (...expected: string[]) => {
    for (const e of expected) if (t[i++] !== e) fail(`expected ${e}`);
  };
  const num = (): number => {
    const v = Number(t[i++]);
    return Number.isFinite(v) ? v : fail('expected a number');
  };
  const verdict = (): string => {
    const v = t[i++];
    if (v === 'jump' || v === 'goto') return `${v} ${t[i++]}`;
    return ['drop', 'accept', 'return'].includes(v) ? v : fail('expected a verdict');
  };
  const items: Item[] = [];
  while (i < t.length) {
    const w = t[i];
    if (w === 'ct' && t[i + 1] === 'status') (take('ct', 'status', 'dnat'), items.push({ kind: 'ct-dnat' }));
    else if (w === 'ct' && t[i + 2] === 'established') (take('ct', 'state', 'established', ',', 'related'), items.push({ kind: 'ct-established' }));
    else if (w === 'counter') (i++, items.push({ kind: 'no-op' }));
    else if (w === 'limit') {
      take('limit', 'rate');
      if (!/^\d+\/second$/.test(t[i++] ?? '')) fail('expected N/second');
      take('burst');
      num();
      take('packets');
      items.push({ kind: 'limit' });
    }
    else if (w === 'ct') (take('ct', 'state', 'new'), items.push({ kind: 'ct-new' }));
    else if (w === 'fib') {
      i++;
      const field = t[i++] === 'saddr' ? 'saddr' : 'daddr';
      take('type', 'local');
      items.push({ kind: 'fib-local', field });
    } else if (w === 'ip' && t[i + 2] === '.' && t[i + 1] === 'saddr' && t[i + 3] === 'meta') {
      take('ip', 'saddr', '.', 'meta', 'l4proto', '.', 'th', 'dport');
      if (!t[i]?.startsWith('@')) fail('expected @set');
      items.push({ kind: 'in-set', key: 'saddr.proto.dport', set: t[i++].slice(1) });
    } else if (w === 'ip' && t[i + 2] === '.' && t[i + 1] === 'saddr') {
      take('ip', 'saddr', '.', 'ip', 'daddr');
      if (!t[i]?.startsWith('@')) fail('expected @set');
      items.push({ kind: 'in-set', key: 'saddr.daddr', set: t[i++].slice(1) });
    } else if (w === 'ip' && t[i + 2] === '.') {
      take('ip', 'daddr', '.', 'meta', 'l4proto', '.', 'th', 'dport');
      if (t[i]?.startsWith('@')) items.push({ kind: 'in-set', key: 'daddr.proto.dport', set: t[i++].slice(1) });
      else (take('vmap'), items.push({ kind: 'vmap', key: 'daddr.proto.dport', map: t[i++].replace(/^@/, '') }));
    } else if (w === 'ip') {
      i++;
      const field = t[i++];
      if (field !== 'saddr' && field !== 'daddr') fail('expected saddr or daddr');
      if (t[i] === 'vmap') {
        i++;
        if (!t[i]?.startsWith('@')) fail('expected @map');
        items.push({ kind: 'vmap', key: field as 'saddr' | 'daddr', map: t[i++].slice(1) });
        continue;
      }
      const negate = t[i] === '!=' ? (i++, true) : false;
      items.push({ kind: 'ip', field: field as 'saddr' | 'daddr', negate, value: t[i++] });
    } else if (w === 'meta' && t[i + 2] === '.') {
      take('meta', 'l4proto', '.', 'th', 'dport', 'vmap');
      items.push({ kind: 'vmap', key: 'proto.dport', map: t[i++].replace(/^@/, '') });
    } else if (w === 'meta' && t[i + 1] === 'nftrace') {
      take('meta', 'nftrace', 'set', '1');
      items.push({ kind: 'no-op' });
    } else if (w === 'meta') {
      take('meta', 'l4proto');
      items.push({ kind: 'l4proto', proto: t[i++] });
    } else if (PROTOS.has(w) && t[i + 1] === 'dport') {
      i += 2;
      items.push({ kind: 'dport', proto: w, port: num() });
    } else if (w === 'mark' && t[i + 1] === 'and') {
      i += 2;
      const mask = num();
      take('==');
      items.push({ kind: 'mark-and', mask, value: num() });
    } else if (w === 'mark') {
      take('mark', 'set', 'mark');
      const op = t[i++] === 'or' ? 'or' : 'xor';
      items.push({ kind: 'mark-set', op, value: num() });
    } else if (w === 'numgen') {
      take('numgen', 'random', 'mod');
      const mod = num();
      if (t[i] === '==') (i++, items.push({ kind: 'numgen', mod, value: num() }));
      else {
        take('vmap', '{');
        const verdicts = new Map<number, string>();
        while (t[i] !== '}') {
          const k = num();
          take(':');
          verdicts.set(k, verdict());
          if (t[i] === ',') i++;
        }
        i++;
        items.push({ kind: 'numgen-vmap', mod, verdicts });
      }
    } else if (w === 'dnat' && t[i + 1] === 'ip') {
      take('dnat', 'ip', 'to');
      const key = t[i] === 'ip' ? (take('ip', 'daddr', '.'), 'daddr.proto.dport' as const) : ('proto.dport' as const);
      take('meta', 'l4proto', '.', 'th', 'dport', 'map');
      if (!t[i]?.startsWith('@')) fail('expected @map');
      items.push({ kind: 'dnat-map', key, map: t[i++].slice(1) });
    } else if (w === 'dnat') {
      take('dnat', 'to');
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(t[i++]) ?? fail('expected ip:port');
      items.push({ kind: 'dnat', ip: m[1], port: Number(m[2]) });
    } else if (w === 'masquerade') {
      i++;
      if (t[i] === 'fully-random') i++;
      items.push({ kind: 'masquerade' });
    } else if (w === 'reject') {
      i++;
      if (i >= t.length) items.push({ kind: 'reject', how: 'icmp-port-unreachable' });
      else if (t[i + 1] === 'tcp') (take('with', 'tcp', 'reset'), items.push({ kind: 'reject', how: 'tcp-reset' }));
      else if (t[i + 2] === 'admin-prohibited') (take('with', 'icmp', 'admin-prohibited'), items.push({ kind: 'reject', how: 'admin-prohibited' }));
      else (take('with', 'icmp', 'port-unreachable'), items.push({ kind: 'reject', how: 'icmp-port-unreachable' }));
    } else if (w === 'update') {
      i++;
      const set = t[i++].replace(/^@/, '');
      take('{', 'ip', 'saddr', '}');
      items.push({ kind: 'update', set });
    } else items.push({ kind: 'verdict', verdict: verdict() });
  }
  return items;
}
