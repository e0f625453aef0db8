/**
 * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2), AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (v1alpha1) → one ClusterPolicy record, validated as the CRDs'
 * OpenAPI schemas and CEL rules do (kubernetes-sigs/network-policy-api, apis/v1alpha1 and
 * apis/v1alpha2). Limits differ by version: v1alpha2 allows 25 rules per direction and 25 peers
 * or protocols per rule; v1alpha1 100 of each (networks and domainNames: 25 in both).
 */
import { parseCidr } from '../../model/ip.js';
import { SELECT_ALL } from '../../model/labels.js';
import { PROTOCOLS, type ClusterPeer, type ClusterPolicy, type ClusterPolicyKind, type ClusterPolicyRule, type ClusterPort, type PodsSelection, type PolicyTier, type Protocol, type Source, type TierAction } from '../../model/types.js';
import { isPortName, join, readArray, readInt, readObj, readSelector, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

export const CLUSTER_POLICY_KINDS: readonly ClusterPolicyKind[] = ['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'];
export const POLICY_API_GROUP = 'policy.networking.k8s.io';

const API_VERSION: Readonly<Record<ClusterPolicyKind, string>> = {
  ClusterNetworkPolicy: `${POLICY_API_GROUP}/v1alpha2`,
  AdminNetworkPolicy: `${POLICY_API_GROUP}/v1alpha1`,
  BaselineAdminNetworkPolicy: `${POLICY_API_GROUP}/v1alpha1`,
};

interface Version {
  kind: ClusterPolicyKind;
  /** Rules per direction, peers per rule, ports (protocols) per rule. */
  maxRules: number;
  maxPeers: number;
  maxPorts: number;
  actions: readonly string[];
  /** What the version calls the field of port matches. */
  portsField: 'protocols' | 'ports';
  egressPeers: readonly string[];
}

const VERSIONS: Readonly<Record<ClusterPolicyKind, Version>> = {
  ClusterNetworkPolicy: { kind: 'ClusterNetworkPolicy', maxRules: 25, maxPeers: 25, maxPorts: 25, actions: ['Accept', 'Deny', 'Pass'], portsField: 'protocols', egressPeers: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'] },
  AdminNetworkPolicy: { kind: 'AdminNetworkPolicy', maxRules: 100, maxPeers: 100, maxPorts: 100, actions: ['Allow', 'Deny', 'Pass'], portsField: 'ports', egressPeers: ['namespaces', 'pods', 'nodes', 'networks', 'domainNames'] },
  // BaselineAdminNetworkPolicyEgressPeer has no domainNames; its actions have no Pass.
  BaselineAdminNetworkPolicy: { kind: 'BaselineAdminNetworkPolicy', maxRules: 100, maxPeers: 100, maxPorts: 100, actions: ['Allow', 'Deny'], portsField: 'ports', egressPeers: ['namespaces', 'pods', 'nodes', 'networks'] },
};

const INGRESS_PEERS = ['namespaces', 'pods'];
const MAX_LIST = 25;
// DomainName: "an exact match, or use the wildcard specifier '*' to match one or more labels
// ... '*' may only be specified as a prefix" (the CRD's pattern, restated).
const DOMAIN_NAME = /^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

export function isClusterPolicyKind(kind: string): kind is ClusterPolicyKind {
  return (CLUSTER_POLICY_KINDS as readonly string[]).includes(kind);
}

export function readClusterPolicy(kind: ClusterPolicyKind, obj: Obj, name: string, source: Source, p: ObjectProblems): ClusterPolicy {
  const v = VERSIONS[kind];
  const apiVersion = readString(obj.apiVersion, 'apiVersion', p);
  if (apiVersion !== undefined && apiVersion !== API_VERSION[kind]) {
    p.error('apiVersion', `${show(apiVersion)}: ${kind} is served as ${API_VERSION[kind]}${kind === 'ClusterNetworkPolicy' ? '' : ' (its successor is ClusterNetworkPolicy, v1alpha2)'}`);
  }
  // The CRD's rule: "Only one baseline admin network policy with metadata.name="default" can be
  // created in the cluster".
  if (kind === 'BaselineAdminNetworkPolicy' && name !== 'default') {
    p.error('metadata.name', `${show(name)}: a BaselineAdminNetworkPolicy is a singleton named "default"`);
  }
  const spec = readObj(obj.spec, 'spec', p);
  if (!spec) p.error('spec', 'required field is missing');
  const s = spec ?? {};
  let tier: PolicyTier = kind === 'BaselineAdminNetworkPolicy' ? 'Baseline' : 'Admin';
  if (kind === 'ClusterNetworkPolicy') {
    const t = readString(s.tier, 'spec.tier', p);
    if (t === undefined) {
      if (spec) p.error('spec.tier', 'required field is missing (Admin or Baseline)');
    } else if (t === 'Admin' || t === 'Baseline') tier = t;
    else p.error('spec.tier', `${show(t)} is not a valid tier (Admin, Baseline)`);
  }
  let priority: number | null = null;
  if (kind === 'BaselineAdminNetworkPolicy') {
    if (s.priority !== undefined) p.warn('spec.priority', 'unknown field: a BaselineAdminNetworkPolicy has no priority (ignored)');
  } else {
    // "Priority is a value from 0 to 1000" (+kubebuilder:validation:Minimum=0, Maximum=1000).
    const pr = readInt(s.priority, 'spec.priority', p, 0, 1000);
    if (s.priority === undefined && spec) p.error('spec.priority', 'required field is missing (0-1000)');
    priority = pr ?? 0;
  }
  const subject = readSubject(s.subject, 'spec.subject', p, spec !== undefined);
  const ingress = readRules(v, s.ingress, 'spec.ingress', 'ingress', p);
  const egress = readRules(v, s.egress, 'spec.egress', 'egress', p);
  return { kind, name, tier, priority, subject, ingress, egress, source };
}

/** Exactly one of the fields in `allowed` is set ("MaxProperties=1, MinProperties=1"); returns it. */
function oneOf(o: Obj, allowed: readonly string[], path: string, p: ObjectProblems, what: string): string | undefined {
  const set = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null);
  const unknown = set.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    p.error(join(path, unknown[0]), `unknown field: ${what} is one of ${allowed.join(', ')}`);
    return undefined;
  }
  if (set.length !== 1) {
    p.error(path, `exactly one of ${allowed.join(', ')} must be set${set.length > 1 ? ` (found ${set.join(', ')})` : ''}`);
    return undefined;
  }
  return set[0];
}

