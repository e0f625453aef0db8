// Incremental NetworkPolicy syncs (src/render/nft/policy-delta.ts, src/lab/policy.ts): after any
// sequence of clusters, a node's table built by deltas must be the table a full render of the
// last cluster gives (same chains, rules, sets and elements), and a record that does not match
// the kernel must never leave a wrong table.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeNft } from '../../src/host/nft.js';
import { filePolicyRecord, NO_RECORD, syncPolicies, type PolicyRecord } from '../../src/lab/policy.js';
import type { LabNode } from '../../src/model/lab.js';
import type { Cluster } from '../../src/model/types.js';
import { compilePolicies } from '../../src/policy/compile.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import { renderPolicyDelta, renderPolicyGeneration, type AppliedNode } from '../../src/render/nft/policy-delta.js';
import { POLICY_TABLE } from '../../src/render/nft/policy.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { readObjects } from './fixtures.js';
import { enforceable, scenarioArb } from './policy-arbitraries.js';

const NODES = ['n0', 'n1', 'n2'];
const labNodes: LabNode[] = NODES.map((name, i) => ({ name, netns: `ns-${name}`, ip: `192.0.2.${i + 1}` }) as LabNode);
const semantics = SEMANTICS.upstream;

/** The table without its generation marker's name: what packets see. */
const canonical = (dump: string) => dump.replace(/chain gen-\S+/g, 'chain gen-*');

function fullDump(cluster: Cluster, node: string): string {
  const rs = new Ruleset();
  rs.apply(renderPolicyGeneration(compilePolicies(cluster, semantics), node, '0'));
  return canonical(rs.dump());
}

const memoryRecord = (): PolicyRecord & { nodes: Record<string, AppliedNode> | null } => {
  const r = {
    nodes: null as Record<string, AppliedNode> | null,
    load: () => (r.nodes ? structuredClone(r.nodes) : null),
    save: (nodes: Record<string, AppliedNode>) => void (r.nodes = structuredClone(nodes)),
  };
  return r;
};

const clustersArb = fc.array(scenarioArb(2, 10, 5, 3).map(enforceable), { minLength: 2, maxLength: 4 }).map((scs) => scs.map((sc) => readObjects(sc.objects)));

