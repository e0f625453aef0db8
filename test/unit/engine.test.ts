/**
 * The NetworkPolicy engine against networking.k8s.io/v1 semantics, table-driven. Every case reads
 * manifests through the real loader, so spec fields are translated exactly as for users.
 */
import { describe, expect, it } from 'vitest';
import type { Cluster, Protocol } from '../../src/model/types.js';
import { PolicyEngine, type EngineOptions } from '../../src/policy/engine.js';
import { endpoint, loadCluster, namespace, netpol, node, pod } from './fixtures.js';
import { SEMANTICS } from '../../src/policy/semantics.js';

const ALLOW = true;
const DENY = false;

/**
 * The base cluster every case adds its policies to.
 * Pod IPs (allocated from 10.244.0.0/16) are never matched by ipBlock; hostNetwork pods have
 * node addresses in 172.18.0.0/24.
 */
const BASE = [
  namespace('a', { team: 'alpha', env: 'prod' }),
  namespace('b', { team: 'beta', env: 'prod' }),
  namespace('c', { env: 'dev' }),
  node('n1', '172.18.0.2'),
  node('n2', '172.18.0.3'),
  pod('a/web', { labels: { app: 'web', tier: 'front' }, ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('a/canary', { labels: { app: 'web', track: 'canary' }, ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('a/db', { labels: { app: 'db', tier: 'back' }, ports: [{ name: 'pg', containerPort: 5432 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] }),
  pod('a/bare'),
  pod('a/client', { labels: { app: 'client' } }),
  pod('b/web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }),
  pod('b/client', { labels: { app: 'client' } }),
  pod('c/client', { labels: { app: 'client' } }),
  // hostNetwork pods: IP from status.hostIP, from the node's InternalIP, from status.podIP.
  pod('a/host', { labels: { app: 'web' }, hostNetwork: true, nodeName: 'n1', hostIP: '172.18.0.2', ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('a/host2', { labels: { app: 'web' }, hostNetwork: true, nodeName: 'n2' }),
  pod('a/host3', { labels: { app: 'web' }, hostNetwork: true, podIP: '172.18.0.4' }),
  // An ordinary pod on node n1, next to a/host.
  pod('a/local', { labels: { app: 'local' }, nodeName: 'n1' }),
];

/** [from, to, want allowed, port (default 80), protocol (default TCP)] */
type Check = [from: string, to: string, want: boolean, port?: number, protocol?: Protocol];

interface Row {
  name: string;
  policies: readonly (readonly [ns: string, spec: string])[];
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  want: boolean;
  options?: EngineOptions;
}

/** One group of checks sharing the same policies, flattened into table rows. */
function group(name: string, policies: Row['policies'], checks: readonly Check[], options?: EngineOptions): Row[] {
  return checks.map(([from, to, want, port = 80, protocol = 'TCP']) => ({
    name: `${name}: ${from} -> ${to} ${protocol} ${port} ${want ? 'allowed' : 'denied'}`,
    policies, from, to, port, protocol, want, options,
  }));
}

const clusters = new Map<string, Cluster>();
function clusterFor(policies: Row['policies']): Cluster {
  const key = JSON.stringify(policies);
  let c = clusters.get(key);
  if (!c) {
    c = loadCluster([...BASE, ...policies.map(([ns, spec], i) => netpol(ns, `p${i}`, spec))]);
    clusters.set(key, c);
  }
  return c;
}

function allowed(row: Row): boolean {
  const cluster = clusterFor(row.policies);
  const v = new PolicyEngine(cluster, row.options).evaluate(endpoint(cluster, row.from), endpoint(cluster, row.to));
  return v.conns.allows(row.protocol, row.port);
}

function table(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
      expect(allowed(row)).toBe(row.want);
    });
  });
}

// ---------------------------------------------------------------------------------------------

const DENY_IN = (selector: string) => `{podSelector: ${selector}, ingress: []}`;

table('podSelector: which pods a policy applies to', [
  ...group('empty podSelector selects every pod of its namespace', [['a', DENY_IN('{}')]], [
    ['b/client', 'a/bare', DENY],
    ['b/client', 'a/web', DENY],
  ]),
  ...group('empty podSelector selects no pod of other namespaces', [['a', DENY_IN('{}')]], [['a/client', 'b/web', ALLOW]]),
  ...group('matchLabels', [['a', DENY_IN('{matchLabels: {app: db}}')]], [
    ['b/client', 'a/db', DENY],
    ['b/client', 'a/web', ALLOW],
  ]),
  ...group('matchExpressions In', [['a', DENY_IN('{matchExpressions: [{key: app, operator: In, values: [db, cache]}]}')]], [
    ['b/client', 'a/db', DENY],
    ['b/client', 'a/web', ALLOW],
    ['b/client', 'a/bare', ALLOW],
  ]),
  ...group('matchExpressions NotIn (also matches pods without the key)', [['a', DENY_IN('{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}')]], [
    ['b/client', 'a/db', DENY],
    ['b/client', 'a/bare', DENY],
    ['b/client', 'a/web', ALLOW],
  ]),
  ...group('matchExpressions Exists', [['a', DENY_IN('{matchExpressions: [{key: track, operator: Exists}]}')]], [
    ['b/client', 'a/canary', DENY],
    ['b/client', 'a/web', ALLOW],
  ]),
  ...group('matchExpressions DoesNotExist', [['a', DENY_IN('{matchExpressions: [{key: track, operator: DoesNotExist}]}')]], [
    ['b/client', 'a/web', DENY],
    ['b/client', 'a/canary', ALLOW],
  ]),
  ...group('matchLabels AND matchExpressions', [['a', DENY_IN('{matchLabels: {app: web}, matchExpressions: [{key: track, operator: Exists}]}')]], [
    ['b/client', 'a/canary', DENY],
    ['b/client', 'a/web', ALLOW], // matchLabels only
    ['b/client', 'a/db', ALLOW], // neither
  ]),
]);

table('policyTypes', [
  ...group('[Ingress] isolates ingress', [['a', '{podSelector: {}, policyTypes: [Ingress]}']], [['b/client', 'a/db', DENY]]),
  ...group('[Ingress] leaves egress open, even with egress rules', [['a', '{podSelector: {}, policyTypes: [Ingress], egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}']], [
    ['a/db', 'b/client', ALLOW],
  ]),
  ...group('[Egress] without rules denies all egress', [['a', '{podSelector: {}, policyTypes: [Egress]}']], [
    ['a/db', 'b/client', DENY],
    ['a/db', 'a/web', DENY],
    ['a/db', '203.0.113.7', DENY],
  ]),
  ...group('[Egress] without rules leaves ingress open', [['a', '{podSelector: {}, policyTypes: [Egress]}']], [['b/client', 'a/db', ALLOW]]),
  ...group('[Egress] ignores an ingress section', [['a', '{podSelector: {}, policyTypes: [Egress], ingress: [{from: [{podSelector: {matchLabels: {app: nobody}}}]}]}']], [
    ['b/client', 'a/db', ALLOW],
  ]),
  ...group('[Ingress, Egress] isolates both', [['a', '{podSelector: {}, policyTypes: [Ingress, Egress]}']], [
    ['b/client', 'a/db', DENY],
    ['a/db', 'b/client', DENY],
  ]),
  ...group('omitted, no rule sections: Ingress only', [['a', '{podSelector: {}}']], [
    ['b/client', 'a/db', DENY],
    ['a/db', 'b/client', ALLOW],
  ]),
  ...group('omitted, ingress section only: Ingress only', [['a', '{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]}']], [
    ['a/client', 'a/db', ALLOW],
    ['b/client', 'a/db', DENY],
    ['a/db', 'b/client', ALLOW],
  ]),
  ...group('omitted, egress section with rules: Ingress and Egress', [['a', '{podSelector: {matchLabels: {app: db}}, egress: [{to: [{podSelector: {matchLabels: {app: web}}}]}]}']], [
    ['a/db', 'a/web', ALLOW],
    ['a/db', 'a/bare', DENY],
    ['a/db', 'b/client', DENY],
    ['b/client', 'a/db', DENY],
  ]),
  // The API server defaults policyTypes to [Ingress] and adds Egress only when
  // len(spec.egress) != 0 (SetDefaults_NetworkPolicy); np-guard does the same.
  ...group('omitted, `egress: []`: Ingress only (as the API server defaults it)', [['a', '{podSelector: {}, egress: []}']], [
    ['a/db', 'b/client', ALLOW],
    ['b/client', 'a/db', DENY],
  ]),
]);

table('isolation is per direction', [
  ...group('a pod selected only by an ingress policy keeps egress open', [['a', '{podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress]}']], [
    ['a/db', 'a/bare', ALLOW],
    ['a/bare', 'a/db', DENY],
  ]),
  ...group('a pod selected only by an egress policy keeps ingress open', [['a', '{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress]}']], [
    ['a/bare', 'a/db', ALLOW],
    ['a/db', 'a/bare', DENY],
  ]),
]);

table('rules: empty or missing fields', [
  ...group('a rule with neither from nor ports allows everything', [['a', '{podSelector: {}, ingress: [{}]}']], [
    ['c/client', 'a/db', ALLOW, 9999, 'UDP'],
    ['203.0.113.7', 'a/db', ALLOW, 1, 'SCTP'],
  ]),
  ...group('`from: []` matches all sources', [['a', '{podSelector: {}, ingress: [{from: [], ports: [{port: 5432}]}]}']], [
    ['c/client', 'a/db', ALLOW, 5432],
    ['c/client', 'a/db', DENY, 5433],
  ]),
  ...group('missing ports matches all ports', [['a', '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {env: dev}}}]}]}']], [
    ['c/client', 'a/db', ALLOW, 12345, 'UDP'],
    ['c/client', 'a/db', ALLOW, 1, 'SCTP'],
    ['b/client', 'a/db', DENY, 12345, 'UDP'],
  ]),
  ...group('`ports: []` matches all ports', [['a', '{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: []}]}']], [
    ['a/client', 'a/db', ALLOW, 7, 'SCTP'],
    ['b/client', 'a/db', DENY, 7, 'SCTP'],
  ]),
  ...group('`ingress: []` denies all ingress, even from the same namespace', [['a', DENY_IN('{}')]], [
    ['a/client', 'a/db', DENY],
    ['203.0.113.7', 'a/db', DENY],
  ]),
  ...group('`to: []` matches all destinations', [['a', '{podSelector: {}, policyTypes: [Egress], egress: [{to: [], ports: [{port: 443}]}]}']], [
    ['a/db', 'c/client', ALLOW, 443],
    ['a/db', '198.51.100.1', ALLOW, 443],
    ['a/db', 'c/client', DENY, 80],
  ]),
]);

const FROM = (peers: string) => [['a', `{podSelector: {matchLabels: {app: db}}, ingress: [{from: ${peers}}]}`]] as const;

table('peers', [
  ...group('podSelector alone: pods of the policy namespace only', FROM('[{podSelector: {matchLabels: {app: client}}}]'), [
    ['a/client', 'a/db', ALLOW],
    ['b/client', 'a/db', DENY],
    ['a/bare', 'a/db', DENY],
  ]),
  ...group('podSelector {} alone: every pod of the policy namespace', FROM('[{podSelector: {}}]'), [
    ['a/bare', 'a/db', ALLOW],
    ['b/web', 'a/db', DENY],
  ]),
  ...group('namespaceSelector alone: every pod of the matching namespaces', FROM('[{namespaceSelector: {matchLabels: {team: beta}}}]'), [
    ['b/web', 'a/db', ALLOW],
    ['b/client', 'a/db', ALLOW],
    ['a/client', 'a/db', DENY],
    ['c/client', 'a/db', DENY],
  ]),
  ...group('namespaceSelector and podSelector in one peer: AND', FROM('[{namespaceSelector: {matchLabels: {team: beta}}, podSelector: {matchLabels: {app: client}}}]'), [
    ['b/client', 'a/db', ALLOW],
    ['b/web', 'a/db', DENY],
    ['c/client', 'a/db', DENY],
    ['a/client', 'a/db', DENY],
  ]),
  ...group('namespaceSelector and podSelector as two peers: OR', FROM('[{namespaceSelector: {matchLabels: {team: beta}}}, {podSelector: {matchLabels: {app: client}}}]'), [
    ['b/web', 'a/db', ALLOW],
    ['a/client', 'a/db', ALLOW],
    ['c/client', 'a/db', DENY],
    ['a/bare', 'a/db', DENY],
  ]),
  ...group('namespaceSelector {}: all namespaces', FROM('[{namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}]'), [
    ['c/client', 'a/db', ALLOW],
    ['a/client', 'a/db', ALLOW],
    ['b/web', 'a/db', DENY],
  ]),
  ...group('namespaceSelector on kubernetes.io/metadata.name', FROM('[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: c}}}]'), [
    ['c/client', 'a/db', ALLOW],
    ['b/client', 'a/db', DENY],
  ]),
  ...group('namespaceSelector with matchExpressions', FROM('[{namespaceSelector: {matchExpressions: [{key: env, operator: In, values: [dev]}]}}]'), [
    ['c/client', 'a/db', ALLOW],
    ['b/client', 'a/db', DENY],
  ]),
  ...group('selectors never match addresses outside the cluster', FROM('[{namespaceSelector: {}}]'), [
    ['203.0.113.7', 'a/db', DENY],
    ['c/client', 'a/db', ALLOW],
  ]),
]);

table('ipBlock', [
  ...group('cidr matches external addresses', FROM('[{ipBlock: {cidr: 203.0.113.0/24}}]'), [
    ['203.0.113.7', 'a/db', ALLOW],
    ['203.0.113.0-203.0.113.255', 'a/db', ALLOW],
    ['198.51.100.1', 'a/db', DENY],
    ['203.0.113.250-203.0.114.5', 'a/db', DENY], // a range only partly inside
  ]),
  ...group('except carves holes', FROM('[{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}]'), [
    ['203.0.113.127', 'a/db', ALLOW],
    ['203.0.113.128', 'a/db', DENY],
    ['203.0.113.200', 'a/db', DENY],
  ]),
  // Upstream (the e2e suite's CIDR tests): an ipBlock matches pod IPs too.
  ...group('ipBlock matches pod IPs (0.0.0.0/0)', FROM('[{ipBlock: {cidr: 0.0.0.0/0}}]'), [
    ['b/client', 'a/db', ALLOW],
    ['a/client', 'a/db', ALLOW],
    ['8.8.8.8', 'a/db', ALLOW],
  ]),
  ...group('ipBlock matches pod IPs (the pod CIDR itself)', FROM('[{ipBlock: {cidr: 10.244.0.0/16}}]'), [
    ['b/client', 'a/db', ALLOW],
    ['10.244.200.1', 'a/db', ALLOW],
  ]),
  ...group('cilium: ipBlock does not match pod IPs (0.0.0.0/0)', FROM('[{ipBlock: {cidr: 0.0.0.0/0}}]'), [
    ['b/client', 'a/db', DENY],
    ['a/client', 'a/db', DENY],
    ['8.8.8.8', 'a/db', ALLOW],
  ], { semantics: SEMANTICS.cilium }),
  ...group('np-guard: ipBlock does not match pod IPs (the pod CIDR itself)', FROM('[{ipBlock: {cidr: 10.244.0.0/16}}]'), [
    ['b/client', 'a/db', DENY],
    ['10.244.200.1', 'a/db', ALLOW],
  ], { semantics: SEMANTICS['np-guard'] }),
  ...group('egress ipBlock', [['a', '{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}']], [
    ['a/db', '203.0.113.9', ALLOW],
    ['a/db', '198.51.100.1', DENY],
    ['a/db', 'b/client', DENY],
  ]),
]);

table('ports', [
  ...group('a port number', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 5432}]}]}']], [
    ['a/client', 'a/db', ALLOW, 5432],
    ['a/client', 'a/db', DENY, 5433],
    ['a/client', 'a/db', DENY, 5432, 'UDP'],
  ]),
  ...group('several ports are ORed', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 80}, {port: 443}]}]}']], [
    ['a/client', 'a/db', ALLOW, 80],
    ['a/client', 'a/db', ALLOW, 443],
    ['a/client', 'a/db', DENY, 444],
  ]),
  ...group('ingress named port resolves on the selected pod', [['a', '{podSelector: {}, ingress: [{ports: [{port: pg}]}]}']], [
    ['a/client', 'a/db', ALLOW, 5432],
    ['a/client', 'a/db', DENY, 5433],
    ['a/client', 'a/web', DENY, 5432], // a/web has no port named pg
  ]),
  ...group('egress named port resolves on the destination peer', [['a', '{podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{ports: [{port: http}]}]}']], [
    ['a/client', 'a/web', ALLOW, 8080],
    ['a/client', 'b/web', ALLOW, 80],
    ['a/client', 'b/web', DENY, 8080],
    ['a/client', 'a/web', DENY, 80],
    ['a/client', 'a/db', DENY, 8080],
    ['a/client', '203.0.113.7', DENY, 8080], // no pod there to name the port
  ]),
  ...group('named port with the default protocol TCP does not match a UDP container port', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: dns}]}]}']], [
    ['a/client', 'a/db', DENY, 53, 'UDP'],
    ['a/client', 'a/db', DENY, 53, 'TCP'],
  ]),
  ...group('named port with the matching protocol', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: dns, protocol: UDP}]}]}']], [
    ['a/client', 'a/db', ALLOW, 53, 'UDP'],
    ['a/client', 'a/db', DENY, 53, 'TCP'],
  ]),
  ...group('named port with UDP does not match a TCP container port', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: pg, protocol: UDP}]}]}']], [
    ['a/client', 'a/db', DENY, 5432, 'UDP'],
    ['a/client', 'a/db', DENY, 5432, 'TCP'],
  ]),
  ...group('endPort range is inclusive', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 8000, endPort: 8010}]}]}']], [
    ['a/client', 'a/db', ALLOW, 8000],
    ['a/client', 'a/db', ALLOW, 8005],
    ['a/client', 'a/db', ALLOW, 8010],
    ['a/client', 'a/db', DENY, 7999],
    ['a/client', 'a/db', DENY, 8011],
    ['a/client', 'a/db', DENY, 8005, 'UDP'],
  ]),
  ...group('protocol TCP is the default', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 53}]}]}']], [
    ['a/client', 'a/db', ALLOW, 53, 'TCP'],
    ['a/client', 'a/db', DENY, 53, 'UDP'],
    ['a/client', 'a/db', DENY, 53, 'SCTP'],
  ]),
  ...group('protocol UDP does not allow TCP', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{protocol: UDP, port: 53}]}]}']], [
    ['a/client', 'a/db', ALLOW, 53, 'UDP'],
    ['a/client', 'a/db', DENY, 53, 'TCP'],
  ]),
  ...group('protocol SCTP', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{protocol: SCTP, port: 9000}]}]}']], [
    ['a/client', 'a/db', ALLOW, 9000, 'SCTP'],
    ['a/client', 'a/db', DENY, 9000, 'TCP'],
    ['a/client', 'a/db', DENY, 9000, 'UDP'],
  ]),
  ...group('a protocol without a port: every port of it', [['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{protocol: UDP}]}]}']], [
    ['a/client', 'a/db', ALLOW, 1, 'UDP'],
    ['a/client', 'a/db', ALLOW, 65535, 'UDP'],
    ['a/client', 'a/db', DENY, 53, 'TCP'],
  ]),
]);

