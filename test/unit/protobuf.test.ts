// src/apiserver/protobuf.ts: Kubernetes protobuf bodies (what kubectl's typed clients send) to the
// JSON form. Hand-assembled bytes (from the wire-format rules, field by field) check decoder and
// tables together; round trips through the test encoder cover the kinds kubectl creates.
import { describe, expect, it } from 'vitest';
import { decodeProtobuf, PROTOBUF, ProtobufError } from '../../src/apiserver/protobuf.js';
import { goDuration, rfc3339 } from '../../src/apiserver/protobuf-wire.js';
import { encodeObject, ld, str, tag, varint } from './protobuf-encode.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const bytes = (...parts: (number | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : [p])));
const error = (body: Uint8Array): string => {
  try {
    decodeProtobuf(body);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtobufError);
    return (e as Error).message;
  }
  throw new Error('decoded');
};

// A ConfigMap as Go's encoder writes it (every non-pointer field, zero or not), assembled by hand.
const CONFIGMAP = bytes(
  0x6b, 0x38, 0x73, 0x00, //                 "k8s\0"
  0x0a, 0x0f, //                             Unknown.typeMeta (1, length-delimited), 15 bytes
  0x0a, 0x02, 'v1', //                         TypeMeta.apiVersion (1) "v1"
  0x12, 0x09, 'ConfigMap', //                  TypeMeta.kind (2) "ConfigMap"
  0x12, 0x26, //                             Unknown.raw (2), 38 bytes: the ConfigMap
  0x0a, 0x13, //                               ConfigMap.metadata (1), 19 bytes
  0x0a, 0x02, 'cm', //                           ObjectMeta.name (1) "cm"
  0x12, 0x00, //                                 ObjectMeta.generateName (2) "" (omitempty: left out)
  0x1a, 0x07, 'default', //                      ObjectMeta.namespace (3) "default"
  0x38, 0x00, //                                 ObjectMeta.generation (7, varint) 0 (left out)
  0x42, 0x00, //                                 ObjectMeta.creationTimestamp (8) empty: zero time
  0x12, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, '1', // ConfigMap.data (2) entry: key (1) "a", value (2) "1"
  0x1a, 0x07, 0x0a, 0x01, 'b', 0x12, 0x02, 0xff, 0x00, // binaryData (3) entry: "b" → bytes ff 00
  0x1a, 0x00, //                             Unknown.contentEncoding (3) ""
  0x22, 0x00, //                             Unknown.contentType (4) ""
);

// A Deployment's spec: replicas is a pointer (sent when 0), minReadySeconds is not (left out).
const DEPLOYMENT = bytes(
  0x6b, 0x38, 0x73, 0x00,
  0x0a, 0x15, 0x0a, 0x07, 'apps/v1', 0x12, 0x0a, 'Deployment', // typeMeta: 9 + 12 = 21 bytes
  0x12, 0x19, //                             raw, 25 bytes
  0x0a, 0x05, 0x0a, 0x03, 'web', //            metadata { name (1) "web" }
  0x12, 0x10, //                               Deployment.spec (2), 16 bytes
  0x08, 0x00, //                                 DeploymentSpec.replicas (1) 0
  0x22, 0x0a, 0x0a, 0x08, 'Recreate', //         strategy (4) { type (1) "Recreate" }
  0x28, 0x00, //                                 minReadySeconds (5) 0
);

