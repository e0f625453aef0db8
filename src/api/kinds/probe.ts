/**
 * Container probes (readinessProbe, livenessProbe, startupProbe) read with Kubernetes' defaults
 * and validation. A named port is resolved against the container's own ports here, once, so
 * everything downstream sees numbers (kubelet does the same lookup when it probes).
 */
import type { ContainerPort, Probe, ProbeHandler } from '../../model/types.js';
import { isPortName, join, readArray, readInt, readObj, readString, show, type Obj } from '../fields.js';
import type { ObjectProblems } from '../problems.js';

export type ProbeKind = 'readinessProbe' | 'livenessProbe' | 'startupProbe';
export const PROBE_KINDS: readonly ProbeKind[] = ['readinessProbe', 'livenessProbe', 'startupProbe'];

const HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc'] as const;
const MAX_INT32 = 2 ** 31 - 1;

/** Reads the probe at `path` (undefined when absent or invalid; problems go to `p`). */
export function readProbe(v: unknown, path: string, p: ObjectProblems, kind: ProbeKind, ports: readonly ContainerPort[]): Probe | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  const present = HANDLERS.filter((h) => o[h] !== undefined && o[h] !== null);
  if (present.length !== 1) {
    const found = present.length === 0 ? 'none found' : `found ${present.join(', ')}`;
    p.error(path, `must have exactly one handler (httpGet, tcpSocket, exec, grpc), ${found}`);
  }
  const handler = present.length === 1 ? readHandler(present[0]!, o[present[0]!], join(path, present[0]!), p, ports) : undefined;
  const int = (key: string, dflt: number, min: number): number => readInt(o[key], join(path, key), p, min, MAX_INT32) ?? dflt;
  const timings = {
    initialDelaySeconds: int('initialDelaySeconds', 0, 0),
    periodSeconds: int('periodSeconds', 10, 1),
    timeoutSeconds: int('timeoutSeconds', 1, 1),
    successThreshold: int('successThreshold', 1, 1),
    failureThreshold: int('failureThreshold', 3, 1),
  };
  // terminationGracePeriodSeconds is accepted and ignored (podnet stops containers its own way).
  readInt(o.terminationGracePeriodSeconds, join(path, 'terminationGracePeriodSeconds'), p, 1);
  if (kind !== 'readinessProbe' && timings.successThreshold !== 1) {
    p.error(join(path, 'successThreshold'), `must be 1 for a ${kind} (found ${timings.successThreshold})`);
    return undefined;
  }
  return handler && { handler, ...timings };
}

export function readHandler(name: (typeof HANDLERS)[number], v: unknown, path: string, p: ObjectProblems, ports: readonly ContainerPort[]): ProbeHandler | undefined {
  const o = readObj(v, path, p);
  if (!o) return undefined;
  switch (name) {
    case 'httpGet': {
      const port = readPort(o.port, join(path, 'port'), p, ports);
      const scheme = readString(o.scheme, join(path, 'scheme'), p) ?? 'HTTP';
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') p.error(join(path, 'scheme'), `${show(scheme)} is not valid (HTTP, HTTPS)`);
      const headers = readHeaders(o.httpHeaders, join(path, 'httpHeaders'), p);
      const host = readHost(o, path, p);
      if (port === undefined || (scheme !== 'HTTP' && scheme !== 'HTTPS') || !headers) return undefined;
      const rawPath = readString(o.path, join(path, 'path'), p) ?? '/';
      // kubelet adds the leading slash when the path lacks one.
      return { kind: 'httpGet', path: rawPath.startsWith('/') ? rawPath : `/${rawPath}`, port, scheme, headers, ...(host ? { host } : {}) };
    }
    case 'tcpSocket': {
      const port = readPort(o.port, join(path, 'port'), p, ports);
      const host = readHost(o, path, p);
      return port === undefined ? undefined : { kind: 'tcpSocket', port, ...(host ? { host } : {}) };
    }
    case 'exec': {
      const list = readArray(o.command, join(path, 'command'), p);
      if (!list || list.length === 0) {
        p.error(join(path, 'command'), 'required field is missing: an exec probe needs a command');
        return undefined;
      }
      const command = list.map((s, i) => readString(s, join(join(path, 'command'), i), p));
      return command.every((s): s is string => s !== undefined) ? { kind: 'exec', command } : undefined;
    }
    case 'grpc': {
      if (typeof o.port === 'string') {
        p.error(join(path, 'port'), `must be a number (a gRPC probe takes no named port), found ${show(o.port)}`);
        return undefined;
      }
      const port = readInt(o.port, join(path, 'port'), p, 1, 65535);
      if (port === undefined && o.port === undefined) p.error(join(path, 'port'), 'required field is missing');
      const service = readString(o.service, join(path, 'service'), p);
      return port === undefined ? undefined : { kind: 'grpc', port, ...(service !== undefined ? { service } : {}) };
    }
  }
}

/** A port as a number 1-65535, or the name of one of the container's ports. */
function readPort(v: unknown, path: string, p: ObjectProblems, ports: readonly ContainerPort[]): number | undefined {
  if (v === undefined || v === null) {
    p.error(path, 'required field is missing');
    return undefined;
  }
  if (typeof v !== 'string') return readInt(v, path, p, 1, 65535);
  if (!isPortName(v)) {
    p.error(path, `${show(v)} is not a valid port name (IANA_SVC_NAME) or number`);
    return undefined;
  }
  const found = ports.find((cp) => cp.name === v);
  if (!found) p.error(path, `the container has no port named ${show(v)}`);
  return found?.containerPort;
}

function readHost(o: Obj, path: string, p: ObjectProblems): string | undefined {
  const host = readString(o.host, join(path, 'host'), p);
  return host === '' ? undefined : host;
}

function readHeaders(v: unknown, path: string, p: ObjectProblems): { name: string; value: string }[] | undefined {
  const out: { name: string; value: string }[] = [];
  let ok = true;
  (readArray(v, path, p) ?? []).forEach((x, i) => {
    const hp = join(path, i);
    const h = readObj(x, hp, p);
    const name = h ? readString(h.name, join(hp, 'name'), p) : undefined;
    const value = h ? (readString(h.value, join(hp, 'value'), p) ?? '') : '';
    if (h && (name === undefined || name === '')) p.error(join(hp, 'name'), 'required field is missing');
    if (name) out.push({ name, value });
    else ok = false;
  });
  return ok ? out : undefined;
}
