// Incremental NetworkPolicy syncs on the real kernel: node tables built by a sequence of deltas
// (src/render/nft/policy-delta.ts) must list exactly as tables the same clusters' full renders
// build, interval elements with protocol and port ranges included; a stale record falls back to
// the whole table (root, nft).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinuxHost } from '../../src/host/host.js';
import { CliNft, type TableListing } from '../../src/host/nft.js';
import { NO_RECORD, syncPolicies, type PolicyRecord } from '../../src/lab/policy.js';
import type { LabNode } from '../../src/model/lab.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import type { AppliedNode } from '../../src/render/nft/policy-delta.js';
import { POLICY_TABLE } from '../../src/render/nft/policy.js';
import { readObjects } from '../unit/fixtures.js';
import { enforceable, scenarioArb } from '../unit/policy-arbitraries.js';
import { CAN_RUN_LAB } from './helpers.js';

const HAVE_NFT = spawnSync('nft', ['--version']).status === 0;
const tag = randomBytes(3).toString('hex');
const nodes = (kind: string): LabNode[] => ['n0', 'n1', 'n2'].map((name, i) => ({ name, netns: `pn-pd${kind}-${tag}-${i}`, ip: `192.0.2.${i + 1}` }) as LabNode);
const [deltaNodes, fullNodes] = [nodes('d'), nodes('f')];

/** The listing without the generation marker's name. */
const canonical = (l: TableListing | null) => l && { ...l, chains: Object.fromEntries(Object.entries(l.chains).map(([k, v]) => [k.startsWith('gen-') ? 'gen-*' : k, v])) };

describe.skipIf(!CAN_RUN_LAB || !HAVE_NFT)('policy deltas on the kernel', () => {
  beforeAll(() => {
    for (const n of [...deltaNodes, ...fullNodes]) {
      const r = spawnSync('ip', ['netns', 'add', n.netns], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip netns add ${n.netns}: ${r.stderr}`);
    }
  });
  afterAll(() => {
    for (const n of [...deltaNodes, ...fullNodes]) spawnSync('ip', ['netns', 'del', n.netns]);
  });

  it('twelve random clusters in a row: deltas list as full tables do', async () => {
    const nft = new CliNft(new LinuxHost());
    let saved: Record<string, AppliedNode> | null = null;
    const record: PolicyRecord = { load: () => saved, save: (n) => void (saved = n) };
    const clusters = fc.sample(scenarioArb(3, 10, 5, 3).map(enforceable), { numRuns: 12, seed: 61 }).map((sc) => readObjects(sc.objects));
    let deltas = 0;
    for (const [i, cluster] of clusters.entries()) {
      const r = await syncPolicies(nft, deltaNodes, cluster, SEMANTICS.upstream, record);
      if (i > 0) expect(r.fullNodes).toBe(0);
      deltas += i > 0 ? r.elements : 0;
      await syncPolicies(nft, fullNodes, cluster, SEMANTICS.upstream, NO_RECORD);
      for (const [k, n] of deltaNodes.entries()) {
        expect(canonical(await nft.list(n.netns, 'ip', POLICY_TABLE)), `cluster ${i}, ${n.name}`).toEqual(canonical(await nft.list(fullNodes[k].netns, 'ip', POLICY_TABLE)));
      }
    }
    expect(deltas).toBeGreaterThan(0);

    // The table went behind the record's back: the next sync replaces it whole.
    spawnSync('ip', ['netns', 'exec', deltaNodes[0].netns, 'nft', 'delete', 'table', 'ip', POLICY_TABLE]);
    const r = await syncPolicies(nft, deltaNodes, clusters[0], SEMANTICS.upstream, record);
    expect(r.fullNodes).toBe(1);
    await syncPolicies(nft, fullNodes, clusters[0], SEMANTICS.upstream, NO_RECORD);
    expect(canonical(await nft.list(deltaNodes[0].netns, 'ip', POLICY_TABLE))).toEqual(canonical(await nft.list(fullNodes[0].netns, 'ip', POLICY_TABLE)));
  });
});
