// The Nft contract on the real kernel: CliNft in a fresh network namespace per test (root, nft).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe } from 'vitest';
import { LinuxHost } from '../../src/host/host.js';
import { CliNft } from '../../src/host/nft.js';
import { runNftContract } from '../support/nft-contract.js';
import { CAN_RUN_LAB } from './helpers.js';

const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('CliNft against the kernel', () => {
  let netns = '';
  beforeEach(() => {
    netns = `pn-nftc-${randomBytes(4).toString('hex')}`;
    const r = spawnSync('ip', ['netns', 'add', netns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${netns}: ${r.stderr}`);
  });
  afterEach(() => {
    spawnSync('ip', ['netns', 'del', netns]);
  });
  const nft = new CliNft(new LinuxHost());
  runNftContract('CliNft (nft -f, the kernel)', { nft: () => nft, netns: () => netns });
});
