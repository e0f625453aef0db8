/** NetworkPolicy (networking.k8s.io/v1) → NetworkPolicy record, validated as the API server does. */
import { cidrContains, parseCidr } from '../../model/ip.js';
import { SELECT_ALL } from '../../model/labels.js';
import type { NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule, Source } from '../../model/types.js';
import { join, readArray, readInt, readObj, readPort, readProtocol, readSelector, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

export function readNetworkPolicy(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): NetworkPolicy {
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  // "podSelector selects the pods to which this NetworkPolicy object applies ... An empty
  // podSelector selects all pods in this namespace." A missing one decodes as empty too.
  const podSelector = readSelector(spec.podSelector, 'spec.podSelector', p) ?? SELECT_ALL;
  const ingress = readRules(spec.ingress, 'spec.ingress', 'from', p);
  const egress = readRules(spec.egress, 'spec.egress', 'to', p);
  const types = readArray(spec.policyTypes, 'spec.policyTypes', p);
  let affectsIngress: boolean;
  let affectsEgress: boolean;
  if (types && types.length > 0) {
    affectsIngress = false;
    affectsEgress = false;
    types.forEach((t, i) => {
      const s = readString(t, join('spec.policyTypes', i), p);
      if (s === 'Ingress') affectsIngress = true;
      else if (s === 'Egress') affectsEgress = true;
      else if (s !== undefined) p.error(join('spec.policyTypes', i), `${show(s)} is not a valid policy type (Ingress, Egress)`);
    });
  } else {
    // "If this field is not specified, it will default based on the existence of ingress or
    // egress rules; policies that contain an egress section are assumed to affect egress, and
    // all policies (whether or not they contain an ingress section) are assumed to affect ingress."
    // The API server's defaulting (SetDefaults_NetworkPolicy) adds Egress only when
    // len(spec.egress) != 0, so an empty `egress: []` does not make the policy affect egress.
    affectsIngress = true;
    affectsEgress = Array.isArray(spec.egress) && spec.egress.length > 0;
  }
  return { namespace, name, podSelector, affectsIngress, affectsEgress, ingress, egress, source };
}

function readRules(v: unknown, path: string, peerField: 'from' | 'to', p: ObjectProblems): PolicyRule[] {
  const list = readArray(v, path, p) ?? [];
  const rules: PolicyRule[] = [];
  list.forEach((r, i) => {
    const rp = join(path, i);
    const ro = readObj(r, rp, p) ?? {};
    const peerList = readArray(ro[peerField], join(rp, peerField), p);
    const portList = readArray(ro.ports, join(rp, 'ports'), p);
    // "If this field is empty or missing, this rule matches all sources/destinations" and
    // "If this field is empty or missing, this rule matches all ports".
    const peers = peerList && peerList.length > 0 ? readPeers(peerList, join(rp, peerField), p) : null;
    const ports = portList && portList.length > 0 ? readPorts(portList, join(rp, 'ports'), p) : null;
    rules.push({ peers, ports });
  });
  return rules;
}

function readPeers(list: unknown[], path: string, p: ObjectProblems): PolicyPeer[] {
  const peers: PolicyPeer[] = [];
  list.forEach((x, i) => {
    const pp = join(path, i);
    const o = readObj(x, pp, p);
    if (!o) return p.error(pp, 'must specify a peer (podSelector, namespaceSelector or ipBlock)');
    const podSelector = readSelector(o.podSelector, join(pp, 'podSelector'), p);
    const namespaceSelector = readSelector(o.namespaceSelector, join(pp, 'namespaceSelector'), p);
    const ipBlock = readObj(o.ipBlock, join(pp, 'ipBlock'), p);
    if (ipBlock) {
      // "If this field is set then neither of the other fields can be."
      if (podSelector || namespaceSelector) {
        return p.error(pp, 'ipBlock may not be combined with podSelector or namespaceSelector');
      }
      const peer = readIpBlock(ipBlock, join(pp, 'ipBlock'), p);
      if (peer) peers.push(peer);
      return;
    }
    if (!podSelector && !namespaceSelector) {
      return p.error(pp, 'must specify a peer (podSelector, namespaceSelector or ipBlock)');
    }
    peers.push({ kind: 'selector', podSelector, namespaceSelector });
  });
  return peers;
}

function readIpBlock(o: Obj, path: string, p: ObjectProblems): PolicyPeer | undefined {
  const cidrText = readString(o.cidr, join(path, 'cidr'), p);
  if (cidrText === undefined) {
    p.error(join(path, 'cidr'), 'required field is missing');
    return undefined;
  }
  const cidr = parseCidr(cidrText);
  if (!cidr) {
    p.error(join(path, 'cidr'), `${show(cidrText)} is not a valid CIDR`);
    return undefined;
  }
  const except: string[] = [];
  (readArray(o.except, join(path, 'except'), p) ?? []).forEach((e, i) => {
    const ep = join(join(path, 'except'), i);
    const text = readString(e, ep, p);
    if (text === undefined) return;
    const ex = parseCidr(text);
    if (!ex) return p.error(ep, `${show(text)} is not a valid CIDR`);
    // "Except values will be rejected if they are outside the cidr range"
    if (!cidrContains(cidr, ex) || (cidr.family === 4 && ex.prefix <= cidr.prefix)) {
      return p.error(ep, `${show(text)} must be a strict subset of cidr ${show(cidrText)}`);
    }
    except.push(text);
  });
  return { kind: 'ipBlock', cidr: cidrText, except };
}

function readPorts(list: unknown[], path: string, p: ObjectProblems): PolicyPort[] {
  const ports: PolicyPort[] = [];
  list.forEach((x, i) => {
    const pp = join(path, i);
    const o = readObj(x, pp, p) ?? {};
    // "The protocol (TCP, UDP, or SCTP) which traffic must match. If not specified, this field defaults to TCP."
    const protocol = readProtocol(o.protocol, join(pp, 'protocol'), p);
    const port = readPort(o.port, join(pp, 'port'), p);
    const endPort = readInt(o.endPort, join(pp, 'endPort'), p, 1, 65535);
    if (endPort !== undefined) {
      // "This field cannot be defined if the port field is not defined or if the port field is
      // defined as a named (string) port. The endPort must be equal or greater than port."
      if (port === undefined) return p.error(join(pp, 'endPort'), 'may not be set when port is not set');
      if (typeof port === 'string') return p.error(join(pp, 'endPort'), 'may not be set when port is a named port');
      if (endPort < port) return p.error(join(pp, 'endPort'), `${endPort} must be greater than or equal to port ${port}`);
    }
    ports.push({ protocol, port, endPort });
  });
  return ports;
}