table('policies add up; both ends must allow', [
  ...group('two policies selecting one pod: union of peers', [
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]}'],
    ['a', '{podSelector: {matchLabels: {tier: back}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: beta}}}]}]}'],
  ], [
    ['a/client', 'a/db', ALLOW],
    ['b/web', 'a/db', ALLOW],
    ['c/client', 'a/db', DENY],
  ]),
  ...group('two policies selecting one pod: union of ports', [
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 80}]}]}'],
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 443}]}]}'],
  ], [
    ['b/client', 'a/db', ALLOW, 80],
    ['b/client', 'a/db', ALLOW, 443],
    ['b/client', 'a/db', DENY, 8080],
  ]),
  ...group('an allow-all policy overrides a deny-all for the pods it selects', [
    ['a', DENY_IN('{}')],
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{}]}'],
  ], [
    ['b/client', 'a/db', ALLOW],
    ['b/client', 'a/web', DENY],
  ]),
  ...group('source egress allows, destination ingress denies', [
    ['a', DENY_IN('{matchLabels: {app: db}}')],
    ['b', '{podSelector: {}, policyTypes: [Egress], egress: [{}]}'],
  ], [['b/client', 'a/db', DENY]]),
  ...group('destination ingress allows, source egress denies', [
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{}]}'],
    ['b', '{podSelector: {}, policyTypes: [Egress]}'],
  ], [['b/client', 'a/db', DENY]]),
  ...group('both ends allow', [
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: beta}}}], ports: [{port: 5432}]}]}'],
    ['b', '{podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {team: alpha}}, podSelector: {matchLabels: {app: db}}}]}]}'],
  ], [
    ['b/client', 'a/db', ALLOW, 5432],
    ['b/client', 'a/db', DENY, 80], // egress allows, ingress does not
    ['b/client', 'a/web', DENY, 5432], // ingress open, egress does not allow
  ]),
]);

