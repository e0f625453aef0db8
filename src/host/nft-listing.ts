/**
 * `nft -j list table` (libnftables' JSON schema, libnftables-json(5)) read into what the Nft
 * contract compares: chains with their number of rules, sets and maps with their element keys in
 * the transaction's text form (`10.96.0.1 . tcp . 80`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9`), and the
 * packets the chains' counters have seen (metrics read those). Pure.
 */

export interface TableListing {
  /** Chain name → number of rules. */
  chains: Record<string, number>;
  /** Set or map name → element keys, sorted. */
  sets: Record<string, string[]>;
  /** Chain name → packets its rules' counters have counted (chains with a `counter` only). */
  counters: Record<string, number>;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** One key expression as nft writes it in a script. */
export function keyText(v: Json): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(keyText).join(', ');
  if (v && typeof v === 'object') {
    if ('concat' in v && Array.isArray(v.concat)) return v.concat.map(keyText).join(' . ');
    if ('prefix' in v && v.prefix && typeof v.prefix === 'object' && !Array.isArray(v.prefix)) return `${keyText(v.prefix.addr)}/${keyText(v.prefix.len)}`;
    if ('range' in v && Array.isArray(v.range)) return `${keyText(v.range[0])}-${keyText(v.range[1])}`;
    if ('elem' in v && v.elem && typeof v.elem === 'object' && !Array.isArray(v.elem)) return keyText(v.elem.val);
  }
  throw new Error(`nft -j: an element key podnet does not read: ${JSON.stringify(v)}`);
}

export function parseListing(stdout: string): TableListing {
  const doc = JSON.parse(stdout) as { nftables?: Record<string, Record<string, Json>>[] };
  const out: TableListing = { chains: {}, sets: {}, counters: {} };
  for (const item of doc.nftables ?? []) {
    if (item.chain) out.chains[String(item.chain.name)] ??= 0;
    else if (item.rule) {
      const chain = String(item.rule.chain);
      out.chains[chain] = (out.chains[chain] ?? 0) + 1;
      for (const e of Array.isArray(item.rule.expr) ? item.rule.expr : []) {
        const c = e && typeof e === 'object' && !Array.isArray(e) ? e.counter : undefined;
        if (c === undefined) continue;
        const packets = c && typeof c === 'object' && !Array.isArray(c) && typeof c.packets === 'number' ? c.packets : 0;
        out.counters[chain] = (out.counters[chain] ?? 0) + packets;
      }
    } else if (item.set || item.map) {
      const s = (item.set ?? item.map)!;
      const elems = Array.isArray(s.elem) ? s.elem : [];
      // A map's element is [key, value]; a set's is the key.
      out.sets[String(s.name)] = elems.map((e) => keyText(item.map && Array.isArray(e) ? e[0] : e)).sort();
    }
  }
  return out;
}
