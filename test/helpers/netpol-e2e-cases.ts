/**
 * Every test of the upstream NetworkPolicy e2e suite (kubernetes test/e2e/network/netpol/
 * network_policy.go: the TCP context "NetworkPolicy between server and client", then the UDP
 * and SCTP contexts), restated as data in upstream's order: the pods each test creates, its
 * policies step by step, and its reachability tables. Vocabulary in netpol-e2e.ts.
 */
import { allEgress, allIngress, largeCidr, me, ml, np, NS_LABEL, nsIs, pair, peer, type E2ECase, type Protocol } from './netpol-e2e.js';

const TCP = 'TCP';
const one = (name: string, pods: string[], policies: E2ECase['steps'][number]['policies'], port: 80 | 81, protocol: Protocol, ops: E2ECase['steps'][number]['checks'][number]['ops']): E2ECase => ({
  name,
  pods,
  steps: [{ policies, checks: [{ port, protocol, ops }] }],
});
const all = ml({});
const podA = ml({ pod: 'a' });
const from = (...peers: object[]) => ({ from: peers });
const to = (...peers: object[]) => ({ to: peers });
const P4 = ['x/a', 'x/b', 'y/a', 'z/a'];

/** Both the TCP context and the UDP/SCTP ones have these three, per protocol. */
function perProtocol(p: Protocol): E2ECase[] {
  const ctx = `[${p}]`;
  return [
    one(`${ctx} should support a 'default-deny-ingress' policy`, ['x/a', 'x/b', 'y/a', 'y/b'], [np('x', 'deny-all', {}, { ingress: [] })], 80, p, [peer('*', 'x', false)]),
    one(`${ctx} should enforce policy based on Ports`, P4, [np('x', 'allow-ingress-on-port-81-ns-x', podA, { ingress: [{ ...from({ namespaceSelector: nsIs('y') }), ports: [{ port: 81, protocol: p }] }] })], 81, p, [
      peer('x', 'x/a', false),
      peer('z', 'x/a', false),
    ]),
    one(`${ctx} should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector`, ['x/a', 'x/b', 'y/a'], [
      np('x', 'allow-ns-y-pod-a-via-namespace-pod-selector', podA, { ingress: [from({ namespaceSelector: nsIs('y'), podSelector: podA })] }),
    ], 80, p, [allIngress('x/a', false), pair('y/a', 'x/a', true)]),
  ];
}