describe('decodeProtobuf: hand-assembled bytes', () => {
  it('a ConfigMap: zero values Go writes are left out, bytes become base64', () => {
    expect(PROTOBUF).toBe('application/vnd.kubernetes.protobuf');
    expect(decodeProtobuf(CONFIGMAP)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { a: '1' }, binaryData: { b: '/wA=' } },
    });
  });

  it('a Deployment: a pointer field keeps its zero', () => {
    expect(decodeProtobuf(DEPLOYMENT).object).toEqual({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 0, strategy: { type: 'Recreate' } },
    });
  });

  it('unknown field numbers are skipped, whatever their wire type', () => {
    const raw = [...ld(1, str(1, 'ns1')), ...tag(99, 0), ...varint(2n ** 63n), ...ld(100, [1, 2, 3]), ...tag(101, 5), 1, 2, 3, 4, ...tag(102, 1), 1, 2, 3, 4, 5, 6, 7, 8];
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Namespace')]), ...ld(2, raw), ...ld(77, [9])]);
    expect(decodeProtobuf(body).object).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  });

  it('packed and unpacked repeated scalars; a negative int32 in ten bytes', () => {
    const ctx = (groups: number[]) => ld(14, groups); // PodSpec.securityContext (14)
    const unpacked = [...tag(4, 0), 1, ...tag(4, 0), 2]; // PodSecurityContext.supplementalGroups (4)
    const packed = ld(4, [3, 0xac, 0x02]); // 3 and 300
    const pod = (spec: number[]) => new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Pod')]), ...ld(2, ld(2, spec))]);
    expect(decodeProtobuf(pod(ctx([...unpacked, ...packed]))).object.spec).toEqual({ securityContext: { supplementalGroups: [1, 2, 3, 300] } });
    const status = new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Status')]), ...ld(2, [...tag(6, 0), ...varint(-1)])]);
    expect(varint(-1)).toHaveLength(10);
    expect(decodeProtobuf(status).object).toEqual({ apiVersion: 'v1', kind: 'Status', code: -1 });
  });

  it('Time: seconds only; empty or 0001-01-01 is the zero time (left out); the epoch is a time', () => {
    const ns = (time: number[]) => new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Namespace')]), ...ld(2, ld(1, ld(8, time)))]);
    const meta = (time: number[]) => decodeProtobuf(ns(time)).object.metadata;
    expect(meta([...tag(1, 0), ...varint(1767323045), ...tag(2, 0), ...varint(5e8)])).toEqual({ creationTimestamp: '2026-01-02T03:04:05Z' });
    expect(meta([...tag(1, 0), ...varint(-62135596800)])).toEqual({});
    expect(meta([])).toEqual({});
    expect(meta([...tag(1, 0), 0])).toEqual({ creationTimestamp: '1970-01-01T00:00:00Z' });
  });

  it('a map key __proto__ stays an own key', () => {
    const body = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', data: JSON.parse('{"__proto__": "x"}') });
    const data = decodeProtobuf(body).object.data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__']);
  });
});

