/**
 * Selectors that select nothing: a NetworkPolicy whose spec.podSelector matches no pod of its
 * namespace protects nothing, and a peer podSelector (of the policy's own namespace, or of the
 * namespaces its namespaceSelector picks) that matches no pod allows nothing. Neither is an
 * error — the verdicts are right — but it is usually a typo (sock-shop's `name: cart` where the
 * pods are `name: carts`), so `analyze` warns. The same for cluster policies: a subject that
 * selects no pod, and a pods/namespaces peer that selects none (host-networked pods are neither
 * subjects nor such peers). Pure.
 */
import { formatSelector, matchesSelector } from '../model/labels.js';
import type { Cluster, ClusterPolicy, NetworkPolicy, PodsSelection } from '../model/types.js';
import { tierPolicyLabel } from './tiers.js';

export function unmatchedSelectorWarnings(cluster: Cluster): string[] {
  const out: string[] = [];
  const nsLabels = new Map(cluster.namespaces.map((n) => [n.name, n.labels]));
  const podsIn = (ns: string) => cluster.pods.filter((p) => p.namespace === ns && !p.hostNetwork);
  const where = (p: NetworkPolicy) => `networkpolicy ${p.namespace}/${p.name} (${p.source.file})`;
  for (const policy of cluster.policies) {
    if (!podsIn(policy.namespace).some((p) => matchesSelector(policy.podSelector, p.labels))) {
      out.push(`${where(policy)}: spec.podSelector ${formatSelector(policy.podSelector)} selects no pod in namespace ${policy.namespace}`);
    }
    for (const [dir, rules] of [['ingress', policy.ingress], ['egress', policy.egress]] as const) {
      rules.forEach((rule, i) => {
        (rule.peers ?? []).forEach((peer, j) => {
          if (peer.kind !== 'selector' || !peer.podSelector) return;
          const namespaces = peer.namespaceSelector ? [...nsLabels].filter(([, l]) => matchesSelector(peer.namespaceSelector!, l)).map(([n]) => n) : [policy.namespace];
          const sel = peer.podSelector;
          if (!namespaces.some((ns) => podsIn(ns).some((p) => matchesSelector(sel, p.labels)))) {
            out.push(`${where(policy)}: spec.${dir}[${i}].${dir === 'ingress' ? 'from' : 'to'}[${j}].podSelector ${formatSelector(sel)} selects no pod${peer.namespaceSelector ? '' : ` in namespace ${policy.namespace}`}`);
          }
        });
      });
    }
  }
  out.push(...clusterPolicyWarnings(cluster, nsLabels));
  return out;
}

function clusterPolicyWarnings(cluster: Cluster, nsLabels: ReadonlyMap<string, Cluster['namespaces'][number]['labels']>): string[] {
  const out: string[] = [];
  const selects = (sel: PodsSelection) => cluster.pods.some((p) => !p.hostNetwork && matchesSelector(sel.namespaceSelector, nsLabels.get(p.namespace) ?? { 'kubernetes.io/metadata.name': p.namespace }) && matchesSelector(sel.podSelector, p.labels));
  const text = (sel: PodsSelection) => `namespaceSelector ${formatSelector(sel.namespaceSelector)}, podSelector ${formatSelector(sel.podSelector)}`;
  const where = (p: ClusterPolicy) => `${tierPolicyLabel(p)} [${p.source.file}]`;
  for (const policy of cluster.clusterPolicies ?? []) {
    if (!selects(policy.subject)) out.push(`${where(policy)}: spec.subject (${text(policy.subject)}) selects no pod`);
    for (const [dir, rules] of [['ingress', policy.ingress], ['egress', policy.egress]] as const) {
      rules.forEach((rule, i) => {
        rule.peers.forEach((peer, j) => {
          if (peer.kind !== 'pods' || selects(peer)) return;
          out.push(`${where(policy)}: spec.${dir}[${i}].${dir === 'ingress' ? 'from' : 'to'}[${j}] (${text(peer)}) selects no pod`);
        });
      });
    }
  }
  return out;
}
