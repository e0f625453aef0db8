/**
 * Cluster policy tiers (ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy v1alpha1) in the engine: one table per rule of the evaluation order,
 * each case read through the real loader, judged by PolicyEngine.evaluate and by the bitset
 * matrix (which must agree), and explained.
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Cluster, Protocol } from '../../src/model/types.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { explain, formatExplanation } from '../../src/policy/explain.js';
import { computeMatrix } from '../../src/policy/matrix.js';
import { connlist, formatConnLine } from '../../src/policy/connlist.js';
import { SEMANTICS } from '../../src/policy/semantics.js';
import { dedent, endpoint, findPod, loadCluster, namespace, netpol, node, pod } from './fixtures.js';

type Obj = Record<string, unknown>;
const ALLOW = true;
const DENY = false;

const BASE = [
  namespace('a', { team: 'alpha' }),
  namespace('b', { team: 'beta' }),
  namespace('c', { team: 'gamma' }),
  node('n1', '172.18.0.2'),
  pod('a/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
  pod('a/db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }] }),
  pod('b/client', { labels: { app: 'client' } }),
  pod('b/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 80 }] }),
  pod('c/client', { labels: { app: 'client' } }),
  pod('a/host', { labels: { app: 'web' }, hostNetwork: true, nodeName: 'n1' }),
];

function cnp(name: string, spec: string): Obj {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name }, spec: parse(dedent(spec)) as Obj };
}
function anp(name: string, spec: string): Obj {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name }, spec: parse(dedent(spec)) as Obj };
}
function banp(spec: string, name = 'default'): Obj {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'BaselineAdminNetworkPolicy', metadata: { name }, spec: parse(dedent(spec)) as Obj };
}

interface Probe {
  from: string;
  to: string;
  port: number;
  protocol?: Protocol;
  want: boolean;
}

interface Case {
  name: string;
  objects: Obj[];
  probes: Probe[];
}

function check(cluster: Cluster, probes: readonly Probe[]): void {
  const engine = new PolicyEngine(cluster);
  for (const p of probes) {
    const protocol = p.protocol ?? 'TCP';
    const got = engine.evaluate(endpoint(cluster, p.from), endpoint(cluster, p.to)).conns.allows(protocol, p.port);
    expect(got, `${p.from} -> ${p.to} ${protocol}/${p.port}`).toBe(p.want);
    if (p.from.includes('/') && p.to.includes('/')) {
      const m = computeMatrix(cluster, p.port, protocol);
      const s = m.pods.indexOf(findPod(cluster, p.from));
      const d = m.pods.indexOf(findPod(cluster, p.to));
      expect(m.rows[s].has(d), `matrix ${p.from} -> ${p.to} ${protocol}/${p.port}`).toBe(p.want);
    }
  }
}

function run(cases: readonly Case[]): void {
  for (const c of cases) it(c.name, () => check(loadCluster([...BASE, ...c.objects]), c.probes));
}

const SUBJECT_A_WEB = 'subject: { pods: { namespaceSelector: { matchLabels: { team: alpha } }, podSelector: { matchLabels: { app: web } } } }';

describe('Admin tier: by priority, lowest number first; the first matching rule decides', () => {
  run([
    {
      name: 'an Admin Deny wins over a NetworkPolicy that allows',
      objects: [
        netpol('a', 'allow-all', { podSelector: {}, ingress: [{}] }),
        cnp('deny-b', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'c/client', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
    {
      name: 'an Admin Accept wins over a NetworkPolicy that isolates',
      objects: [
        netpol('a', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }),
        cnp('accept-b', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'c/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'b/client', to: 'a/db', port: 5432, want: DENY },
      ],
    },
    {
      name: 'the lower priority number is checked first (Deny 10 before Accept 20)',
      objects: [
        cnp('accept', `tier: Admin\npriority: 20\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: {} }]`),
        cnp('deny', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
        netpol('a', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'c/client', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
    {
      name: 'the lower priority number is checked first (Accept 5 before Deny 10)',
      objects: [
        cnp('accept', `tier: Admin\npriority: 5\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: {} }]`),
        cnp('deny', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
      ],
      probes: [{ from: 'b/client', to: 'a/web', port: 8080, want: ALLOW }],
    },
    {
      name: 'within a policy the rule written first decides',
      objects: [
        cnp('ordered', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:
          - action: Accept
            from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: client } } } }]
            protocols: [{ tcp: { destinationPort: { number: 8080 } } }]
          - action: Deny
            from: [{ namespaces: {} }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 8081, want: DENY },
        { from: 'b/web', to: 'a/web', port: 8080, want: DENY },
      ],
    },
    {
      name: 'a rule decides only the ports it names; the rest goes on (to the default here)',
      objects: [cnp('deny-range', `tier: Admin\npriority: 1\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: {} }]\n    protocols: [{ tcp: { destinationPort: { range: { start: 8000, end: 8100 } } } }, { udp: { destinationPort: { number: 53 } } }]`)],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'b/client', to: 'a/web', port: 8101, want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 53, protocol: 'UDP', want: DENY },
        { from: 'b/client', to: 'a/web', port: 53, want: ALLOW },
      ],
    },
    {
      name: 'destinationNamedPort resolves on the destination pod',
      objects: [cnp('deny-http', `tier: Admin\npriority: 1\nsubject: { namespaces: {} }\negress:\n  - action: Deny\n    to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: web } } } }]\n    protocols: [{ destinationNamedPort: http }]`)],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'b/client', to: 'b/web', port: 80, want: DENY },
        { from: 'b/client', to: 'b/web', port: 8080, want: ALLOW },
      ],
    },
  ]);
});

describe('Pass skips the rest of the Admin tier', () => {
  run([
    {
      name: 'Pass, then NetworkPolicy decides (it allows), though a later Admin rule would deny',
      objects: [
        cnp('pass', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Pass\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
        cnp('deny', `tier: Admin\npriority: 20\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: {} }]`),
        netpol('a', 'allow-b', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'beta' } } }] }] }),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'c/client', to: 'a/web', port: 8080, want: DENY },
      ],
    },
    {
      name: 'Pass, then NetworkPolicy decides (it isolates and does not allow)',
      objects: [
        cnp('pass', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Pass\n    from: [{ namespaces: {} }]`),
        netpol('a', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }),
      ],
      probes: [{ from: 'b/client', to: 'a/web', port: 8080, want: DENY }],
    },
    {
      name: 'Pass with no NetworkPolicy: the Baseline tier decides',
      objects: [
        cnp('pass', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Pass\n    from: [{ namespaces: {} }]`),
        cnp('base-deny', `tier: Baseline\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'c/client', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
  ]);
});

describe('NetworkPolicy, then the Baseline tier, then the default', () => {
  run([
    {
      name: 'a pod NetworkPolicy isolates is decided there: a Baseline Accept does not help',
      objects: [
        netpol('a', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }),
        cnp('base-accept', `tier: Baseline\npriority: 1\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: {} }]`),
      ],
      probes: [{ from: 'b/client', to: 'a/web', port: 8080, want: DENY }],
    },
    {
      name: 'NetworkPolicy overrides a Baseline Deny',
      objects: [
        netpol('a', 'allow-b', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'beta' } } }] }] }),
        cnp('base-deny', `tier: Baseline\npriority: 1\nsubject: { namespaces: {} }\ningress:\n  - action: Deny\n    from: [{ namespaces: {} }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'a/db', to: 'b/web', port: 80, want: DENY },
      ],
    },
    {
      name: 'Baseline policies by priority; what no tier decides is allowed',
      objects: [
        cnp('base-accept', `tier: Baseline\npriority: 1\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
        cnp('base-deny', `tier: Baseline\npriority: 2\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }, { namespaces: { matchLabels: { team: gamma } } }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'c/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'a/db', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
    {
      name: 'the BaselineAdminNetworkPolicy (v1alpha1, Allow/Deny) comes after Baseline-tier ClusterNetworkPolicies',
      objects: [
        banp(`subject: { namespaces: {} }\ningress:\n  - action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
        cnp('base-accept', `tier: Baseline\npriority: 1000\n${SUBJECT_A_WEB}\ningress:\n  - action: Accept\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'b/client', to: 'a/db', port: 5432, want: DENY },
      ],
    },
  ]);
});

describe('each side is judged on its own', () => {
  run([
    {
      name: 'an egress Accept at the source does not override an ingress Deny at the destination',
      objects: [
        cnp('egress-accept', `tier: Admin\npriority: 1\nsubject: { namespaces: { matchLabels: { team: beta } } }\negress:\n  - action: Accept\n    to: [{ namespaces: {} }]`),
        cnp('ingress-deny', `tier: Admin\npriority: 2\n${SUBJECT_A_WEB}\ningress:\n  - action: Deny\n    from: [{ namespaces: {} }]`),
      ],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'b/client', to: 'a/db', port: 5432, want: ALLOW },
      ],
    },
    {
      name: 'AdminNetworkPolicy v1alpha1: Allow is Accept, ports by portNumber/portRange/namedPort',
      objects: [
        anp('anp', `priority: 3\nsubject: { namespaces: { matchLabels: { team: beta } } }\negress:
          - action: Allow
            to: [{ namespaces: { matchLabels: { team: alpha } } }]
            ports: [{ portNumber: { port: 5432 } }, { portRange: { protocol: UDP, start: 50, end: 60 } }, { namedPort: http }]
          - action: Deny
            to: [{ namespaces: {} }]`),
        netpol('b', 'allow-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] }),
      ],
      probes: [
        { from: 'b/client', to: 'a/db', port: 5432, want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 53, protocol: 'UDP', want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 8081, want: DENY },
        { from: 'b/client', to: 'c/client', port: 80, want: DENY },
      ],
    },
  ]);
});

describe('networks and nodes peers; host-networked pods', () => {
  run([
    {
      name: 'a networks peer matches outside addresses and pod addresses alike',
      objects: [cnp('deny-net', `tier: Admin\npriority: 1\nsubject: { namespaces: { matchLabels: { team: beta } } }\negress:\n  - action: Deny\n    to: [{ networks: [10.244.0.0/16, 203.0.113.0/24] }]`)],
      probes: [
        { from: 'b/client', to: 'a/web', port: 8080, want: DENY },
        { from: 'b/client', to: '203.0.113.7', port: 443, want: DENY },
        { from: 'b/client', to: '198.51.100.1', port: 443, want: ALLOW },
        { from: 'c/client', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
    {
      name: 'a nodes peer matches node addresses (a hostNetwork pod is its node)',
      objects: [cnp('deny-nodes', `tier: Admin\npriority: 1\nsubject: { namespaces: {} }\negress:\n  - action: Deny\n    to: [{ nodes: {} }]`)],
      probes: [
        { from: 'b/client', to: '172.18.0.2', port: 10250, want: DENY },
        { from: 'b/client', to: 'a/host', port: 10250, want: DENY },
        { from: 'b/client', to: '172.18.0.9', port: 10250, want: ALLOW },
        { from: 'b/client', to: 'a/web', port: 8080, want: ALLOW },
      ],
    },
    {
      name: 'host-networked pods are neither subjects nor pods/namespaces peers',
      objects: [cnp('deny-all', `tier: Admin\npriority: 1\nsubject: { namespaces: {} }\ningress:\n  - action: Deny\n    from: [{ namespaces: {} }]`)],
      probes: [
        { from: 'b/client', to: 'a/host', port: 80, want: ALLOW },
        { from: 'a/host', to: 'b/client', port: 80, want: ALLOW },
        { from: 'c/client', to: 'b/client', port: 80, want: DENY },
      ],
    },
    {
      name: 'domainNames peers are not modeled: they match nothing',
      objects: [cnp('dns', `tier: Admin\npriority: 1\nsubject: { namespaces: {} }\negress:\n  - action: Accept\n    to: [{ domainNames: ["*.example.com"] }]\n  - action: Deny\n    to: [{ networks: [0.0.0.0/0] }]`)],
      probes: [{ from: 'b/client', to: '93.184.216.34', port: 443, want: DENY }],
    },
  ]);
});

describe('explain names the deciding object and rule', () => {
  const cluster = loadCluster([
    ...BASE,
    cnp('deny-sensitive', `tier: Admin\npriority: 10\n${SUBJECT_A_WEB}\ningress:\n  - name: allow-c\n    action: Accept\n    from: [{ namespaces: { matchLabels: { team: gamma } } }]\n  - name: deny-b\n    action: Deny\n    from: [{ namespaces: { matchLabels: { team: beta } } }]`),
    banp(`subject: { namespaces: {} }\ningress:\n  - action: Deny\n    from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: db } } } }]`),
  ]);
  it('an Admin Deny', () => {
    const x = explain(cluster, endpoint(cluster, 'b/client'), endpoint(cluster, 'a/web'), 8080);
    expect(x.allowed).toBe(false);
    expect(x.ingress.decidedBy?.map((d) => d.rule)).toEqual(['clusternetworkpolicy deny-sensitive spec.ingress[1] (Admin, priority 10): Deny']);
    expect(formatExplanation(x)).toContain('decided by clusternetworkpolicy deny-sensitive spec.ingress[1] (Admin, priority 10): Deny (rule "deny-b") (test.yaml): All Connections');
  });
  it('the Baseline tier and the default', () => {
    const denied = explain(cluster, endpoint(cluster, 'a/db'), endpoint(cluster, 'b/web'), 80);
    expect(denied.allowed).toBe(false);
    expect(denied.ingress.decidedBy?.map((d) => d.rule)).toEqual(['baselineadminnetworkpolicy default spec.ingress[0] (Baseline): Deny']);
    const allowed = explain(cluster, endpoint(cluster, 'c/client'), endpoint(cluster, 'b/web'), 80);
    expect(allowed.allowed).toBe(true);
    expect(allowed.ingress.decidedBy).toEqual([]);
    expect(formatExplanation(allowed)).toContain('allowed by default (no tier decided)');
  });
  it('connlist and np-guard semantics see the tiers too', () => {
    const lines = connlist(cluster).map(formatConnLine);
    expect(lines).not.toContain('b/client[Pod] => a/web[Pod] : All Connections');
    expect(lines).toContain('c/client[Pod] => a/web[Pod] : All Connections');
    const np = new PolicyEngine(cluster, { semantics: SEMANTICS['np-guard'] });
    expect(np.evaluate(endpoint(cluster, 'b/client'), endpoint(cluster, 'a/web')).conns.isEmpty()).toBe(true);
  });
});
