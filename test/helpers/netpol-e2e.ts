/**
 * The upstream NetworkPolicy e2e suite (kubernetes test/e2e/network/netpol/network_policy.go),
 * restated as data: this file is the vocabulary (pods, policy builders, reachability tables);
 * netpol-e2e-cases.ts holds the cases. Used by the analyzer's unit test and by the lab test
 * with real probes. Pure (no node: imports).
 *
 * As upstream: namespaces x, y, z; pods named a, b, c labelled `pod: <name>`, each serving
 * ports 80 and 81 on TCP, UDP and SCTP with container ports named serve-<port>-<protocol>;
 * a reachability table starts all-allowed and is edited by the same operations as upstream's
 * (ExpectPeer, ExpectAllIngress, ExpectAllEgress, Expect); loopback pairs are ignored
 * (upstream's ignoreLoopback).
 */
export type Obj = Record<string, unknown>;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export const NS_LABEL = 'kubernetes.io/metadata.name';
export const E2E_NAMESPACES = ['x', 'y', 'z'] as const;
export const E2E_PODS = E2E_NAMESPACES.flatMap((ns) => ['a', 'b', 'c'].map((p) => `${ns}/${p}`));

/** A pod's IP, for the CIDR cases (upstream reads pod.Status.PodIP). */
export type IpOf = (pod: string) => string;

/**
 * One reachability edit, upstream's names: peer(from, to, b) is ExpectPeer with '*' for the
 * empty Peer, 'x' for {Namespace: x}, 'x/a' for {Namespace: x, Pod: a}.
 */
export type Op =
  | { op: 'peer'; from: string; to: string; allow: boolean }
  | { op: 'allIngress'; pod: string; allow: boolean }
  | { op: 'allEgress'; pod: string; allow: boolean };

export const peer = (from: string, to: string, allow: boolean): Op => ({ op: 'peer', from, to, allow });
/** Expect(from, to, b): one pair. */
export const pair = (from: string, to: string, allow: boolean): Op => ({ op: 'peer', from, to, allow });
export const allIngress = (pod: string, allow: boolean): Op => ({ op: 'allIngress', pod, allow });
export const allEgress = (pod: string, allow: boolean): Op => ({ op: 'allEgress', pod, allow });

export interface Check {
  port: 80 | 81;
  protocol: Protocol;
  ops: Op[];
}

export interface Step {
  /** Every policy present during this step (create, update = same name, delete = left out). */
  policies: Obj[] | ((ip: IpOf) => Obj[]);
  /** Labels added to namespaces (AddNamespaceLabel) from this step on. */
  nsLabels?: Record<string, Record<string, string>>;
  /** Labels added to pods (AddPodLabels) from this step on. */
  podLabels?: Record<string, Record<string, string>>;
  checks: Check[];
}

export interface E2ECase {
  /** Upstream's It(...) text, with the context: "[TCP] should ..." */
  name: string;
  /** The pods the upstream test creates and compares (initializeResources). */
  pods: string[];
  steps: Step[];
}

/** GenNetworkPolicy: SetSpecIngressRules / SetSpecEgressRules add the policy type they set. */
export function np(ns: string, name: string, podSelector: Obj, rules: { ingress?: Obj[]; egress?: Obj[]; policyTypes?: string[] }): Obj {
  const spec: Obj = { podSelector };
  const types: string[] = [];
  if (rules.ingress) {
    spec.ingress = rules.ingress;
    types.push('Ingress');
  }
  if (rules.egress) {
    spec.egress = rules.egress;
    types.push('Egress');
  }
  spec.policyTypes = rules.policyTypes ?? types;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

export const ml = (labels: Record<string, string>): Obj => ({ matchLabels: labels });
export const me = (key: string, operator: 'In' | 'NotIn', values: string[]): Obj => ({ matchExpressions: [{ key, operator, values }] });
export const nsIs = (ns: string): Obj => ml({ [NS_LABEL]: ns });

/** upstream makeLargeCIDRForIP: the /4 containing the address. */
export function largeCidr(ip: string): string {
  return `${Number(ip.split('.')[0]) & 0xf0}.0.0.0/4`;
}

export function policiesOf(step: Step, ip: IpOf): Obj[] {
  return typeof step.policies === 'function' ? step.policies(ip) : step.policies;
}

/** The expected table: `src -> dst` for every allowed pair of `pods` (no loopback pairs). */
export function expectedPairs(pods: readonly string[], ops: readonly Op[]): string[] {
  const allowed = new Map<string, boolean>();
  for (const s of pods) for (const d of pods) if (s !== d) allowed.set(`${s} -> ${d}`, true);
  const matches = (sel: string, pod: string) => sel === '*' || sel === pod || sel === pod.split('/')[0];
  for (const o of ops) {
    for (const s of pods) {
      for (const d of pods) {
        if (s === d) continue;
        const hit = o.op === 'peer' ? matches(o.from, s) && matches(o.to, d) : o.op === 'allIngress' ? d === o.pod : s === o.pod;
        if (hit) allowed.set(`${s} -> ${d}`, o.allow);
      }
    }
  }
  return [...allowed].filter(([, a]) => a).map(([k]) => k);
}

/** The case's namespaces with the labels of `step` and those before it (AddNamespaceLabel). */
export function namespaceObjects(labels: Record<string, Record<string, string>> = {}): Obj[] {
  return E2E_NAMESPACES.map((ns) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: labels[ns] ?? {} } }));
}

/** Pods as upstream's model makes them; `protocols` the ones served (SCTP only in the analyzer). */
export function podObjects(pods: readonly string[], labels: Record<string, Record<string, string>> = {}, protocols: readonly Protocol[] = ['TCP', 'UDP', 'SCTP']): Obj[] {
  return pods.map((key) => {
    const [ns, name] = key.split('/');
    const index = E2E_PODS.indexOf(key);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { pod: name, ...(labels[key] ?? {}) } },
      spec: {
        nodeName: index % 2 === 0 ? 'node-1' : 'node-2',
        containers: [
          {
            name: 'cont',
            image: 'agnhost',
            ports: protocols.flatMap((protocol) => [80, 81].map((port) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }))),
          },
        ],
      },
    };
  });
}

/** The labels in force at step `i`: every step's additions so far, merged. */
export function labelsAt(steps: readonly Step[], i: number, field: 'nsLabels' | 'podLabels'): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const step of steps.slice(0, i + 1)) for (const [k, v] of Object.entries(step[field] ?? {})) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}
