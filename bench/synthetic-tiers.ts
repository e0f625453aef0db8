/**
 * Deterministic synthetic cluster policies for benchmarks, over a synthetic cluster's labels
 * (bench/synthetic.ts: namespaces team/env, pods app/tier): guardrails as administrators write
 * them — Admin-tier denies between environments, accepts for DNS and monitoring, passes for a
 * team's own namespaces, denies of outside networks on a port; Baseline-tier isolation of a team
 * and accepts within it. Both API versions' kinds; the same seed gives the same policies.
 */
import type { Selector } from '../src/model/labels.js';
import type { ClusterPeer, ClusterPolicy, ClusterPolicyRule, PodsSelection } from '../src/model/types.js';
import { rng } from './synthetic.js';

const TEAMS = ['payments', 'search', 'identity', 'catalog', 'checkout', 'ads', 'ml', 'platform'];
const ENVS = ['prod', 'staging', 'dev'];
const APPS = ['web', 'gateway', 'legacy', 'api', 'worker', 'auth', 'db', 'cache'];

const sel = (matchLabels: Record<string, string> = {}): Selector => ({ matchLabels, matchExpressions: [] });
const nsPeer = (labels: Record<string, string>): ClusterPeer => ({ kind: 'pods', namespaceSelector: sel(labels), podSelector: sel() });
const podPeer = (ns: Record<string, string>, pod: Record<string, string>): ClusterPeer => ({ kind: 'pods', namespaceSelector: sel(ns), podSelector: sel(pod) });
const tcp = (start: number, end = start) => ({ kind: 'range' as const, protocol: 'TCP' as const, start, end });

/** `count` cluster policies: about three in four in the Admin tier, the rest Baseline. */
export function syntheticClusterPolicies(count: number, seed: number): ClusterPolicy[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const source = { file: 'synthetic-tiers', doc: 0 };
  const out: ClusterPolicy[] = [];
  for (let i = 0; i < count; i++) {
    const admin = i % 4 !== 3;
    const team = pick(TEAMS);
    const subject: PodsSelection = r() < 0.5 ? { namespaceSelector: sel({ team }), podSelector: sel() } : { namespaceSelector: sel({ env: pick(ENVS) }), podSelector: sel({ app: pick(APPS) }) };
    const rule = (action: ClusterPolicyRule['action'], peers: ClusterPeer[], ports: ClusterPolicyRule['ports'] = null, name?: string): ClusterPolicyRule => ({ ...(name ? { name } : {}), action, peers, ports });
    let ingress: ClusterPolicyRule[] = [];
    let egress: ClusterPolicyRule[] = [];
    if (admin) {
      switch (i % 6) {
        case 0:
          ingress = [rule('Deny', [nsPeer({ env: 'dev' })], null, 'no-dev')];
          break;
        case 1:
          egress = [rule('Accept', [podPeer({ 'kubernetes.io/metadata.name': 'kube-system' }, { 'k8s-app': 'kube-dns' })], [{ kind: 'range', protocol: 'UDP', start: 53, end: 53 }, tcp(53)], 'dns')];
          break;
        case 2:
          ingress = [rule('Accept', [nsPeer({ 'kubernetes.io/metadata.name': 'kube-system' })], [tcp(9090), { kind: 'named', name: 'metrics' }], 'monitoring')];
          break;
        case 3:
          ingress = [rule('Pass', [nsPeer({ team })], null, 'own-team')];
          egress = [rule('Pass', [nsPeer({ team })], null, 'own-team')];
          break;
        case 4:
          egress = [rule('Deny', [{ kind: 'networks', cidrs: [`203.0.${i % 256}.0/24`, '198.51.100.0/24'] }], [tcp(25)], 'no-smtp')];
          break;
        default:
          ingress = [rule('Deny', [podPeer({ env: pick(ENVS) }, { tier: 'frontend' })], [tcp(5432), tcp(6379)], 'no-frontend-to-data')];
      }
    } else {
      ingress = [rule('Accept', [nsPeer({ team })], null, 'team'), rule('Deny', [nsPeer({})], null, 'isolate')];
    }
    out.push({
      kind: admin ? (i % 2 === 0 ? 'ClusterNetworkPolicy' : 'AdminNetworkPolicy') : 'ClusterNetworkPolicy',
      name: `tier-${String(i).padStart(3, '0')}`,
      tier: admin ? 'Admin' : 'Baseline',
      priority: i % 1000,
      subject,
      ingress,
      egress,
      source,
    });
  }
  return out;
}
