/**
 * The Nft contract (src/host/nft.ts), one suite for every implementation (Hono's
 * `runTest({ newRouter })` pattern): run on FakeNft always (test/unit/nft-contract.test.ts) and on
 * CliNft with the real kernel as root (test/integration/nft-contract.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Nft, TableListing } from '../../src/host/nft.js';
import { NftError, Transaction } from '../../src/render/nft/txn.js';

export interface ContractTarget {
  nft: () => Nft;
  /** The namespace to run in (fresh, empty); null: the root namespace of a fake. */
  netns: () => string | null;
}

const TABLE = 'podnet-contract';

/** The full sync: a base chain dispatching through a verdict map to two chains, a set. */
function fullSync(): Transaction {
  const tx = new Transaction('ip', TABLE);
  tx.add({ kind: 'table' }).delete({ kind: 'table' }).add({ kind: 'table' });
  tx.add({ kind: 'chain', name: 'svc-a' }).add({ kind: 'chain', name: 'svc-b' });
  tx.add({ kind: 'rule', chain: 'svc-a', rule: 'accept' }).add({ kind: 'rule', chain: 'svc-b', rule: 'drop' });
  tx.add({ kind: 'set', name: 'allowed', type: 'ipv4_addr' });
  tx.add({ kind: 'map', name: 'services', type: 'ipv4_addr . inet_proto . inet_service : verdict' });
  tx.add({ kind: 'chain', name: 'forward', type: 'filter', hook: 'forward', priority: 0 });
  tx.add({ kind: 'rule', chain: 'forward', rule: 'ip saddr @allowed accept' });
  tx.add({ kind: 'rule', chain: 'forward', rule: 'ip daddr . meta l4proto . th dport vmap @services' });
  tx.add({ kind: 'element', set: 'allowed', key: ['10.244.0.5'] }).add({ kind: 'element', set: 'allowed', key: ['10.244.1.7'] });
  tx.add({ kind: 'element', map: 'services', key: ['10.96.0.1', 'tcp', '80'], value: 'goto svc-a' });
  tx.add({ kind: 'element', map: 'services', key: ['10.96.0.2', 'udp', '53'], value: 'goto svc-b' });
  return tx;
}

const AFTER_FULL: TableListing = {
  chains: { forward: 2, 'svc-a': 1, 'svc-b': 1 },
  sets: { allowed: ['10.244.0.5', '10.244.1.7'], services: ['10.96.0.1 . tcp . 80', '10.96.0.2 . udp . 53'] },
  counters: {},
};