table('hostNetwork pods and node-local traffic', [
  ...group('hostNetwork pod as destination is not subject to policy', [['a', DENY_IN('{}')]], [
    ['b/client', 'a/host', ALLOW],
    ['b/client', 'a/web', DENY],
  ]),
  ...group('hostNetwork pod as source is not subject to policy', [['a', '{podSelector: {}, policyTypes: [Egress]}']], [
    ['a/host', 'b/client', ALLOW],
    ['a/web', 'b/client', DENY],
  ]),
  ...group('hostNetwork peer is not matched by podSelector', FROM('[{podSelector: {matchLabels: {app: web}}}]'), [
    ['a/web', 'a/db', ALLOW],
    ['a/host', 'a/db', DENY],
  ]),
  ...group('hostNetwork peer is not matched by namespaceSelector', FROM('[{namespaceSelector: {}}]'), [
    ['a/host', 'a/db', DENY],
    ['a/bare', 'a/db', ALLOW],
  ]),
  ...group('hostNetwork peer is matched by ipBlock on status.hostIP', FROM('[{ipBlock: {cidr: 172.18.0.2/32}}]'), [
    ['a/host', 'a/db', ALLOW],
    ['a/host2', 'a/db', DENY],
  ]),
  ...group('hostNetwork peer is matched by ipBlock on its node InternalIP', FROM('[{ipBlock: {cidr: 172.18.0.3/32}}]'), [
    ['a/host2', 'a/db', ALLOW],
    ['a/host', 'a/db', DENY],
  ]),
  // Cilium (default policy-cidr-match-mode): CIDR rules match neither nodes nor hostNetwork pods.
  ...group('cilium: ipBlock does not match node IPs', FROM('[{ipBlock: {cidr: 172.18.0.0/16}}]'), [
    ['a/host', 'a/db', DENY],
    ['172.18.0.3', 'a/db', DENY],
    ['172.18.9.9', 'a/db', ALLOW],
  ], { semantics: SEMANTICS.cilium }),
  ...group('upstream: ipBlock matches node IPs as addresses', FROM('[{ipBlock: {cidr: 172.18.0.0/16}}]'), [
    ['a/host', 'a/db', ALLOW],
    ['172.18.0.3', 'a/db', ALLOW],
  ]),
  ...group('hostNetwork peer is matched by ipBlock on status.podIP', FROM('[{ipBlock: {cidr: 172.18.0.4/32}}]'), [
    ['a/host3', 'a/db', ALLOW],
    ['a/host2', 'a/db', DENY],
  ]),
  ...group('egress ipBlock reaches hostNetwork pods', [['a', '{podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 172.18.0.0/24}}]}]}']], [
    ['a/db', 'a/host', ALLOW],
    ['a/db', 'a/web', DENY],
  ]),
  ...group('a pod and a hostNetwork pod on its node: ingress always allowed', [['a', DENY_IN('{}')]], [
    ['a/host', 'a/local', ALLOW],
    ['a/host2', 'a/local', DENY], // other node
  ]),
  ...group('a pod and a hostNetwork pod on its node: egress always allowed', [['a', '{podSelector: {}, policyTypes: [Egress]}']], [
    ['a/local', 'a/host', ALLOW],
    ['a/local', 'a/host2', DENY], // other node
  ]),
  ...group('a pod may always reach itself', [['a', '{podSelector: {}, policyTypes: [Ingress, Egress]}']], [
    ['a/db', 'a/db', ALLOW],
    ['a/db', 'a/db', ALLOW, 9, 'SCTP'],
    ['a/db', 'a/web', DENY],
  ]),
]);

