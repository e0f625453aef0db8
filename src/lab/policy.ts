/**
 * NetworkPolicy enforcement for a lab: the policies compiled by the analyzer's engine
 * (src/policy/compile.ts), rendered per node (src/render/nft/policy.ts) and applied with one
 * nftables transaction per node (one batch, which the kernel takes whole), so every update is atomic: no packet ever sees half a ruleset.
 *
 * Incremental: what each node's table holds is recorded after every sync (a PolicyRecord, a file
 * in the lab's state directory: policy-record.ts), and the next sync sends only the difference
 * (src/render/nft/policy-delta.ts). Without a record, with a stale one (the transaction is then
 * refused as a whole) or when asked for, a node gets its whole table, as before.
 *
 * Fail closed: reconcile calls this after removing pods and BEFORE creating new ones, so a pod
 * that a policy selects is isolated from its first packet (its address is in the sets before
 * its interface exists).
 */
import { randomBytes } from 'node:crypto';
import type { Nft } from '../host/nft.js';
import type { LabNode } from '../model/lab.js';
import type { Cluster } from '../model/types.js';
import { compilePolicies } from '../policy/compile.js';
import type { Semantics } from '../policy/semantics.js';
import { nodeSides, renderPolicyDelta, renderPolicyGeneration, type AppliedNode } from '../render/nft/policy-delta.js';
import type { Transaction } from '../render/nft/txn.js';
import { NO_RECORD, type PolicyRecord } from './policy-record.js';

export { filePolicyRecord, forgetPolicyRecord, labPolicyRecord, NO_RECORD, type PolicyRecord } from './policy-record.js';

export interface PolicySyncReport {
  /** Pods isolated in at least one direction. */
  isolatedPods: number;
  /** Set elements written (added or deleted), over all nodes. */
  elements: number;
  /** Milliseconds: compiling, and the slowest node's nft run. */
  compileMs: number;
  applyMs: number;
  /** Nodes that got their whole table (no usable record of what they held), the rest a delta. */
  fullNodes: number;
}

const elementOps = (tx: Transaction) => tx.operations.filter((op) => op.obj.kind === 'element' && op.obj.set !== undefined).length;

/** `nft`: the kernel's (hostNft: libnftables, or the nft command) in a lab, FakeNft in tests (whose rulesets the tracer can walk). */
export async function syncPolicies(nft: Nft, nodes: readonly LabNode[], cluster: Cluster, semantics: Semantics, record: PolicyRecord = NO_RECORD): Promise<PolicySyncReport> {
  const t0 = performance.now();
  const compiled = compilePolicies(cluster, semantics);
  const compileMs = performance.now() - t0;
  const before = record.load() ?? {};
  const after: Record<string, AppliedNode> = {};
  const generation = randomBytes(4).toString('hex');
  let elements = 0;
  let applyMs = 0;
  let fullNodes = 0;
  const failures: string[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      const start = performance.now();
      const previous = before[node.name];
      try {
        if (previous) {
          const delta = renderPolicyDelta(previous, compiled, node.name, generation);
          try {
            await nft.run(node.netns, delta.tx);
            elements += elementOps(delta.tx);
            after[node.name] = { generation, sides: delta.sides };
            return;
          } catch {
            // The table is not the recorded one: it gets its whole table below.
          }
        }
        const tx = renderPolicyGeneration(compiled, node.name, generation);
        fullNodes++;
        await nft.run(node.netns, tx);
        elements += elementOps(tx);
        after[node.name] = { generation, sides: nodeSides(compiled, node.name) };
      } catch (err) {
        failures.push(`nft on ${node.name}: the NetworkPolicy ruleset was refused: ${(err as Error).message}`);
      } finally {
        applyMs = Math.max(applyMs, performance.now() - start);
      }
    }),
  );
  // A node whose table was refused is left out: its next sync replaces the whole table.
  record.save(after);
  if (failures.length > 0) throw new Error(failures.sort()[0]);
  return { isolatedPods: compiled.length, elements, compileMs, applyMs, fullNodes };
}
