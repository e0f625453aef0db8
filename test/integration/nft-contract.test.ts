// The Nft contract on the real kernel, in a fresh network namespace per test (root, nft): CliNft
// (the nft command) and NativeNft (libnftables in podnet's helper, when it is built).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinuxHost } from '../../src/host/host.js';
import { CliNft } from '../../src/host/nft.js';
import { hostNft, NativeNft } from '../../src/host/nft-native.js';
import { Transaction } from '../../src/render/nft/txn.js';
import { runNftContract } from '../support/nft-contract.js';
import { CAN_RUN_LAB } from './helpers.js';

const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;

function freshNetns(): { name: () => string } {
  let netns = '';
  beforeEach(() => {
    netns = `pn-nftc-${randomBytes(4).toString('hex')}`;
    const r = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${netns}: ${r.stderr}`);
  });
  afterEach(() => {
    spawnSync('ip', ['netns', 'del', netns]);
  });
  return { name: () => netns };
}

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('CliNft against the kernel', () => {
  const ns = freshNetns();
  const nft = new CliNft(new LinuxHost());
  runNftContract('CliNft (nft -f, the kernel)', { nft: () => nft, netns: ns.name });
});

// CI builds the helper (scripts/setup.sh installs libnftables-dev): its absence there is a failure.
describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('NativeNft against the kernel', () => {
  const ns = freshNetns();
  const nft = new NativeNft();
  it('is built, and is what a lab on this host uses', () => {
    expect(NativeNft.available()).toBe(true);
    expect(hostNft(new LinuxHost())).toBeInstanceOf(NativeNft);
  });
  runNftContract('NativeNft (libnftables, the kernel)', { nft: () => nft, netns: ns.name });

  it('runs each request in the namespace it names, also one deleted and made again under its name', async () => {
    const tx = (table: string) => new Transaction('ip', table).add({ kind: 'table' });
    await nft.run(ns.name(), tx('podnet-first'));
    spawnSync('ip', ['netns', 'del', ns.name()]);
    spawnSync('ip', ['netns', 'add', ns.name()]);
    expect(await nft.list(ns.name(), 'ip', 'podnet-first')).toBeNull();
    await nft.run(ns.name(), tx('podnet-second'));
    expect(await nft.list(ns.name(), 'ip', 'podnet-second')).not.toBeNull();
    expect(spawnSync('ip', ['netns', 'exec', ns.name(), 'nft', 'list', 'tables'], { encoding: 'utf8' }).stdout).toBe('table ip podnet-second\n');
    // Nothing of it reached the namespace the helper started in.
    expect(await nft.list(null, 'ip', 'podnet-second')).toBeNull();
  });

  it('refuses a namespace that does not exist, and keeps serving', async () => {
    await expect(nft.run('pn-nftc-none-such', new Transaction('ip', 'podnet-x').add({ kind: 'table' }))).rejects.toThrow(/Cannot open network namespace "pn-nftc-none-such"/);
    await expect(nft.run('../etc', new Transaction('ip', 'podnet-x').add({ kind: 'table' }))).rejects.toThrow(/bad namespace name/);
    expect(await nft.list(ns.name(), 'ip', 'podnet-x')).toBeNull();
  });

  it('answers many requests in flight in order, each in its own namespace', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `podnet-t${i}`);
    await Promise.all(names.map((t) => nft.run(ns.name(), new Transaction('ip', t).add({ kind: 'table' }).add({ kind: 'chain', name: `c-${t}` }))));
    const listings = await Promise.all(names.map((t) => nft.list(ns.name(), 'ip', t)));
    listings.forEach((l, i) => expect(Object.keys(l!.chains)).toEqual([`c-${names[i]}`]));
  });
});
