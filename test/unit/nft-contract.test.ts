// The Nft contract on the in-memory fake (the real kernel: test/integration/nft-contract.test.ts).
import { beforeEach } from 'vitest';
import { FakeNft } from '../../src/host/nft.js';
import { runNftContract } from '../support/nft-contract.js';

let nft = new FakeNft();
beforeEach(() => {
  nft = new FakeNft();
});
runNftContract('FakeNft (in memory)', { nft: () => nft, netns: () => 'pn-contract' });