function readSubject(v: unknown, path: string, p: ObjectProblems, specPresent: boolean): PodsSelection {
  // Nothing selected unless the subject is valid: a broken object is an error anyway.
  const none: PodsSelection = { namespaceSelector: { matchLabels: {}, matchExpressions: [{ key: 'podnet.invalid/subject', operator: 'Exists', values: [] }] }, podSelector: SELECT_ALL };
  const o = readObj(v, path, p);
  if (!o) {
    if (specPresent) p.error(path, 'required field is missing (namespaces or pods)');
    return none;
  }
  const field = oneOf(o, ['namespaces', 'pods'], path, p, 'a subject');
  if (field === 'namespaces') return { namespaceSelector: readSelector(o.namespaces, join(path, 'namespaces'), p) ?? SELECT_ALL, podSelector: SELECT_ALL };
  if (field === 'pods') return readNamespacedPod(o.pods, join(path, 'pods'), p) ?? none;
  return none;
}

/** NamespacedPod: "NamespaceSelector ... if empty, it selects all Namespaces"; podSelector is required. */
function readNamespacedPod(v: unknown, path: string, p: ObjectProblems): PodsSelection | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const namespaceSelector = readSelector(o.namespaceSelector, join(path, 'namespaceSelector'), p) ?? SELECT_ALL;
  const podSelector = readSelector(o.podSelector, join(path, 'podSelector'), p);
  if (o.podSelector === undefined) p.error(join(path, 'podSelector'), 'required field is missing');
  return { namespaceSelector, podSelector: podSelector ?? SELECT_ALL };
}

