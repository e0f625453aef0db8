/**
 * Semantics profiles: where implementations of NetworkPolicy read the same object differently,
 * as data. The engine, the bitset matrix and the data-plane compiler all take one profile, so
 * the analyzer, the expectations of `probe`/`matrix` and the enforced ruleset agree within it,
 * and the portability report (portability.ts) compares profiles with each other. Pure.
 *
 * The API reference is not definite here. IPBlock: "IPBlock describes a particular CIDR
 * (Ex. "192.168.1.0/24","2001:db8::/64") that is allowed to the pods matched by a
 * NetworkPolicySpec's podSelector"; the concepts page adds that ipBlocks "should be
 * cluster-external IPs, since Pod IPs are ephemeral and unpredictable" (should, not must).
 * What decides the default is what upstream tests: the NetworkPolicy e2e suite puts a pod's IP
 * into an ipBlock and expects it to match.
 */

export const SEMANTICS_NAMES = ['upstream', 'cilium', 'np-guard'] as const;
export type SemanticsName = (typeof SEMANTICS_NAMES)[number];

export interface Semantics {
  name: SemanticsName;
  /** An ipBlock matches the IPs of pods on the pod network (pods are also matched by selectors). */
  ipBlockMatchesPods: boolean;
  /** An ipBlock matches node addresses: the nodes' InternalIPs, so hostNetwork pods too. */
  ipBlockMatchesNodes: boolean;
  /**
   * hostNetwork pods are their node: not subject to NetworkPolicy, never matched by selectors,
   * and traffic between a pod and its own node is always allowed. false: they are pods like
   * any other (a model that has no nodes).
   */
  hostNetworkAsNode: boolean;
  /** Whether a lab's data plane can enforce this profile (`podnet up --semantics`). */
  enforceable: boolean;
}

export const SEMANTICS: Readonly<Record<SemanticsName, Semantics>> = {
  // The upstream e2e suite (kubernetes test/e2e/network/netpol/network_policy.go: "should allow
  // egress access to server in CIDR block", "should enforce except clause while egress access
  // to server in CIDR block", "should ensure an IP overlapping both IPBlock.CIDR and
  // IPBlock.Except is allowed") expects a pod's IP in an ipBlock to match. So do
  // kube-network-policies (evaluateIPBlocks runs on the packet's raw address), Calico, Antrea
  // (testEgressToServerInCIDRBlock) and OVN-Kubernetes. Node addresses are addresses like any
  // other there. hostNetwork pods: "NetworkPolicy ... behavior for hostNetwork pods is undefined"
  // in the concepts page; the common case (and kube-network-policies) treats them as the node.
  upstream: { name: 'upstream', ipBlockMatchesPods: true, ipBlockMatchesNodes: true, hostNetworkAsNode: true, enforceable: true },
  // Cilium: CIDR rules select only addresses outside the cluster by default; pods and nodes have
  // identities of their own (cilium#9209). Opt-in since 1.15: policy-cidr-match-mode=nodes makes
  // CIDR rules match node IPs; `pods` (2026) makes them match pod IPs. This profile is the
  // default (empty) mode. hostNetwork pods have the host identity: node traffic, and traffic
  // from the local host is allowed (allow-localhost).
  cilium: { name: 'cilium', ipBlockMatchesPods: false, ipBlockMatchesNodes: false, hostNetworkAsNode: true, enforceable: true },
  // np-guard netpol-analyzer: ipBlocks match only external addresses (pods are matched by
  // selectors; np-guard#456 asks to change that); it has no nodes, so hostNetwork pods are pods
  // judged by policy like any other, and every address that is not a pod is external.
  // Kept as the default of `-o connlist` so that output stays comparable with that tool.
  'np-guard': { name: 'np-guard', ipBlockMatchesPods: false, ipBlockMatchesNodes: true, hostNetworkAsNode: false, enforceable: false },
};

export const DEFAULT_SEMANTICS: Semantics = SEMANTICS.upstream;

export function semanticsByName(name: string): Semantics | undefined {
  return (SEMANTICS_NAMES as readonly string[]).includes(name) ? SEMANTICS[name as SemanticsName] : undefined;
}

/** A lab's profile (LabConfig.semantics; labs from before profiles existed: upstream). */
export function labSemantics(config: { semantics?: string }): Semantics {
  return semanticsByName(config.semantics ?? DEFAULT_SEMANTICS.name) ?? DEFAULT_SEMANTICS;
}
