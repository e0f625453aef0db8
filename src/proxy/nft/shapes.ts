/**
 * The shapes the Services renderers share (rules.ts, maps.ts, chains.ts,
 * full.ts, delta.ts): options, chain specs, a Service's fragment, one port's facts, and the
 * hairpin pairs. Apart from the renderers so they import it, never each other. Pure.
 */
import type { ServiceEndpoint } from '../../model/service-table.js';
import * as N from '../../render/nft/names.js';
import type { ElementObj, MapObj, SetObj } from '../../render/nft/txn.js';

export interface NodeRef {
  name: string;
  ip: string;
}

export interface ServiceRenderOptions {
  tableName: string;
  /** The cluster's pod CIDR: sources inside it are pods; anything else but the node is external. */
  podCidr: string;
  /** kube-proxy's --masquerade-all; podnet does not support it. */
  masqueradeAll?: false;
  /**
   * How a service port picks an endpoint. 'maps' (default): shared chains and endpoint maps (see
   * rules.ts); ClientIP-affinity Services use 'rules'. The per-service shapes, for comparison: 'rules',
   * one `numgen random mod K == 0 goto` rule per endpoint chain (kube-proxy iptables' cascade);
   * 'vmap', kube-proxy nftables' `numgen random mod N vmap { … }`, whose anonymous map costs the
   * kernel a scan of all the table's sets per Service (quadratic load time; docs/benchmarks.md).
   */
  loadBalancing?: 'maps' | 'rules' | 'vmap';
}

export interface ChainSpec {
  name: string;
  rules: string[];
}

/** What one Service adds to the table. Chains are created before the elements that name them. */
export interface Fragment {
  sets: SetObj[];
  /** Shared endpoint maps and chains the Service uses: in the table while any Service uses them
   *  (maps before chains, and a chain after the chains it names). */
  sharedMaps: MapObj[];
  sharedChains: ChainSpec[];
  /** The Service's own chains (per-service shape only). */
  chains: ChainSpec[];
  elements: ElementObj[];
}

/** Everything the renderers decide about one service port on one node. */
export interface PortFacts {
  id: string;
  proto: string;
  /** ClusterIP . proto . port; the LoadBalancer IP's key; the NodePort's key (proto . port). */
  vip: string[];
  lbKey?: string[];
  nodePortKey?: string[];
  /** Usable endpoints: all, and those on this node. */
  cluster: ServiceEndpoint[];
  local: ServiceEndpoint[];
  external: boolean;
  externalLocal: boolean;
  internalLocal: boolean;
  hasEndpoints: boolean;
  hasInternal: boolean;
  hasExternal: boolean;
}

/** Hairpin: a pod reaching itself through the Service is masqueraded so the reply returns
 *  (nat-postrouting matches the DNAT'd packet's source . destination against this pair). */
export function hairpin(out: Fragment, eps: readonly ServiceEndpoint[]): void {
  // Pairs may repeat (ports, Services): the full and partial renderers add each pair once.
  for (const ep of eps) out.elements.push({ kind: 'element', set: N.HAIRPIN_SET, key: [ep.ip, ep.ip] });
}