function readList(v: unknown, path: string, p: ObjectProblems, min: number, max: number): unknown[] | undefined {
  const list = readArray(v, path, p);
  if (!list) return undefined;
  if (list.length < min) p.error(path, `must have at least ${min} item${min === 1 ? '' : 's'}`);
  if (list.length > max) p.error(path, `must have at most ${max} items (found ${list.length})`);
  return list;
}

function readRules(v: Version, value: unknown, path: string, direction: 'ingress' | 'egress', p: ObjectProblems): ClusterPolicyRule[] {
  // "A maximum of 25 rules is allowed in this block" (v1alpha2; v1alpha1: MaxItems=100).
  const list = readList(value, path, p, 0, v.maxRules) ?? [];
  const rules: ClusterPolicyRule[] = [];
  list.forEach((r, i) => {
    const rp = join(path, i);
    const ro = readObj(r, rp, p);
    if (!ro) return p.error(rp, 'expected a rule');
    const name = readString(ro.name, join(rp, 'name'), p);
    if (name !== undefined && name.length > 100) p.error(join(rp, 'name'), `may be at most 100 characters (found ${name.length})`);
    const actionText = readString(ro.action, join(rp, 'action'), p);
    let action: TierAction = 'Deny';
    if (actionText === undefined) p.error(join(rp, 'action'), `required field is missing (${v.actions.join(', ')})`);
    else if (!v.actions.includes(actionText)) p.error(join(rp, 'action'), `${show(actionText)} is not a valid action for ${/^[AEIOU]/.test(v.kind) ? 'an' : 'a'} ${v.kind} (${v.actions.join(', ')})`);
    else action = actionText === 'Allow' ? 'Accept' : (actionText as TierAction);
    const peerField = direction === 'ingress' ? 'from' : 'to';
    const peers = readPeers(v, ro[peerField], join(rp, peerField), direction, action, p);
    const ports = readPorts(v, ro[v.portsField], join(rp, v.portsField), p);
    // The CRD's rule on egress rules: "networks/nodes/domainNames peer cannot be set with
    // namedPorts since there are no namedPorts for networks/nodes/domainNames".
    if (ports?.some((x) => x.kind === 'named') && peers.some((x) => x.kind !== 'pods')) {
      p.error(rp, 'networks/nodes/domainNames peers cannot be set with named ports: those peers have no named ports');
    }
    rules.push({ ...(name ? { name } : {}), action, peers, ports });
  });
  return rules;
}

