/** Ingress and IngressClass (networking.k8s.io/v1), and OpenShift Route (backends only). */
import type { Ingress, IngressBackend, IngressClass, IngressPath, IngressRule, PathType, Route, Source } from '../../model/types.js';
import { isObj, join, readArray, readObj, readPort, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

const PATH_TYPES: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

export function readIngress(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): Ingress {
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  const meta = readObj(obj.metadata, 'metadata', p) ?? {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const legacyClass = typeof annotations['kubernetes.io/ingress.class'] === 'string' ? (annotations['kubernetes.io/ingress.class'] as string) : undefined;
  const rules: IngressRule[] = (readArray(spec.rules, 'spec.rules', p) ?? []).map((r, i) => {
    const rp = join('spec.rules', i);
    const ro = readObj(r, rp, p) ?? {};
    const http = readObj(ro.http, join(rp, 'http'), p);
    const paths: IngressPath[] = (readArray(http?.paths, join(rp, 'http.paths'), p) ?? []).map((x, j) => {
      const pp = join(join(rp, 'http.paths'), j);
      const po = readObj(x, pp, p) ?? {};
      const pathType = readString(po.pathType, join(pp, 'pathType'), p);
      if (pathType === undefined) p.error(join(pp, 'pathType'), 'required field is missing');
      else if (!PATH_TYPES.includes(pathType as PathType)) p.error(join(pp, 'pathType'), `${show(pathType)} is not valid (${PATH_TYPES.join(', ')})`);
      const path = readString(po.path, join(pp, 'path'), p) ?? '/';
      if ((pathType === 'Exact' || pathType === 'Prefix') && !path.startsWith('/')) p.error(join(pp, 'path'), `${show(path)} must be an absolute path`);
      return { path, pathType: (pathType ?? 'ImplementationSpecific') as PathType, backend: readBackend(po.backend, join(pp, 'backend'), p) ?? {} };
    });
    return { host: readString(ro.host, join(rp, 'host'), p), paths };
  });
  const tls = (readArray(spec.tls, 'spec.tls', p) ?? []).filter(isObj).map((t, i) => ({
    hosts: (readArray(t.hosts, join(join('spec.tls', i), 'hosts'), p) ?? []).map(String),
    secretName: readString(t.secretName, join(join('spec.tls', i), 'secretName'), p),
  }));
  return {
    namespace,
    name,
    className: readString(spec.ingressClassName, 'spec.ingressClassName', p) ?? legacyClass,
    defaultBackend: readBackend(spec.defaultBackend, 'spec.defaultBackend', p),
    rules,
    tls,
    source,
  };
}

function readBackend(v: unknown, path: string, p: ObjectProblems): IngressBackend | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const svc = readObj(o.service, join(path, 'service'), p);
  if (svc) {
    const name = readString(svc.name, join(path, 'service.name'), p);
    if (!name) p.error(join(path, 'service.name'), 'required field is missing');
    const port = readObj(svc.port, join(path, 'service.port'), p) ?? {};
    const number = readPort(port.number, join(path, 'service.port.number'), p);
    const portName = readString(port.name, join(path, 'service.port.name'), p);
    if (number === undefined && portName === undefined) p.error(join(path, 'service.port'), 'one of number or name is required');
    return { service: { name: name ?? '', port: number ?? portName ?? 0 } };
  }
  const res = readObj(o.resource, join(path, 'resource'), p);
  if (res) return { resource: { kind: String(res.kind ?? ''), name: String(res.name ?? '') } };
  p.error(path, 'one of service or resource is required');
  return undefined;
}

export function readIngressClass(obj: Obj, name: string, source: Source, p: ObjectProblems): IngressClass {
  const meta = readObj(obj.metadata, 'metadata', p) ?? {};
  const annotations = isObj(meta.annotations) ? meta.annotations : {};
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  return {
    name,
    controller: readString(spec.controller, 'spec.controller', p) ?? '',
    isDefault: annotations['ingressclass.kubernetes.io/is-default-class'] === 'true',
    source,
  };
}

export function readRoute(obj: Obj, namespace: string, name: string, source: Source, p: ObjectProblems): Route {
  const spec = readObj(obj.spec, 'spec', p) ?? {};
  const to = readObj(spec.to, 'spec.to', p);
  const services: string[] = [];
  if (to && typeof to.name === 'string' && (to.kind === undefined || to.kind === 'Service')) services.push(to.name);
  for (const alt of readArray(spec.alternateBackends, 'spec.alternateBackends', p) ?? []) {
    if (isObj(alt) && typeof alt.name === 'string' && (alt.kind === undefined || alt.kind === 'Service')) services.push(alt.name);
  }
  const port = readObj(spec.port, 'spec.port', p);
  const targetPort = port ? readPort(port.targetPort, 'spec.port.targetPort', p) : undefined;
  return { namespace, name, services, targetPort, source };
}
