/** Service, EndpointSlice and Endpoints (v1) → records. */
import { parseIPv4, isIPv6 } from '../../model/ip.js';
import type { Endpoint, EndpointSlice, Service, ServicePort, ServiceType, Source } from '../../model/types.js';
import { isObj, join, readArray, readBool, readInt, readLabels, readObj, readPort, readProtocol, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export function readService(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): Service {
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  const typeText = readString(spec.type, 'spec.type', p) ?? 'ClusterIP';
  let type: ServiceType = 'ClusterIP';
  if (SERVICE_TYPES.includes(typeText as ServiceType)) type = typeText as ServiceType;
  else p.error('spec.type', `${show(typeText)} is not a valid service type (${SERVICE_TYPES.join(', ')})`);
  const ports: ServicePort[] = [];
  const list = readArray(spec.ports, 'spec.ports', p) ?? [];
  list.forEach((x, i) => {
    const pp = join('spec.ports', i);
    const o = readObj(x, pp, p);
    if (!o) return;
    const port = readInt(o.port, join(pp, 'port'), p, 1, 65535);
    if (port === undefined) {
      if (o.port === undefined) p.error(join(pp, 'port'), 'required field is missing');
      return;
    }
    const portName = readString(o.name, join(pp, 'name'), p);
    if (list.length > 1 && !portName) p.warn(join(pp, 'name'), 'required when a Service has more than one port');
    // "Number or name of the port to access on the pods targeted by the service ...
    // If this is not specified, the value of the 'port' field is used (an identity map)."
    const targetPort = readPort(o.targetPort, join(pp, 'targetPort'), p) ?? port;
    const nodePort = readInt(o.nodePort, join(pp, 'nodePort'), p, 1, 65535);
    ports.push({ name: portName, protocol: readProtocol(o.protocol, join(pp, 'protocol'), p), port, targetPort, nodePort });
  });
  const clusterIP = readString(spec.clusterIP, 'spec.clusterIP', p);
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None' && parseIPv4(clusterIP) === null && !isIPv6(clusterIP)) {
    p.error('spec.clusterIP', `${show(clusterIP)} is not a valid IP address`);
  }
  const externalName = readString(spec.externalName, 'spec.externalName', p);
  if (type === 'ExternalName' && !externalName) p.error('spec.externalName', 'required when type is ExternalName');
  const affinity = readString(spec.sessionAffinity, 'spec.sessionAffinity', p) ?? 'None';
  if (affinity !== 'None' && affinity !== 'ClientIP') p.error('spec.sessionAffinity', `${show(affinity)} is not valid (None, ClientIP)`);
  const affinityConfig = readObj(spec.sessionAffinityConfig, 'spec.sessionAffinityConfig', p);
  const clientIP = readObj(affinityConfig?.clientIP, 'spec.sessionAffinityConfig.clientIP', p);
  return {
    namespace,
    name,
    type,
    selector: spec.selector === undefined || spec.selector === null ? null : readLabels(spec.selector, 'spec.selector', p),
    ports,
    clusterIP: clusterIP === '' ? undefined : clusterIP,
    externalName,
    headless: clusterIP === 'None',
    publishNotReadyAddresses: readBool(spec.publishNotReadyAddresses, 'spec.publishNotReadyAddresses', p) ?? false,
    sessionAffinity: affinity === 'ClientIP' ? 'ClientIP' : 'None',
    sessionAffinityTimeout: readInt(clientIP?.timeoutSeconds, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', p, 1, 86400),
    externalTrafficPolicy: readPolicy(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', p),
    internalTrafficPolicy: readPolicy(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', p),
    loadBalancerIP: readString(spec.loadBalancerIP, 'spec.loadBalancerIP', p),
    source,
  };
}

function readPolicy(v: unknown, path: string, p: ObjectProblems): 'Cluster' | 'Local' {
  const s = readString(v, path, p) ?? 'Cluster';
  if (s === 'Local' || s === 'Cluster') return s;
  p.error(path, `${show(s)} is not valid (Cluster, Local)`);
  return 'Cluster';
}

export function readEndpointSlice(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): EndpointSlice {
  const meta = readObj(obj.metadata, 'metadata', p) ?? {};
  const labels = isObj(meta.labels) ? meta.labels : {};
  const serviceName = typeof labels['kubernetes.io/service-name'] === 'string' ? (labels['kubernetes.io/service-name'] as string) : '';
  const ports = (readArray(obj.ports, 'ports', p) ?? []).filter(isObj).map((o, i) => ({
    name: readString(o.name, join(join('ports', i), 'name'), p),
    port: readInt(o.port, join(join('ports', i), 'port'), p, 1, 65535) ?? 0,
    protocol: readProtocol(o.protocol, join(join('ports', i), 'protocol'), p),
  }));
  const endpoints: Endpoint[] = (readArray(obj.endpoints, 'endpoints', p) ?? []).filter(isObj).map((e, i) => {
    const ep = join('endpoints', i);
    const cond = readObj(e.conditions, join(ep, 'conditions'), p) ?? {};
    // "ready ... nil should be interpreted as true"; serving likewise; terminating nil as false.
    const ready = readBool(cond.ready, join(ep, 'conditions.ready'), p) ?? true;
    return {
      addresses: (readArray(e.addresses, join(ep, 'addresses'), p) ?? []).map(String),
      ready,
      serving: readBool(cond.serving, join(ep, 'conditions.serving'), p) ?? ready,
      terminating: readBool(cond.terminating, join(ep, 'conditions.terminating'), p) ?? false,
      hostname: readString(e.hostname, join(ep, 'hostname'), p),
      nodeName: readString(e.nodeName, join(ep, 'nodeName'), p),
      targetRef: readTargetRef(e.targetRef, namespace),
    };
  });
  return { namespace, name, serviceName, addressType: readString(obj.addressType, 'addressType', p) ?? 'IPv4', ports, endpoints, source };
}

/** Legacy v1 Endpoints → one EndpointSlice per subset, as the mirroring controller does. */
export function readEndpoints(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): EndpointSlice[] {
  return (readArray(obj.subsets, 'subsets', p) ?? []).filter(isObj).map((subset, i) => {
    const toEndpoints = (list: unknown, ready: boolean): Endpoint[] =>
      (Array.isArray(list) ? list : []).filter(isObj).map((a) => ({
        addresses: [String(a.ip ?? '')],
        ready,
        serving: ready,
        terminating: false,
        hostname: typeof a.hostname === 'string' ? a.hostname : undefined,
        nodeName: typeof a.nodeName === 'string' ? a.nodeName : undefined,
        targetRef: readTargetRef(a.targetRef, namespace),
      }));
    const ports = (Array.isArray(subset.ports) ? subset.ports : []).filter(isObj).map((o) => ({
      name: typeof o.name === 'string' ? o.name : undefined,
      port: typeof o.port === 'number' ? o.port : 0,
      protocol: readProtocol(o.protocol, join(join('subsets', i), 'ports'), p),
    }));
    return {
      namespace,
      name: `${name}-${i}`,
      serviceName: name,
      addressType: 'IPv4',
      ports,
      endpoints: [...toEndpoints(subset.addresses, true), ...toEndpoints(subset.notReadyAddresses, false)],
      source,
    };
  });
}

function readTargetRef(v: unknown, namespace: string): Endpoint['targetRef'] {
  if (!isObj(v) || typeof v.name !== 'string') return undefined;
  return { kind: String(v.kind ?? 'Pod'), namespace: typeof v.namespace === 'string' ? v.namespace : namespace, name: v.name };
}