const fromY81 = np('x', 'allow-client-a-via-ns-selector', podA, { ingress: [{ ...from({ namespaceSelector: nsIs('y') }), ports: [{ port: 81, protocol: TCP }] }] });
const allowY81 = [peer('x', 'x/a', false), peer('y', 'x/a', true), peer('z', 'x/a', false)];
const ingressEgress = np('x', 'allow-client-a-via-pod-selector', podA, { ingress: [from({ podSelector: ml({ pod: 'b' }) })], egress: [{ ports: [{ port: 80 }] }], policyTypes: ['Egress', 'Ingress'] });
const denyAllX = np('x', 'deny-all', {}, { ingress: [], egress: [] });
const exceptB = (ip: (p: string) => string) => np('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [to({ ipBlock: { cidr: largeCidr(ip('x/b')), except: [`${ip('x/b')}/32`] } })] });

export const E2E_CASES: E2ECase[] = [
  one('[TCP] should support a \'default-deny-ingress\' policy', ['x/a', 'x/b', 'y/a', 'y/b'], [np('x', 'deny-ingress', {}, { ingress: [] })], 80, TCP, [peer('*', 'x', false)]),
  one('[TCP] should support a \'default-deny-all\' policy', ['x/a', 'x/b', 'y/a'], [denyAllX], 80, TCP, [peer('*', 'x', false), peer('x', '*', false)]),
  one('[TCP] should enforce policy to allow traffic from pods within server namespace based on PodSelector', ['x/a', 'x/b', 'x/c', 'y/a'], [np('x', 'x-a-allows-x-b', podA, { ingress: [from({ podSelector: ml({ pod: 'b' }) })] })], 80, TCP, [
    allIngress('x/a', false),
    pair('x/b', 'x/a', true),
  ]),
  one('[TCP] should enforce policy to allow ingress traffic for a target', ['x/a', 'x/b', 'y/a'], [
    np('x', 'deny-all', {}, { ingress: [] }),
    np('x', 'allow-all-to-a', podA, { ingress: [from({ podSelector: {}, namespaceSelector: {} })] }),
  ], 80, TCP, [allIngress('x/a', true), allIngress('x/b', false)]),
  one('[TCP] should enforce policy to allow ingress traffic from pods in all namespaces', P4, [np('x', 'allow-from-another-ns', podA, { ingress: [from({ namespaceSelector: all })] })], 80, TCP, []),
  one('[TCP] should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector', P4, [np('x', 'allow-client-a-via-ns-selector', podA, { ingress: [from({ namespaceSelector: nsIs('y') })] })], 80, TCP, [
    peer('x', 'x/a', false),
    peer('z', 'x/a', false),
  ]),
  one('[TCP] should enforce policy based on PodSelector with MatchExpressions', ['x/a', 'x/b', 'y/a'], [np('x', 'x-a-allows-x-b', podA, { ingress: [from({ podSelector: me('pod', 'In', ['b']) })] })], 80, TCP, [
    allIngress('x/a', false),
    pair('x/b', 'x/a', true),
  ]),
  one('[TCP] should enforce policy based on NamespaceSelector with MatchExpressions', P4, [np('x', 'allow-ns-y-match-selector', podA, { ingress: [from({ namespaceSelector: me(NS_LABEL, 'In', ['y']) })] })], 80, TCP, [
    peer('x', 'x/a', false),
    peer('z', 'x/a', false),
  ]),
  one('[TCP] should enforce policy based on PodSelector or NamespaceSelector', ['x/a', 'x/b', 'x/c', 'y/a'], [
    np('x', 'allow-ns-y-match-selector', podA, { ingress: [from({ namespaceSelector: me(NS_LABEL, 'NotIn', ['x']) }, { podSelector: ml({ pod: 'b' }) })] }),
  ], 80, TCP, [pair('x/a', 'x/a', false), pair('x/c', 'x/a', false)]),
  one('[TCP] should enforce policy based on PodSelector and NamespaceSelector', ['x/a', 'x/b', 'y/a', 'y/b', 'z/b'], [
    np('x', 'allow-ns-y-podselector-and-nsselector', podA, { ingress: [from({ namespaceSelector: me(NS_LABEL, 'NotIn', ['x']), podSelector: ml({ pod: 'b' }) })] }),
  ], 80, TCP, [allIngress('x/a', false), pair('y/b', 'x/a', true), pair('z/b', 'x/a', true)]),
  one('[TCP] should enforce policy based on Multiple PodSelectors and NamespaceSelectors', ['x/a', 'x/b', 'y/a', 'y/b', 'y/c'], [
    np('x', 'allow-ns-y-z-pod-b-c', podA, { ingress: [from({ namespaceSelector: me(NS_LABEL, 'NotIn', ['x']), podSelector: me('pod', 'In', ['b', 'c']) })] }),
  ], 80, TCP, [peer('x', 'x/a', false), pair('y/a', 'x/a', false)]),
  one('[TCP] should enforce policy based on any PodSelectors', ['x/a', 'x/b', 'x/c'], [np('x', 'allow-ns-x-pod-b-c', podA, { ingress: [from({ podSelector: ml({ pod: 'b' }) }, { podSelector: ml({ pod: 'c' }) })] })], 80, TCP, [
    allIngress('x/a', false),
    pair('x/b', 'x/a', true),
    pair('x/c', 'x/a', true),
  ]),
  one('[TCP] should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector', ['x/a', 'x/b', 'y/a', 'y/b', 'z/a'], [
    np('x', 'allow-ns-y-pod-a-via-namespace-pod-selector', podA, { ingress: [from({ namespaceSelector: nsIs('y'), podSelector: podA })] }),
  ], 80, TCP, [allIngress('x/a', false), pair('y/a', 'x/a', true)]),
  one('[TCP] should enforce policy based on Ports', ['x/a', 'x/b', 'y/a', 'y/b', 'z/a'], [fromY81], 81, TCP, allowY81),
  {
    name: '[TCP] should enforce multiple, stacked policies with overlapping podSelectors',
    pods: ['x/a', 'x/b', 'y/a', 'y/b', 'z/a'],
    steps: [
      { policies: [fromY81], checks: [{ port: 81, protocol: TCP, ops: allowY81 }, { port: 80, protocol: TCP, ops: [allIngress('x/a', false)] }] },
      {
        policies: [fromY81, np('x', 'allow-client-a-via-ns-selector-80', podA, { ingress: [{ ...from({ namespaceSelector: nsIs('y') }), ports: [{ port: 80, protocol: TCP }] }] })],
        checks: [{ port: 80, protocol: TCP, ops: allowY81 }],
      },
    ],
  },
  {
    name: '[TCP] should support allow-all policy',
    pods: ['x/a', 'x/b', 'y/a'],
    steps: [{ policies: [np('x', 'allow-all', all, { ingress: [{}] })], checks: [{ port: 80, protocol: TCP, ops: [] }, { port: 81, protocol: TCP, ops: [] }] }],
  },
  {
    name: '[TCP] should allow ingress access on one named port',
    pods: ['x/a', 'x/b', 'y/a'],
    steps: [{ policies: [np('x', 'allow-all', all, { ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })], checks: [{ port: 81, protocol: TCP, ops: [] }, { port: 80, protocol: TCP, ops: [peer('*', 'x', false)] }] }],
  },
  {
    name: '[TCP] should allow ingress access from namespace on one named port',
    pods: P4,
    steps: [{
      policies: [np('x', 'allow-client-a-via-ns-selector-80', podA, { ingress: [{ ...from({ namespaceSelector: nsIs('y') }), ports: [{ port: 'serve-80-tcp', protocol: TCP }] }] })],
      checks: [{ port: 80, protocol: TCP, ops: [peer('x', 'x/a', false), peer('z', 'x/a', false)] }, { port: 81, protocol: TCP, ops: [allIngress('x/a', false)] }],
    }],
  },
  {
    name: '[TCP] should allow egress access on one named port',
    pods: ['x/a', 'y/a'],
    steps: [{ policies: [np('x', 'allow-egress', all, { egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })], checks: [{ port: 80, protocol: TCP, ops: [] }, { port: 81, protocol: TCP, ops: [peer('x', '*', false)] }] }],
  },
  {
    name: '[TCP] should enforce updated policy',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [np('x', 'allow-all-mutate-to-deny-all', all, { ingress: [{}] })], checks: [{ port: 81, protocol: TCP, ops: [] }] },
      { policies: [np('x', 'allow-all-mutate-to-deny-all', all, { ingress: [] })], checks: [{ port: 81, protocol: TCP, ops: [peer('*', 'x', false)] }] },
    ],
  },
  {
    name: '[TCP] should allow ingress access from updated namespace',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [np('x', 'allow-client-a-via-ns-selector', podA, { ingress: [from({ namespaceSelector: ml({ ns2: 'updated' }) })] })], checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false)] }] },
      {
        policies: [np('x', 'allow-client-a-via-ns-selector', podA, { ingress: [from({ namespaceSelector: ml({ ns2: 'updated' }) })] })],
        nsLabels: { y: { ns2: 'updated' } },
        checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false), peer('y', '*', true)] }],
      },
    ],
  },
  {
    name: '[TCP] should allow ingress access from updated pod',
    pods: ['x/a', 'x/b'],
    steps: [
      { policies: [np('x', 'allow-client-a-via-pod-selector', podA, { ingress: [from({ podSelector: ml({ pod: 'b', pod2: 'updated' }) })] })], checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false)] }] },
      {
        policies: [np('x', 'allow-client-a-via-pod-selector', podA, { ingress: [from({ podSelector: ml({ pod: 'b', pod2: 'updated' }) })] })],
        podLabels: { 'x/b': { pod: 'b', pod2: 'updated' } },
        checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false), pair('x/b', 'x/a', true)] }],
      },
    ],
  },
  one('[TCP] should deny ingress from pods on other namespaces', P4, [np('x', 'deny-empty-policy', {}, { ingress: [from({ podSelector: ml({}) })] })], 80, TCP, [peer('y', 'x', false), peer('z', 'x', false)]),
  {
    name: '[TCP] should deny ingress access to updated pod',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [np('x', 'deny-ingress-via-label-selector', ml({ target: 'isolated' }), { ingress: [] })], checks: [{ port: 80, protocol: TCP, ops: [] }] },
      { policies: [np('x', 'deny-ingress-via-label-selector', ml({ target: 'isolated' }), { ingress: [] })], podLabels: { 'x/a': { target: 'isolated' } }, checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false)] }] },
    ],
  },
  one('[TCP] should deny egress from pods based on PodSelector', ['x/a', 'x/b', 'y/a'], [np('x', 'deny-egress-pod-a', podA, { egress: [] })], 80, TCP, [allEgress('x/a', false)]),
  one('[TCP] should deny egress from all pods in a namespace', ['x/a', 'x/b', 'y/a'], [np('x', 'deny-egress-ns-x', {}, { egress: [] })], 80, TCP, [peer('x', '*', false)]),
  {
    name: '[TCP] should work with Ingress, Egress specified together',
    pods: ['x/a', 'x/b', 'x/c', 'y/a'],
    steps: [{
      policies: [ingressEgress],
      checks: [
        { port: 80, protocol: TCP, ops: [allIngress('x/a', false), pair('x/b', 'x/a', true)] },
        { port: 81, protocol: TCP, ops: [allIngress('x/a', false), allEgress('x/a', false), pair('x/b', 'x/a', true)] },
      ],
    }],
  },
  one('[TCP] should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)', ['x/a', 'y/a', 'y/b'], [
    np('x', 'allow-to-ns-y-pod-a', podA, { egress: [to({ namespaceSelector: nsIs('y'), podSelector: podA })] }),
    np('y', 'allow-from-xa-on-ya-match-selector', podA, { ingress: [from({ namespaceSelector: nsIs('x'), podSelector: podA })] }),
    np('y', 'allow-from-xa-on-yb-match-selector', ml({ pod: 'b' }), { ingress: [from({ namespaceSelector: nsIs('x'), podSelector: podA })] }),
  ], 80, TCP, [peer('x/a', '*', false), peer('*', 'y/a', false), peer('x/a', 'y/a', true), peer('*', 'y/b', false)]),
  one('[TCP] should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector', ['x/a', 'y/a', 'y/b'], [
    np('x', 'allow-to-ns-y-pod-a', podA, { egress: [to({ namespaceSelector: nsIs('y'), podSelector: podA })] }),
  ], 80, TCP, [allEgress('x/a', false), pair('x/a', 'y/a', true)]),
  {
    name: '[TCP] should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    pods: ['x/a', 'y/a'],
    steps: [{ policies: [np('x', 'allow-ingress-by-proto', podA, { ingress: [{ ports: [{ protocol: TCP }] }] })], checks: [{ port: 80, protocol: TCP, ops: [] }, { port: 80, protocol: 'UDP', ops: [peer('*', 'x/a', false)] }] }],
  },
  {
    name: '[TCP] should enforce multiple ingress policies with ingress allow-all policy taking precedence',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [np('x', 'allow-ingress-port-80', all, { ingress: [{ ports: [{ port: 80 }] }] })], checks: [{ port: 81, protocol: TCP, ops: [peer('*', 'x', false)] }] },
      { policies: [np('x', 'allow-ingress-port-80', all, { ingress: [{ ports: [{ port: 80 }] }] }), np('x', 'allow-ingress', all, { ingress: [{}] })], checks: [{ port: 81, protocol: TCP, ops: [] }] },
    ],
  },
  {
    name: '[TCP] should enforce multiple egress policies with egress allow-all policy taking precedence',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [np('x', 'allow-egress-port-80', all, { egress: [{ ports: [{ port: 80 }] }] })], checks: [{ port: 81, protocol: TCP, ops: [peer('x', '*', false)] }] },
      { policies: [np('x', 'allow-egress-port-80', all, { egress: [{ ports: [{ port: 80 }] }] }), np('x', 'allow-egress', all, { egress: [{}] })], checks: [{ port: 81, protocol: TCP, ops: [] }] },
    ],
  },
  {
    name: '[TCP] should stop enforcing policies after they are deleted',
    pods: ['x/a', 'y/a'],
    steps: [
      { policies: [denyAllX], checks: [{ port: 80, protocol: TCP, ops: [peer('x', '*', false), peer('*', 'x', false)] }] },
      { policies: [], checks: [{ port: 80, protocol: TCP, ops: [] }] },
    ],
  },
  one('[TCP] should allow egress access to server in CIDR block', ['x/a', 'y/a', 'y/b'], (ip) => [
    np('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [to({ ipBlock: { cidr: `${ip('y/b')}/32` } })] }),
  ], 80, TCP, [allEgress('x/a', false), pair('x/a', 'y/b', true)]),
  one('[TCP] should enforce except clause while egress access to server in CIDR block', ['x/a', 'x/b', 'x/c'], (ip) => [exceptB(ip)], 80, TCP, [pair('x/a', 'x/b', false)]),
  {
    name: '[TCP] should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed',
    pods: ['x/a', 'x/b', 'x/c'],
    steps: [
      { policies: (ip) => [exceptB(ip)], checks: [{ port: 80, protocol: TCP, ops: [pair('x/a', 'x/b', false)] }] },
      // UpdatePolicy with the same name: the /32 rule replaces the /4 one.
      { policies: (ip) => [np('x', 'allow-client-a-via-cidr-egress-rule', podA, { egress: [to({ ipBlock: { cidr: `${ip('x/b')}/32` } })] })], checks: [{ port: 80, protocol: TCP, ops: [allEgress('x/a', false), pair('x/a', 'x/b', true)] }] },
    ],
  },
  {
    name: '[TCP] should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector',
    pods: ['x/a', 'x/b', 'y/a'],
    steps: [
      { policies: [np('x', 'allow-egress-for-target', podA, { egress: [{}] })], checks: [{ port: 80, protocol: TCP, ops: [] }] },
      { policies: [np('x', 'allow-egress-for-target', podA, { egress: [{}] }), np('x', 'deny-ingress-via-label-selector', podA, { ingress: [] })], checks: [{ port: 80, protocol: TCP, ops: [allIngress('x/a', false)] }] },
    ],
  },
  one('[TCP] should not mistakenly treat \'protocol: SCTP\' as \'protocol: TCP\', even if the plugin doesn\'t support SCTP', ['x/a', 'y/a'], [
    np('x', 'deny-ingress', {}, { ingress: [] }),
    np('x', 'allow-only-sctp-ingress-on-port-81', podA, { ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }] }),
  ], 81, TCP, [peer('*', 'x', false)]),
  one('[TCP] should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn\'t support SCTP', ['x/a', 'y/a'], [
    np('x', 'allow-only-sctp-ingress-on-port-80', podA, { ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] }),
  ], 81, TCP, [allIngress('x/a', false)]),
  one('[TCP] should not allow access by TCP when a policy specifies only UDP', ['x/a', 'y/a'], [
    np('x', 'allow-only-udp-ingress-on-port-81', podA, { ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] }),
  ], 81, TCP, [allIngress('x/a', false)]),
  one('[TCP] should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label', P4, [
    np('x', 'allow-client-a-via-ns-selector-for-immutable-ns-label', podA, { ingress: [from({ namespaceSelector: nsIs('y') })] }),
  ], 80, TCP, [peer('x', 'x/a', false), peer('z', 'x/a', false)]),
  one('[TCP] should enforce policy based on NamespaceSelector with MatchExpressions using default ns label', P4, [
    np('x', 'allow-ns-y-match-selector-for-immutable-ns-label', podA, { egress: [to({ namespaceSelector: me(NS_LABEL, 'NotIn', ['y']) })] }),
  ], 80, TCP, [peer('x/a', 'y', false)]),
  ...perProtocol('UDP'),
  ...perProtocol('SCTP'),
];

/** The tests that put a pod's IP into an ipBlock: where profiles that keep ipBlocks off pods fail. */
export const CIDR_CASES = E2E_CASES.filter((c) => /CIDR/.test(c.name)).map((c) => c.name);
