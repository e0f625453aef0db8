// Unknown-field validation against schema-meta.ts, with kube-apiserver's paths and messages.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ApiError } from '../../src/apiserver/errors.js';
import {
  FieldValidationError, fieldValidationOf, goFormat, goQuote, MAX_REPORTED, strictDecodingMessage, strictPatchError, unknownFieldMessage, unknownFields,
} from '../../src/apiserver/field-validation.js';

const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
type Obj = Record<string, unknown>;

function deployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', 'example.com/tier': 'front' }, annotations: { note: 'x' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{
            name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent',
            ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
            env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
          }],
          volumes: [{ name: 'cfg', configMap: { name: 'web', items: [{ key: 'a', path: 'a' }] } }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
        },
      },
    },
  };
}

const service: Obj = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
};

describe('unknownFields', () => {
  it('a clean Deployment and Service report nothing', () => {
    expect(unknownFields(deployment(), DEPLOYMENT)).toEqual([]);
    expect(unknownFields(service, { apiVersion: 'v1', kind: 'Service' })).toEqual([]);
  });

  it('reports typos at every depth, in document order, with upstream paths', () => {
    const d = deployment();
    const spec = d.spec as Obj;
    const pod = (spec.template as Obj).spec as Obj;
    const c0 = (pod.containers as Obj[])[0];
    (d.metadata as Obj).lables = { app: 'web' };
    spec.replica = 3;
    c0.imagePullPolice = 'Always';
    (c0.ports as Obj[])[0].contianerPort = 81;
    (pod.containers as Obj[]).push({ name: 'side', image: 'busybox', ImagePullPolicy: 'Always' });
    d.extra = true;
    expect(unknownFields(d, DEPLOYMENT)).toEqual([
      'metadata.lables',
      'spec.template.spec.containers[0].ports[0].contianerPort', // ports comes first in the object
      'spec.template.spec.containers[0].imagePullPolice',
      'spec.template.spec.containers[1].ImagePullPolicy', // case-sensitive, as upstream
      'spec.replica',
      'extra',
    ]);
  });

  it('apiVersion, kind, metadata and status are checked against the schema', () => {
    const d: Obj = { ...deployment(), status: { replicas: 1, readyReplica: 1, conditions: [{ type: 'Available', status: 'True', bogus: 1 }] } };
    (d.metadata as Obj).ownerReferences = [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controler: true }];
    expect(unknownFields(d, DEPLOYMENT)).toEqual(['metadata.ownerReferences[0].controler', 'status.readyReplica', 'status.conditions[0].bogus']);
  });

  it('never reports the keys of maps (labels, annotations, data, resources, nodeSelector)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { anything: 'x' } }, data: { 'spec.foo': 'x', replicas: 'y' }, binaryData: { b: 'AA==' } };
    expect(unknownFields(cm, { apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' }, type: 'Opaque' };
    expect(unknownFields(secret, { apiVersion: 'v1', kind: 'Secret' })).toEqual([]);
  });

  it('reports nothing below an open type (managedFields[].fieldsV1)', () => {
    const d = deployment();
    (d.metadata as Obj).managedFields = [{ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    expect(unknownFields(d, DEPLOYMENT)).toEqual([]);
  });

  it('kinds without a schema here, and non-objects, report nothing', () => {
    const nad = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'n' }, spec: { config: '{}' }, whatever: 1 };
    expect(unknownFields(nad, nad)).toEqual([]);
    expect(unknownFields('text', DEPLOYMENT)).toEqual([]);
    expect(unknownFields(null, DEPLOYMENT)).toEqual([]);
    // A wrong type is a decoding error upstream, not an unknown field: not descended into.
    expect(unknownFields({ spec: 'x', metadata: [{ bogus: 1 }] }, DEPLOYMENT)).toEqual([]);
  });

  it(`stops after ${MAX_REPORTED} fields`, () => {
    const d = deployment();
    for (let i = 0; i < 150; i++) (d.spec as Obj)[`f${i}`] = i;
    const found = unknownFields(d, DEPLOYMENT);
    expect(found).toHaveLength(MAX_REPORTED);
    expect(found[0]).toBe('spec.f0');
    expect(found[99]).toBe('spec.f99');
  });

  const boutique = ['/work/shared/manifests/online-boutique/kubernetes-manifests.yaml', '/work/shared/manifests/online-boutique/network-policies.yaml'];
  it.skipIf(!boutique.every(existsSync))(`the Online Boutique manifests report nothing${boutique.every(existsSync) ? '' : ' (absent on this machine: skipped)'}`, () => {
    let checked = 0;
    for (const file of boutique) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const obj = doc.toJS() as Obj | null;
        if (!obj) continue;
        expect(unknownFields(obj, obj as { apiVersion: string; kind: string }), `${file}: ${obj.kind}/${(obj.metadata as Obj).name}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});

describe('messages', () => {
  it('formats strict errors and warnings as kube-apiserver does', () => {
    expect(unknownFieldMessage('spec.foo')).toBe('unknown field "spec.foo"');
    expect(strictDecodingMessage(DEPLOYMENT, ['spec.foo', 'spec.bar'])).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
    );
    expect(strictDecodingMessage({ apiVersion: 'v1', kind: 'Service' }, ['spec.ports[0].nodeport'])).toBe(
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.ports[0].nodeport"',
    );
    expect(goQuote('a"b\\c\nd\x01é')).toBe('"a\\"b\\\\c\\nd\\x01é"');
  });

  it('a strict patch is 422 Invalid on the field "patch", its value printed as upstream does', () => {
    const patch = { spec: { replica: 3, template: { metadata: { labels: { b: 'x', a: null } } }, list: [1, 2.5, true] } };
    expect(goFormat(patch)).toBe('map[spec:map[list:[1 2.5 true] replica:3 template:map[metadata:map[labels:map[a:<nil> b:x]]]]]');
    // 1e21 overflows int64, so upstream has a float64 there too.
    expect([1e6 + 0.5, 1.5e-5, 0.25, 1e21, -3].map(goFormat)).toEqual(['1.0000005e+06', '1.5e-05', '0.25', '1e+21', '-3']);
    const e = strictPatchError('map[spec:map[replica:3]]', ['spec.replica']);
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[replica:3]]": strict decoding error: unknown field "spec.replica"');
    expect(e.details).toEqual({ causes: [{ reason: 'FieldValueInvalid', field: 'patch', message: 'Invalid value: "map[spec:map[replica:3]]": strict decoding error: unknown field "spec.replica"' }] });
  });
});

describe('fieldValidationOf', () => {
  it.each([
    [null, 'Warn'],
    ['', 'Warn'],
    ['Strict', 'Strict'],
    ['Warn', 'Warn'],
    ['Ignore', 'Ignore'],
  ] as const)('%j → %s', (value, want) => {
    expect(fieldValidationOf(value)).toBe(want);
  });

  it.each(['strict', 'STRICT', 'Foo', ' Strict'])('%j → 422 Invalid naming the options kind', (value) => {
    let err: unknown;
    try {
      fieldValidationOf(value, 'PatchOptions');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FieldValidationError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(Error);
    const e = err as FieldValidationError;
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe(`PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "${value}": supported values: "", "Ignore", "Strict", "Warn"`);
    expect(e.details).toEqual({
      group: 'meta.k8s.io', kind: 'PatchOptions',
      causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "${value}": supported values: "", "Ignore", "Strict", "Warn"`, field: 'fieldValidation' }],
    });
  });

  it('names CreateOptions by default', () => {
    expect(() => fieldValidationOf('x')).toThrow('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x"');
  });
});