const NP_GUARD: EngineOptions = { semantics: SEMANTICS['np-guard'] };
table('np-guard semantics: hostNetwork pods are pods', [
  ...group('hostNetwork pod is isolated for ingress like any pod', [['a', DENY_IN('{}')]], [['b/client', 'a/host', DENY]], NP_GUARD),
  ...group('hostNetwork pod is isolated for egress like any pod', [['a', '{podSelector: {}, policyTypes: [Egress]}']], [['a/host', 'b/client', DENY]], NP_GUARD),
  ...group('hostNetwork peer is matched by podSelector', FROM('[{podSelector: {matchLabels: {app: web}}}]'), [
    ['a/host', 'a/db', ALLOW],
    ['a/local', 'a/db', DENY],
  ], NP_GUARD),
  ...group('hostNetwork peer is not matched by ipBlock', FROM('[{ipBlock: {cidr: 172.18.0.2/32}}]'), [
    ['a/host', 'a/db', DENY],
    ['172.18.0.2', 'a/db', ALLOW],
  ], NP_GUARD),
  ...group('no node-local exception', [['a', DENY_IN('{}')]], [
    ['a/host', 'a/local', DENY],
    ['a/host', 'a/host', ALLOW], // self still allowed
  ], NP_GUARD),
]);

// ---------------------------------------------------------------------------------------------

