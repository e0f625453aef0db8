/**
 * NetworkPolicy enforcement for a lab: the policies compiled by the analyzer's engine
 * (src/policy/compile.ts), rendered per node (src/render/nft/policy.ts) and applied with one
 * `nft -f` transaction per node, so every update is atomic: no packet ever sees half a ruleset.
 *
 * Fail closed: reconcile calls this after removing pods and BEFORE creating new ones, so a pod
 * that a policy selects is isolated from its first packet (its address is in the sets before
 * its interface exists).
 */
import type { Nft } from '../host/nft.js';
import type { LabNode } from '../model/lab.js';
import type { Cluster } from '../model/types.js';
import { compilePolicies } from '../policy/compile.js';
import type { Semantics } from '../policy/semantics.js';
import { renderPolicyFull } from '../render/nft/policy.js';

export interface PolicySyncReport {
  /** Pods isolated in at least one direction. */
  isolatedPods: number;
  /** Set elements written, over all nodes. */
  elements: number;
  /** Milliseconds: compiling, and the slowest node's nft run. */
  compileMs: number;
  applyMs: number;
}

/** `nft`: the kernel's (CliNft) in a lab, FakeNft in tests (whose rulesets the tracer can walk). */
export async function syncPolicies(nft: Nft, nodes: readonly LabNode[], cluster: Cluster, semantics: Semantics): Promise<PolicySyncReport> {
  const t0 = performance.now();
  const compiled = compilePolicies(cluster, semantics);
  const compileMs = performance.now() - t0;
  let elements = 0;
  let applyMs = 0;
  await Promise.all(
    nodes.map(async (node) => {
      const tx = renderPolicyFull(compiled, node.name);
      elements += tx.operations.filter((op) => op.obj.kind === 'element').length;
      const start = performance.now();
      try {
        await nft.run(node.netns, tx);
      } catch (err) {
        throw new Error(`nft on ${node.name}: the NetworkPolicy ruleset was refused: ${(err as Error).message}`);
      }
      applyMs = Math.max(applyMs, performance.now() - start);
    }),
  );
  return { isolatedPods: compiled.length, elements, compileMs, applyMs };
}
