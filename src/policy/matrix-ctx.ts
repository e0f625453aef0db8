/** The bitset matrix's working state (pure): the pods, the port asked about, and the caches of sets. */
import type { Bitset } from '../model/bitset.js';
import type { ClusterPolicy, ClusterPolicyRule, Pod, PolicyRule, Protocol } from '../model/types.js';
import type { PolicyEngine } from './engine.js';
import type { Semantics } from './semantics.js';

/** Shared by matrix.ts (NetworkPolicy) and matrix-tiers.ts (the cluster policy tiers). */
export interface Ctx {
  pods: readonly Pod[];
  n: number;
  port: number;
  protocol: Protocol;
  asNode: boolean[];
  semantics: Semantics;
  byNamespace: Map<string, number[]>;
  engine: PolicyEngine;
  peerCache: Map<string, Bitset>;
  ruleCache: Map<PolicyRule, Bitset>;
  tierCache: Map<ClusterPolicyRule, Bitset>;
  tierPeersCache: Map<ClusterPolicyRule, Bitset>;
  /** By policy, and by its subject's JSON (policies share subjects). */
  subjectCache: Map<ClusterPolicy | string, number[]>;
  /** The pods' addresses as numbers, made on first use. */
  podIPs?: (number | null)[];
}

/** A peer set by key, made once per matrix. */
export function cached(ctx: Ctx, key: string, make: () => Bitset): Bitset {
  let b = ctx.peerCache.get(key);
  if (!b) {
    b = make();
    ctx.peerCache.set(key, b);
  }
  return b;
}