describe('verdict details (feed podnet explain)', () => {
  const cluster = clusterFor([
    ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}, {from: [{podSelector: {matchLabels: {app: client}}}], ports: [{port: 5432}, {port: 6432}]}]}'],
    ['a', '{podSelector: {matchLabels: {tier: back}}, ingress: [{from: [{podSelector: {matchLabels: {app: nobody}}}]}, {from: [{namespaceSelector: {}}], ports: [{protocol: UDP}]}]}'],
    ['a', '{podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: pg}]}]}'],
    ['b', DENY_IN('{}')],
    ['a', '{podSelector: {matchLabels: {tier: front}}, ingress: [{ports: [{port: pg}]}]}'],
  ]);
  const engine = new PolicyEngine(cluster);
  const ev = (from: string, to: string) => engine.evaluate(endpoint(cluster, from), endpoint(cluster, to));

  it('lists the isolating policies and the matching rules with their indexes', () => {
    const v = ev('a/client', 'a/db');
    expect(v.ingress.selectedBy.map((p) => p.name)).toEqual(['p0', 'p1']);
    expect(v.ingress.matches.map((m) => [m.policy.name, m.direction, m.index, m.conns.toString()])).toEqual([
      ['p0', 'ingress', 1, 'TCP 5432,6432'],
      ['p1', 'ingress', 1, 'UDP'],
    ]);
    expect(v.ingress.conns.toString()).toBe('TCP 5432,6432,UDP');
    expect(v.egress.selectedBy.map((p) => p.name)).toEqual(['p2']);
    expect(v.egress.matches.map((m) => [m.policy.name, m.direction, m.index, m.conns.toString()])).toEqual([['p2', 'egress', 0, 'TCP 5432']]);
    expect(v.conns.toString()).toBe('TCP 5432');
    expect(v.special).toBeUndefined();
  });

  it('a different peer matches a different rule', () => {
    const v = ev('a/web', 'a/db');
    expect(v.ingress.matches.map((m) => [m.policy.name, m.index])).toEqual([['p0', 0], ['p1', 1]]);
    expect(v.egress.exempt).toMatch(/no policy selects it/);
    expect(v.egress.selectedBy).toEqual([]);
    expect(v.conns.toString()).toBe('TCP 5432,UDP');
  });

  it('selected but no rule matches: no connections, no matches', () => {
    const v = ev('b/client', 'b/web');
    expect(v.ingress.selectedBy.map((p) => `${p.namespace}/${p.name}`)).toEqual(['b/p3']);
    expect(v.ingress.matches).toEqual([]);
    expect(v.ingress.exempt).toBeUndefined();
    expect(v.conns.isEmpty()).toBe(true);
    expect(v.conns.toString()).toBe('No Connections');
  });

  it('a rule whose peers match but whose named port does not resolve is not a match', () => {
    // p4 selects a/web with a rule for every peer on port "pg", which a/web does not have.
    const v = ev('b/client', 'a/web');
    expect(v.ingress.selectedBy.map((p) => p.name)).toEqual(['p4']);
    expect(v.ingress.matches).toEqual([]);
    expect(v.ingress.conns.isEmpty()).toBe(true);
    expect(v.conns.isEmpty()).toBe(true);
  });

  it('exemptions and special cases are explained', () => {
    expect(ev('a/db', 'a/db').special).toMatch(/itself/);
    expect(ev('a/host', 'a/local').special).toMatch(/own node \(n1\)/);
    expect(ev('a/host', 'a/db').egress.exempt).toMatch(/hostNetwork/);
    expect(ev('203.0.113.7', 'a/db').egress.exempt).toMatch(/not a pod/);
    expect(ev('a/db', '203.0.113.7').ingress.exempt).toMatch(/not a pod/);
  });
});

describe('ConnSet of a verdict', () => {
  it('is All Connections between unisolated pods', () => {
    const cluster = clusterFor([]);
    const v = new PolicyEngine(cluster).evaluate(endpoint(cluster, 'a/web'), endpoint(cluster, 'b/web'));
    expect(v.conns.isAll()).toBe(true);
    expect(v.conns.toString()).toBe('All Connections');
  });

  it('is the intersection of egress and ingress', () => {
    const cluster = clusterFor([
      ['a', '{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 5000, endPort: 5100}, {protocol: SCTP, port: 7070}]}]}'],
      ['a', '{podSelector: {matchLabels: {app: client}}, policyTypes: [Egress], egress: [{ports: [{port: 5050, endPort: 6000}, {protocol: UDP}]}]}'],
    ]);
    const v = new PolicyEngine(cluster).evaluate(endpoint(cluster, 'a/client'), endpoint(cluster, 'a/db'));
    expect(v.ingress.conns.toString()).toBe('SCTP 7070,TCP 5000-5100');
    expect(v.egress.conns.toString()).toBe('TCP 5050-6000,UDP');
    expect(v.conns.toString()).toBe('TCP 5050-5100');
  });
});
