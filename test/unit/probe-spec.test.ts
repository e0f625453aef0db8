/**
 * Reading container probes: defaults, named ports, and one clear error (with its field path)
 * per kind of bad input. Table-driven over readProbe, plus one manifest read end to end.
 */
import { describe, expect, it } from 'vitest';
import { readProbe, type ProbeKind } from '../../src/api/kinds/probe.js';
import { ProblemSink } from '../../src/api/problems.js';
import { readCluster } from '../../src/api/cluster.js';
import { parseManifestText } from '../../src/api/load.js';
import type { ContainerPort, Probe } from '../../src/model/types.js';

const AT = 'spec.template.spec.containers[0].readinessProbe';
const PORTS: ContainerPort[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
const DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

function read(raw: unknown, kind: ProbeKind = 'readinessProbe', at = AT): { probe: Probe | undefined; errors: string[] } {
  const sink = new ProblemSink();
  const probe = readProbe(raw, at, sink.forObject('f.yaml', 'deployment default/web'), kind, PORTS);
  return { probe, errors: sink.problems.map((p) => `${p.path}: ${p.message}`) };
}

describe('readProbe: valid probes get Kubernetes defaults', () => {
  const cases: [string, unknown, Probe['handler']][] = [
    ['httpGet, named port, path and headers', { httpGet: { path: '/_healthz', port: 'http', httpHeaders: [{ name: 'Cookie', value: 'x' }] } },
      { kind: 'httpGet', path: '/_healthz', port: 8080, scheme: 'HTTP', headers: [{ name: 'Cookie', value: 'x' }] }],
    ['httpGet without path: "/"; a path without slash gets one', { httpGet: { port: 80, path: 'healthz', host: '10.0.0.1', scheme: 'HTTPS' } },
      { kind: 'httpGet', path: '/healthz', port: 80, scheme: 'HTTPS', headers: [], host: '10.0.0.1' }],
    ['tcpSocket by number', { tcpSocket: { port: 6379 } }, { kind: 'tcpSocket', port: 6379 }],
    ['exec', { exec: { command: ['test', '-f', '/tmp/x'] } }, { kind: 'exec', command: ['test', '-f', '/tmp/x'] }],
    ['grpc with service', { grpc: { port: 9555, service: 'hipstershop' } }, { kind: 'grpc', port: 9555, service: 'hipstershop' }],
  ];
  it.each(cases)('%s', (_name, raw, handler) => {
    expect(read(raw)).toEqual({ probe: { handler, ...DEFAULTS }, errors: [] });
  });

  it('timings are read as given', () => {
    const raw = { tcpSocket: { port: 1 }, initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 7, terminationGracePeriodSeconds: 30 };
    expect(read(raw).probe).toEqual({ handler: { kind: 'tcpSocket', port: 1 }, initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 7 });
  });
});

describe('readProbe: bad input is one error naming the field', () => {
  const cases: [string, unknown, ProbeKind, string][] = [
    ['no handler', { periodSeconds: 1 }, 'readinessProbe', `${AT}: must have exactly one handler (httpGet, tcpSocket, exec, grpc), none found`],
    ['two handlers', { exec: { command: ['true'] }, tcpSocket: { port: 1 } }, 'readinessProbe', `${AT}: must have exactly one handler (httpGet, tcpSocket, exec, grpc), found tcpSocket, exec`],
    ['not an object', 'yes', 'readinessProbe', `${AT}: expected an object, found "yes"`],
    ['unknown named port', { httpGet: { port: 'metrics' } }, 'readinessProbe', `${AT}.httpGet.port: the container has no port named "metrics"`],
    ['port out of range', { tcpSocket: { port: 70000 } }, 'readinessProbe', `${AT}.tcpSocket.port: 70000 is out of range (1-65535)`],
    ['missing port', { tcpSocket: {} }, 'readinessProbe', `${AT}.tcpSocket.port: required field is missing`],
    ['bad scheme', { httpGet: { port: 80, scheme: 'FTP' } }, 'readinessProbe', `${AT}.httpGet.scheme: "FTP" is not valid (HTTP, HTTPS)`],
    ['header without name', { httpGet: { port: 80, httpHeaders: [{ value: 'v' }] } }, 'readinessProbe', `${AT}.httpGet.httpHeaders[0].name: required field is missing`],
    ['empty exec command', { exec: { command: [] } }, 'readinessProbe', `${AT}.exec.command: required field is missing: an exec probe needs a command`],
    ['grpc named port', { grpc: { port: 'http' } }, 'readinessProbe', `${AT}.grpc.port: must be a number (a gRPC probe takes no named port), found "http"`],
    ['periodSeconds 0', { tcpSocket: { port: 1 }, periodSeconds: 0 }, 'readinessProbe', `${AT}.periodSeconds: 0 is out of range (1-2147483647)`],
    ['failureThreshold 0', { tcpSocket: { port: 1 }, failureThreshold: 0 }, 'readinessProbe', `${AT}.failureThreshold: 0 is out of range (1-2147483647)`],
    ['negative initialDelaySeconds', { tcpSocket: { port: 1 }, initialDelaySeconds: -1 }, 'readinessProbe', `${AT}.initialDelaySeconds: -1 is out of range (0-2147483647)`],
    ['timeoutSeconds not an integer', { tcpSocket: { port: 1 }, timeoutSeconds: 1.5 }, 'readinessProbe', `${AT}.timeoutSeconds: expected an integer, found 1.5`],
    ['liveness successThreshold 2', { tcpSocket: { port: 1 }, successThreshold: 2 }, 'livenessProbe', `${AT}.successThreshold: must be 1 for a livenessProbe (found 2)`],
    ['startup successThreshold 3', { tcpSocket: { port: 1 }, successThreshold: 3 }, 'startupProbe', `${AT}.successThreshold: must be 1 for a startupProbe (found 3)`],
  ];
  it.each(cases)('%s', (_name, raw, kind, error) => {
    expect(read(raw, kind).errors).toEqual([error]);
  });
  it('every problem of a probe at once (handler, timing, threshold)', () => {
    expect(read({ periodSeconds: 0, successThreshold: 2 }, 'livenessProbe').errors).toEqual([
      `${AT}: must have exactly one handler (httpGet, tcpSocket, exec, grpc), none found`,
      `${AT}.periodSeconds: 0 is out of range (1-2147483647)`,
      `${AT}.successThreshold: must be 1 for a livenessProbe (found 2)`,
    ]);
    expect(read({ httpGet: { port: 'metrics' }, successThreshold: 2 }, 'startupProbe').errors).toEqual([
      `${AT}.httpGet.port: the container has no port named "metrics"`,
      `${AT}.successThreshold: must be 1 for a startupProbe (found 2)`,
    ]);
  });
});

describe('probes through a whole manifest', () => {
  it('a Deployment container carries its probes; a bad one fails the read with its path', () => {
    const text = (probe: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
        ${probe}
`;
    const ok = readCluster(parseManifestText(text('livenessProbe: {httpGet: {port: http}, periodSeconds: 1}'), 't.yaml', []));
    expect(ok.pods[0]!.containers[0]!.livenessProbe).toEqual({ handler: { kind: 'httpGet', path: '/', port: 8080, scheme: 'HTTP', headers: [] }, ...DEFAULTS, periodSeconds: 1 });
    expect(() => readCluster(parseManifestText(text('readinessProbe: {}'), 't.yaml', []))).toThrow(
      'spec.template.spec.containers[0].readinessProbe: must have exactly one handler',
    );
  });
});
