/**
 * Per-policy summaries for the web view and the HTML report (pure): what each NetworkPolicy
 * selects (its podSelector and the pods it matches) and what each of its rules allows (peers as
 * text, the pods they match, and the ports).
 */
import { matchesSelector, formatSelector } from '../model/labels.js';
import { podKey, type Cluster, type NetworkPolicy, type PolicyPeer, type PolicyRule } from '../model/types.js';
import { PolicyEngine } from '../policy/engine.js';
import type { Semantics } from '../policy/semantics.js';

export interface RuleSummary {
  /** e.g. "spec.ingress[0]" */
  rule: string;
  peers: string[];
  /** Lab pods the peers match (ipBlocks match addresses, not listed here). */
  pods: string[];
  ports: string;
}

export interface PolicySummary {
  key: string;
  file: string;
  podSelector: string;
  /** The policyTypes it isolates for. */
  types: ('Ingress' | 'Egress')[];
  selects: string[];
  ingress: RuleSummary[];
  egress: RuleSummary[];
}

function peerText(p: PolicyPeer): string {
  if (p.kind === 'ipBlock') return `ipBlock ${p.cidr}${p.except.length ? ` except ${p.except.join(', ')}` : ''}`;
  const pods = p.podSelector ? `pods {${formatSelector(p.podSelector)}}` : 'all pods';
  const ns = p.namespaceSelector ? `in namespaces {${formatSelector(p.namespaceSelector)}}` : 'in the policy\'s namespace';
  return `${pods} ${ns}`;
}

function portsText(rule: PolicyRule): string {
  if (rule.ports === null) return 'all ports';
  return rule.ports.map((p) => `${p.protocol}${p.port === undefined ? '' : `/${p.port}${p.endPort ? `-${p.endPort}` : ''}`}`).join(', ');
}

export function policySummaries(cluster: Cluster, semantics?: Semantics): PolicySummary[] {
  const engine = new PolicyEngine(cluster, { semantics });
  const summary = (policy: NetworkPolicy): PolicySummary => {
    const rules = (direction: 'ingress' | 'egress') =>
      (direction === 'ingress' ? policy.ingress : policy.egress).map((rule, i): RuleSummary => ({
        rule: `spec.${direction}[${i}]`,
        // "If this field is empty or missing, this rule matches all sources/destinations."
        peers: rule.peers === null ? ['everything'] : rule.peers.map(peerText),
        pods: cluster.pods.filter((p) => engine.ruleMatchesPeer(rule, policy.namespace, { kind: 'pod', pod: p })).map(podKey),
        ports: portsText(rule),
      }));
    return {
      key: `${policy.namespace}/${policy.name}`,
      file: policy.source.file,
      podSelector: formatSelector(policy.podSelector),
      types: [...(policy.affectsIngress ? (['Ingress'] as const) : []), ...(policy.affectsEgress ? (['Egress'] as const) : [])],
      selects: cluster.pods.filter((p) => p.namespace === policy.namespace && !p.hostNetwork && matchesSelector(policy.podSelector, p.labels)).map(podKey),
      ingress: rules('ingress'),
      egress: rules('egress'),
    };
  };
  return cluster.policies.map(summary);
}