function readPeers(v: Version, value: unknown, path: string, direction: 'ingress' | 'egress', action: TierAction, p: ObjectProblems): ClusterPeer[] {
  // "This field must be defined and contain at least one item."
  if (value === undefined || value === null) {
    p.error(path, 'required field is missing (at least one peer)');
    return [];
  }
  const list = readList(value, path, p, 1, v.maxPeers) ?? [];
  const allowed = direction === 'ingress' ? INGRESS_PEERS : v.egressPeers;
  const peers: ClusterPeer[] = [];
  list.forEach((x, i) => {
    const pp = join(path, i);
    const o = readObj(x, pp, p);
    if (!o) return p.error(pp, `must specify a peer (${allowed.join(', ')})`);
    const field = oneOf(o, allowed, pp, p, 'a peer');
    if (field === 'namespaces') peers.push({ kind: 'pods', namespaceSelector: readSelector(o.namespaces, join(pp, 'namespaces'), p) ?? SELECT_ALL, podSelector: SELECT_ALL });
    else if (field === 'pods') {
      const sel = readNamespacedPod(o.pods, join(pp, 'pods'), p);
      if (sel) peers.push({ kind: 'pods', ...sel });
    } else if (field === 'nodes') peers.push({ kind: 'nodes', nodeSelector: readSelector(o.nodes, join(pp, 'nodes'), p) ?? SELECT_ALL });
    else if (field === 'networks') {
      const cidrs: string[] = [];
      (readList(o.networks, join(pp, 'networks'), p, 1, MAX_LIST) ?? []).forEach((c, j) => {
        const cp = join(join(pp, 'networks'), j);
        const text = readString(c, cp, p);
        if (text === undefined) return;
        if (text.length > 43 || !parseCidr(text)) return p.error(cp, `${show(text)}: Invalid CIDR format provided`);
        if (cidrs.includes(text)) return p.error(cp, `${show(text)}: duplicate entry (networks is a set)`);
        cidrs.push(text);
      });
      peers.push({ kind: 'networks', cidrs });
    } else if (field === 'domainNames') {
      // "DomainNames is only supported for Accept rules" (v1alpha1: "for Allow rules").
      if (action !== 'Accept') p.error(join(pp, 'domainNames'), `domainNames peers are only supported in ${v.kind === 'ClusterNetworkPolicy' ? 'Accept' : 'Allow'} rules`);
      const names: string[] = [];
      (readList(o.domainNames, join(pp, 'domainNames'), p, 1, MAX_LIST) ?? []).forEach((d, j) => {
        const dp = join(join(pp, 'domainNames'), j);
        const text = readString(d, dp, p);
        if (text === undefined) return;
        if (!DOMAIN_NAME.test(text)) return p.error(dp, `${show(text)} is not a valid domain name ('*.' allowed only as a prefix)`);
        names.push(text);
      });
      peers.push({ kind: 'domainNames', names });
    }
  });
  return peers;
}

function readPorts(v: Version, value: unknown, path: string, p: ObjectProblems): ClusterPort[] | null {
  if (value === undefined || value === null) return null;
  // "+kubebuilder:validation:MinItems=1": an empty list is invalid, not "every port".
  const list = readList(value, path, p, 1, v.maxPorts) ?? [];
  const ports: ClusterPort[] = [];
  list.forEach((x, i) => {
    const pp = join(path, i);
    const o = readObj(x, pp, p);
    if (!o) return p.error(pp, 'expected an object');
    const port = v.portsField === 'protocols' ? readProtocolMatch(o, pp, p) : readAnpPort(o, pp, p);
    if (port) ports.push(port);
  });
  return ports;
}

/** v1alpha2 ClusterNetworkPolicyProtocol: one of tcp, udp, sctp (with destinationPort) or destinationNamedPort. */
function readProtocolMatch(o: Obj, path: string, p: ObjectProblems): ClusterPort | undefined {
  const field = oneOf(o, ['tcp', 'udp', 'sctp', 'destinationNamedPort'], path, p, 'a protocol match');
  if (field === undefined) return undefined;
  if (field === 'destinationNamedPort') return namedPort(o.destinationNamedPort, join(path, field), p);
  const protocol = field.toUpperCase() as Protocol;
  const fp = join(path, field);
  const po = readObj(o[field], fp, p);
  if (!po) return undefined;
  const dp = readObj(po.destinationPort, join(fp, 'destinationPort'), p);
  if (!dp) {
    p.error(join(fp, 'destinationPort'), 'required field is missing (number or range)');
    return undefined;
  }
  const dpath = join(fp, 'destinationPort');
  // Port: "You must specify either Port or Range."
  const which = oneOf(dp, ['number', 'range'], dpath, p, 'a destination port');
  if (which === 'number') {
    const n = readInt(dp.number, join(dpath, 'number'), p, 1, 65535);
    return n === undefined ? undefined : { kind: 'range', protocol, start: n, end: n };
  }
  if (which === 'range') return portRange(protocol, dp.range, join(dpath, 'range'), p);
  return undefined;
}