describe('decodeProtobuf: errors a user can act on', () => {
  it('a wrong prefix, an unknown kind, no kind', () => {
    expect(error(new TextEncoder().encode('{"kind":"Pod"}'))).toBe('not a Kubernetes protobuf message (no k8s\\0 prefix)');
    expect(error(new Uint8Array([0x6b, 0x38, 0x73]))).toMatch(/no k8s\\0 prefix/);
    expect(error(new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Foo')])]))).toBe('unknown kind v1/Foo');
    expect(error(new Uint8Array([0x6b, 0x38, 0x73, 0]))).toBe('the protobuf envelope names no apiVersion and kind');
  });

  it('input cut anywhere inside typeMeta or raw', () => {
    // 4 prefix bytes, typeMeta 2 + 15, raw 2 + 38; a cut at 21 falls between the two fields
    for (let n = 5; n < 61; n++) if (n !== 21) expect(error(CONFIGMAP.subarray(0, n))).toMatch(/^truncated field [12] of io\.k8s\.apimachinery\.pkg\.runtime\.Unknown$/);
    expect(error(CONFIGMAP.subarray(0, 22))).toBe('truncated field 2 of io.k8s.apimachinery.pkg.runtime.Unknown');
  });

  it('a truncated field inside the object names its message', () => {
    // PodSpec.containers (2) says 5 bytes, 2 follow
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Pod')]), ...ld(2, ld(2, [0x12, 0x05, 0x0a, 0x01]))]);
    expect(error(body)).toBe('truncated field 2 of io.k8s.api.core.v1.PodSpec');
  });

  it('a wire type that is not the field’s, a content encoding', () => {
    const body = new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Namespace')]), ...ld(2, [...tag(1, 0), 1])]);
    expect(error(body)).toBe('field 1 (metadata) of io.k8s.api.core.v1.Namespace: wire type 0, expected 2');
    const gz = new Uint8Array([0x6b, 0x38, 0x73, 0, ...ld(1, [...str(1, 'v1'), ...str(2, 'Namespace')]), ...str(3, 'gzip')]);
    expect(error(gz)).toMatch(/content encoding gzip/);
  });
});

describe('the JSON forms Go gives', () => {
  it('time.Duration.String()', () => {
    const cases: [number, string][] = [[0, '0s'], [1, '1ns'], [1500, '1.5µs'], [250e6, '250ms'], [1.5e9, '1.5s'], [120e9, '2m0s'], [3600e9, '1h0m0s'], [3723.5e9, '1h2m3.5s'], [-2e9, '-2s']];
    for (const [ns, s] of cases) expect(goDuration(ns)).toBe(s);
  });

  it('RFC 3339 times: seconds (Time), six fractional digits (MicroTime)', () => {
    expect(rfc3339(1767323045, 0, false)).toBe('2026-01-02T03:04:05Z');
    expect(rfc3339(1767323045, 123456789, true)).toBe('2026-01-02T03:04:05.123456Z');
    expect(rfc3339(0, 0, true)).toBe('1970-01-01T00:00:00.000000Z');
  });
});

// The JSON forms kubectl's typed commands send (zero values left out, as they decode).
const OBJECTS: Record<string, Record<string, unknown>> = {
  configmap: {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'lab', labels: { app: 'web' }, creationTimestamp: '2026-01-02T03:04:05Z' },
    data: { 'app.conf': 'port=80\n', empty: '' }, binaryData: { blob: b64('\u0000\u00ff') },
  },
  namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', annotations: { owner: 'me' } }, spec: { finalizers: ['kubernetes'] } },
  secret: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { password: b64('s3cret'), none: '' }, immutable: false },
  deployment: {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }, { name: 'metrics', containerPort: 9090 }],
            env: [{ name: 'MODE', value: 'prod' }, { name: 'EMPTY' }], resources: { limits: { cpu: '500m', memory: '128Mi' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'metrics' }, periodSeconds: 5 },
          }],
          volumes: [{ name: 'conf', configMap: { name: 'cfg', defaultMode: 420 } }],
          securityContext: { supplementalGroups: [1000, 2000], runAsUser: 0 },
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
    },
  },
  service: {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'named', port: 81, targetPort: 'metrics' }] },
  },
  deleteOptions: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u-1', resourceVersion: '42' }, dryRun: ['All'] },
  ingress: {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web' },
    spec: { ingressClassName: 'podnet', rules: [{ host: 'web.lab', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  },
  cronjob: {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick' },
    spec: { schedule: '*/5 * * * *', jobTemplate: { metadata: { name: 'tick' }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'tick', image: 'busybox', command: ['date'] }] } } } } },
  },
  event: {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:reason': {} } }] },
    involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', firstTimestamp: '2026-01-02T03:04:05Z', eventTime: '2026-01-02T03:04:05.123456Z', count: 2,
  },
  scale: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'lab' }, spec: { replicas: 5 } },
};

describe('decodeProtobuf: round trips through the test encoder', () => {
  for (const [name, obj] of Object.entries(OBJECTS)) {
    it(name, () => {
      const apiVersion = obj.apiVersion;
      const kind = obj.kind;
      for (const packed of [false, true]) expect(decodeProtobuf(encodeObject(obj, packed))).toEqual({ apiVersion, kind, object: obj });
    });
  }

  it('zero values: omitempty fields and a non-pointer IntOrString 0 left out, pointers kept', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 82, targetPort: 0, nodePort: 0, name: '' }] } };
    expect(decodeProtobuf(encodeObject(svc)).object.spec).toEqual({ ports: [{ port: 82 }] });
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 0, paused: false, strategy: { rollingUpdate: { maxSurge: 0 } } } };
    expect(decodeProtobuf(encodeObject(dep)).object.spec).toEqual({ replicas: 0, strategy: { rollingUpdate: { maxSurge: 0 } } });
  });
});
