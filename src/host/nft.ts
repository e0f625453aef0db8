/**
 * nftables behind a small interface, as knftables has it: run a transaction value in a network
 * namespace, list a table. Two implementations keep one contract (test/unit/nft-contract.test.ts
 * runs the same suite on both): `CliNft`, the `nft` command through a Host, and `FakeNft`, the
 * in-memory Ruleset (src/render/nft/ruleset.ts) that applies transactions with the kernel's rules
 * for what fails. Callers hand over Transactions, never script text.
 */
import type { Host } from './host.js';
import { Ruleset } from '../render/nft/ruleset.js';
import { NftError, type Family, type Transaction } from '../render/nft/txn.js';
import { parseListing, type TableListing } from './nft-listing.js';

export type { TableListing } from './nft-listing.js';

export interface Nft {
  /** Applies the whole transaction in `netns` (null: the root namespace) or nothing of it:
   *  a refused transaction throws NftError and changes nothing. */
  run(netns: string | null, tx: Transaction): Promise<void>;
  /** The table's chains (with their rules' count) and sets and maps (with their element keys);
   *  null when the table does not exist. */
  list(netns: string | null, family: Family, table: string): Promise<TableListing | null>;
  /** Every table of the namespace as text, without counter values (what changes only when
   *  someone changes the ruleset: the monitor fingerprints it). Same text, same ruleset. */
  ruleset(netns: string | null): Promise<string>;
}

/** The `nft` command (one `nft -f -` per transaction: the kernel applies a file atomically). */
export class CliNft implements Nft {
  constructor(private readonly host: Host) {}

  async run(netns: string | null, tx: Transaction): Promise<void> {
    if (tx.size === 0 && !tx.err) return;
    const r = await this.host.exec(netns, ['nft', '-f', '-'], tx.toString());
    if (r.code !== 0) throw new NftError(r.stderr.trim().split('\n').slice(0, 3).join(' ') || `nft exited ${r.code}`);
  }

  async list(netns: string | null, family: Family, table: string): Promise<TableListing | null> {
    const r = await this.host.exec(netns, ['nft', '-j', 'list', 'table', family, table]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return null;
      throw new NftError(r.stderr.trim().split('\n')[0] || `nft exited ${r.code}`);
    }
    return parseListing(r.stdout);
  }

  async ruleset(netns: string | null): Promise<string> {
    // -s (stateless): no counter values, which every packet changes.
    const r = await this.host.exec(netns, ['nft', '-s', 'list', 'ruleset']);
    if (r.code !== 0) throw new NftError(r.stderr.trim().split('\n')[0] || `nft exited ${r.code}`);
    return r.stdout;
  }
}

/** In memory: one Ruleset per namespace. */
export class FakeNft implements Nft {
  private readonly rulesets = new Map<string, Ruleset>();

  /** The namespace's Ruleset (for the packet tracer and dumps in tests). */
  model(netns: string | null): Ruleset {
    const key = netns ?? '';
    let r = this.rulesets.get(key);
    if (!r) this.rulesets.set(key, (r = new Ruleset()));
    return r;
  }

  async run(netns: string | null, tx: Transaction): Promise<void> {
    if (tx.size === 0 && !tx.err) return;
    this.model(netns).apply(tx);
  }

  async list(netns: string | null, family: Family, table: string): Promise<TableListing | null> {
    const t = this.model(netns).table(family, table);
    if (!t) return null;
    return {
      chains: Object.fromEntries([...t.chains.values()].map((c) => [c.name, c.rules.length])),
      sets: Object.fromEntries([...t.sets.values()].map((s) => [s.name, [...s.elements.keys()].sort()])),
      // No packets cross a fake: its counters stay at zero.
      counters: Object.fromEntries([...t.chains.values()].filter((c) => c.rules.some((r) => /\bcounter\b/.test(r))).map((c) => [c.name, 0])),
    };
  }

  async ruleset(netns: string | null): Promise<string> {
    return this.model(netns).dump();
  }
}