/** v1alpha1 AdminNetworkPolicyPort: one of portNumber, namedPort, portRange; protocol defaults to TCP. */
function readAnpPort(o: Obj, path: string, p: ObjectProblems): ClusterPort | undefined {
  const field = oneOf(o, ['portNumber', 'namedPort', 'portRange'], path, p, 'a port');
  if (field === undefined) return undefined;
  if (field === 'namedPort') return namedPort(o.namedPort, join(path, field), p);
  const fp = join(path, field);
  const po = readObj(o[field], fp, p);
  if (!po) return undefined;
  const protocol = readProtocolField(po.protocol, join(fp, 'protocol'), p);
  if (field === 'portNumber') {
    if (po.port === undefined) p.error(join(fp, 'port'), 'required field is missing');
    const n = readInt(po.port, join(fp, 'port'), p, 1, 65535);
    return n === undefined || protocol === undefined ? undefined : { kind: 'range', protocol, start: n, end: n };
  }
  return protocol === undefined ? undefined : portRange(protocol, po, fp, p);
}

function readProtocolField(v: unknown, path: string, p: ObjectProblems): Protocol | undefined {
  // "Protocol is the network protocol (TCP, UDP, or SCTP) ... If not specified, this field defaults to TCP."
  const s = readString(v, path, p);
  if (s === undefined) return 'TCP';
  if (!PROTOCOLS.includes(s as Protocol)) {
    p.error(path, `${show(s)} is not a valid protocol (TCP, UDP, SCTP)`);
    return undefined;
  }
  return s as Protocol;
}

function portRange(protocol: Protocol, v: unknown, path: string, p: ObjectProblems): ClusterPort | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  if (o.start === undefined) p.error(join(path, 'start'), 'required field is missing');
  if (o.end === undefined) p.error(join(path, 'end'), 'required field is missing');
  const start = readInt(o.start, join(path, 'start'), p, 1, 65535);
  const end = readInt(o.end, join(path, 'end'), p, 1, 65535);
  if (start === undefined || end === undefined) return undefined;
  // "self.start < self.end": "Start port must be less than End port".
  if (start >= end) {
    p.error(path, `start ${start} must be less than end ${end}`);
    return undefined;
  }
  return { kind: 'range', protocol, start, end };
}

function namedPort(v: unknown, path: string, p: ObjectProblems): ClusterPort | undefined {
  const name = readString(v, path, p);
  if (name === undefined) return undefined;
  if (!isPortName(name)) {
    p.error(path, `${show(name)} is not a valid port name (IANA_SVC_NAME)`);
    return undefined;
  }
  return { kind: 'named', name };
}

/** The label in messages and output: "clusternetworkpolicy deny-sensitive". */
export function clusterPolicyLabel(pol: { kind: ClusterPolicyKind; name: string }): string {
  return `${pol.kind.toLowerCase()} ${pol.name}`;
}

/**
 * The same-priority warning. Upstream: "If two (or more) policies in the same tier with the
 * same priority could match a connection, then the implementation can apply any of the
 * matching policies to the connection, and there is no way for the user to reliably determine
 * which one it will choose." podnet orders such policies by kind (ClusterNetworkPolicy first)
 * and then name, and says so.
 */
export function warnSamePriority(read: readonly { policy: ClusterPolicy; p: ObjectProblems }[]): void {
  const groups = new Map<string, { policy: ClusterPolicy; p: ObjectProblems }[]>();
  for (const r of read) {
    if (r.policy.priority === null) continue;
    const key = `${r.policy.tier}/${r.policy.priority}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    for (const r of group) {
      const others = group.filter((o) => o !== r).map((o) => clusterPolicyLabel(o.policy)).join(', ');
      r.p.warn('spec.priority', `${r.policy.priority} is also the priority of ${others} in the ${r.policy.tier} tier: where both match, which applies is up to the implementation (podnet checks them by kind, then name)`);
    }
  }
}