describe('policy deltas', () => {
  it('a sequence of random clusters applied as deltas gives each node the full table of the last', () => {
    fc.assert(
      fc.property(clustersArb, (clusters) => {
        for (const node of NODES) {
          const rs = new Ruleset();
          let applied: AppliedNode = { generation: 'g0', sides: {} };
          rs.apply(renderPolicyGeneration(compilePolicies(clusters[0], semantics), node, 'g0'));
          applied = { generation: 'g0', sides: renderPolicyDelta(applied, compilePolicies(clusters[0], semantics), node, 'g0').sides };
          clusters.slice(1).forEach((c, i) => {
            const delta = renderPolicyDelta(applied, compilePolicies(c, semantics), node, `g${i + 1}`);
            rs.apply(delta.tx);
            applied = { generation: `g${i + 1}`, sides: delta.sides };
            expect(canonical(rs.dump())).toBe(fullDump(c, node));
          });
        }
      }),
      { numRuns: 150, seed: 18 },
    );
  });

  it('syncPolicies sends deltas once it has a record, and the whole table when the record is stale', async () => {
    const sample = fc.sample(clustersArb, { numRuns: 1, seed: 4 })[0];
    const [first, second] = [sample[0], sample[1]];
    const nft = new FakeNft();
    const record = memoryRecord();
    const a = await syncPolicies(nft, labNodes, first, semantics, record);
    expect(a.fullNodes).toBe(NODES.length);
    const b = await syncPolicies(nft, labNodes, second, semantics, record);
    expect(b.fullNodes).toBe(0);
    for (const n of labNodes) expect(canonical(nft.model(n.netns).dump())).toBe(fullDump(second, n.name));

    // The node was recreated behind the record's back (an empty table): the delta is refused
    // whole, and the node gets its full table.
    nft.model(labNodes[1].netns).apply(renderPolicyGeneration([], labNodes[1].name, 'other'));
    const c = await syncPolicies(nft, labNodes, first, semantics, record);
    expect(c.fullNodes).toBe(1);
    for (const n of labNodes) expect(canonical(nft.model(n.netns).dump())).toBe(fullDump(first, n.name));
    expect(record.nodes?.[labNodes[1].name].generation).toBe(record.nodes?.[labNodes[0].name].generation);
  });

  it('a node whose table is refused leaves the record, so its next sync is a full one', async () => {
    const cluster = fc.sample(clustersArb, { numRuns: 1, seed: 9 })[0][0];
    const nft = new FakeNft();
    const record = memoryRecord();
    await syncPolicies(nft, labNodes, cluster, semantics, record);
    const run = nft.run.bind(nft);
    nft.run = async (netns, tx) => {
      if (netns === labNodes[2].netns) throw new Error('refused');
      return run(netns, tx);
    };
    await expect(syncPolicies(nft, labNodes, cluster, semantics, record)).rejects.toThrow(/^nft on n2: the NetworkPolicy ruleset was refused: refused/);
    expect(Object.keys(record.nodes ?? {}).sort()).toEqual(['n0', 'n1']);
    nft.run = run;
    const again = await syncPolicies(nft, labNodes, cluster, semantics, record);
    expect(again.fullNodes).toBe(1);
    expect(await nft.list(labNodes[2].netns, 'ip', POLICY_TABLE)).not.toBeNull();
  });

  it('without a record every node gets its whole table', async () => {
    const cluster = fc.sample(clustersArb, { numRuns: 1, seed: 2 })[0][0];
    const nft = new FakeNft();
    for (let i = 0; i < 2; i++) expect((await syncPolicies(nft, labNodes, cluster, semantics, NO_RECORD)).fullNodes).toBe(NODES.length);
  });

  it('the record file round-trips, and a damaged one is no record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-policy-record-'));
    try {
      const path = join(dir, 'r.bin');
      const rec = filePolicyRecord(path);
      expect(rec.load()).toBeNull();
      const nodes = {
        n0: { generation: '0a1b', sides: { 'ing-10.0.0.1': { ip: '10.0.0.1', direction: 'ingress' as const, boxes: [1, 2, 6, 6, 80, 80] }, 'egr-10.0.0.1': { ip: '10.0.0.1', direction: 'egress' as const, boxes: [0, 4294967295, 0, 255, 0, 65535, 7, 7, 17, 17, 53, 53] } } },
        n1: { generation: 'ff', sides: {} },
      };
      rec.save(nodes);
      const plain = (r: Record<string, AppliedNode> | null) => r && Object.fromEntries(Object.entries(r).map(([n, v]) => [n, { ...v, sides: Object.fromEntries(Object.entries(v.sides).map(([k, x]) => [k, { ...x, boxes: [...Array.from(x.boxes)] }])) }]));
      expect(plain(rec.load())).toEqual(nodes);
      const good = readFileSync(path);
      const header = (h: unknown) => Buffer.concat([Buffer.from(`${JSON.stringify(h)}\n`), good.subarray(good.indexOf(10) + 1)]);
      const side = (s: Record<string, unknown>) => header({ version: 3, nodes: { n0: { generation: '0a', sides: { s: { ip: '1', direction: 'egress', at: 0, count: 6, ...s } } } } });
      const bad: [string, Buffer][] = [
        ['empty', Buffer.alloc(0)],
        ['no header line', Buffer.from('{')],
        ['not JSON', Buffer.from('{\n')],
        ['the JSON record of version 2', Buffer.from('{"version":2,"nodes":{}}\n')],
        ['a generation that is not a marker name', header({ version: 3, nodes: { n0: { generation: 'x; drop', sides: {} } } })],
        ['boxes not whole', side({ count: 4 })],
        ['boxes past the end', side({ at: 14, count: 6 })],
        ['a direction that is none', side({ direction: 'sideways' })],
        ['cut in the middle of a number', good.subarray(0, good.length - 2)],
        ['cut short of its boxes', good.subarray(0, good.length - 4 * 6)],
      ];
      for (const [what, data] of bad) {
        writeFileSync(path, data);
        expect(rec.load(), what).toBeNull();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