export function runNftContract(name: string, target: ContractTarget): void {
  describe(`Nft contract: ${name}`, () => {
    const list = () => target.nft().list(target.netns(), 'ip', TABLE);
    const full = async () => {
      await target.nft().run(target.netns(), fullSync());
      return list();
    };

    it('a table that does not exist lists as null', async () => {
      expect(await target.nft().list(target.netns(), 'ip', 'podnet-contract-absent')).toBeNull();
    });

    it('full sync: chains with their rules, sets and maps with their elements; again is the same', async () => {
      expect(await full()).toEqual(AFTER_FULL);
      expect(await full()).toEqual(AFTER_FULL);
    });

    it('delta: elements added and deleted, a chain flushed', async () => {
      await full();
      const tx = new Transaction('ip', TABLE)
        .add({ kind: 'element', set: 'allowed', key: ['10.244.2.9'] })
        .delete({ kind: 'element', set: 'allowed', key: ['10.244.0.5'] })
        .delete({ kind: 'element', map: 'services', key: ['10.96.0.2', 'udp', '53'] })
        .flush({ kind: 'chain', name: 'svc-b' });
      await target.nft().run(target.netns(), tx);
      expect(await list()).toEqual({
        chains: { forward: 2, 'svc-a': 1, 'svc-b': 0 },
        sets: { allowed: ['10.244.1.7', '10.244.2.9'], services: ['10.96.0.1 . tcp . 80'] },
        counters: {},
      });
    });

    it('a refused transaction changes nothing, also its operations before the failing one', async () => {
      await full();
      const tx = new Transaction('ip', TABLE)
        .add({ kind: 'element', set: 'allowed', key: ['10.244.3.3'] })
        .add({ kind: 'rule', chain: 'forward', rule: 'jump no-such-chain' });
      await expect(target.nft().run(target.netns(), tx)).rejects.toBeInstanceOf(NftError);
      expect(await list()).toEqual(AFTER_FULL);
    });

    it('deleting an element that is absent is refused', async () => {
      await full();
      const tx = new Transaction('ip', TABLE).delete({ kind: 'element', set: 'allowed', key: ['10.244.9.9'] });
      await expect(target.nft().run(target.netns(), tx)).rejects.toBeInstanceOf(NftError);
      expect(await list()).toEqual(AFTER_FULL);
    });

    it('deleting a chain a map element still names is refused; once unreferenced and empty it goes', async () => {
      await full();
      const busy = new Transaction('ip', TABLE).flush({ kind: 'chain', name: 'svc-a' }).delete({ kind: 'chain', name: 'svc-a' });
      await expect(target.nft().run(target.netns(), busy)).rejects.toBeInstanceOf(NftError);
      expect(await list()).toEqual(AFTER_FULL);
      const ok = new Transaction('ip', TABLE)
        .delete({ kind: 'element', map: 'services', key: ['10.96.0.1', 'tcp', '80'] })
        .flush({ kind: 'chain', name: 'svc-a' })
        .delete({ kind: 'chain', name: 'svc-a' });
      await target.nft().run(target.netns(), ok);
      expect((await list())!.chains).toEqual({ forward: 2, 'svc-b': 1 });
    });

    it('an inet table (the lab seal) applies and lists; add + delete removes it whether or not it exists', async () => {
      const inet = (build: (tx: Transaction) => void) => {
        const tx = new Transaction('inet', `${TABLE}-inet`);
        build(tx);
        return target.nft().run(target.netns(), tx);
      };
      const gone = (tx: Transaction) => void tx.add({ kind: 'table' }).delete({ kind: 'table' });
      await inet(gone); // absent: still succeeds
      await inet((tx) => {
        tx.add({ kind: 'table' }).add({ kind: 'chain', name: 'input', type: 'filter', hook: 'input', priority: -10 });
        tx.add({ kind: 'rule', chain: 'input', rule: 'iifname "pn-contract" ct state established,related accept' });
        tx.add({ kind: 'rule', chain: 'input', rule: 'ip daddr { 10.244.0.0/16, 10.96.0.0/12 } counter drop' });
      });
      expect(await target.nft().list(target.netns(), 'inet', `${TABLE}-inet`)).toEqual({ chains: { input: 2 }, sets: {}, counters: { input: 0 } });
      expect(await target.nft().list(target.netns(), 'ip', `${TABLE}-inet`)).toBeNull(); // families are apart
      await inet(gone);
      expect(await target.nft().list(target.netns(), 'inet', `${TABLE}-inet`)).toBeNull();
    });

    it('the ruleset text: the same while nothing changes, different after a change, back after undoing it', async () => {
      await full();
      const before = await target.nft().ruleset(target.netns());
      expect(before).toContain(TABLE);
      expect(await target.nft().ruleset(target.netns())).toBe(before);
      const refused = new Transaction('ip', TABLE).add({ kind: 'rule', chain: 'forward', rule: 'jump no-such-chain' });
      await expect(target.nft().run(target.netns(), refused)).rejects.toBeInstanceOf(NftError);
      expect(await target.nft().ruleset(target.netns())).toBe(before);
      await target.nft().run(target.netns(), new Transaction('ip', TABLE).add({ kind: 'element', set: 'allowed', key: ['10.244.4.4'] }));
      expect(await target.nft().ruleset(target.netns())).not.toBe(before);
      await target.nft().run(target.netns(), new Transaction('ip', TABLE).delete({ kind: 'element', set: 'allowed', key: ['10.244.4.4'] }));
      expect(await target.nft().ruleset(target.netns())).toBe(before);
    });

    it('a counter rule lists its chain among the counters, at zero before any packet', async () => {
      await full();
      await target.nft().run(target.netns(), new Transaction('ip', TABLE).add({ kind: 'rule', chain: 'svc-b', rule: 'counter reject with icmp admin-prohibited' }));
      expect((await list())!.counters).toEqual({ 'svc-b': 0 });
    });

    it('deleting the table removes everything', async () => {
      await full();
      await target.nft().run(target.netns(), new Transaction('ip', TABLE).delete({ kind: 'table' }));
      expect(await list()).toBeNull();
    });
  });
}
