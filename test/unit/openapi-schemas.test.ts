// src/apiserver/openapi-schemas.ts is derived from the Kubernetes OpenAPI document by
// scripts/derive-openapi-schemas.mjs (checked again where the document is on the machine); the
// OpenAPI v3 documents of openapi.ts carry them, whole, for kubectl explain.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openapiDocument } from '../../src/apiserver/openapi.js';
import { SCHEMAS } from '../../src/apiserver/openapi-schemas.js';

const ROOT = join(__dirname, '..', '..');
const swagger = ['/work/shared/k8s-openapi/swagger.json', join(ROOT, '..', 'shared', 'k8s-openapi', 'swagger.json')].find((p) => existsSync(p));

type Doc = { paths: Record<string, Record<string, { requestBody?: unknown }>>; components: { schemas: Record<string, Record<string, unknown>> } };
const refsIn = (v: unknown): string[] => [...JSON.stringify(v).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);

describe('openapi-schemas.ts', () => {
  it.skipIf(swagger === undefined)(`is what scripts/derive-openapi-schemas.mjs derives from ${swagger ?? 'the swagger (absent on this machine: skipped)'}`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'derive-openapi-schemas.mjs'), '--check', '--swagger', swagger!], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('holds facts, no prose: types, required fields, patch and list metadata; no descriptions', () => {
    expect(JSON.stringify(SCHEMAS)).not.toMatch(/"description"/);
    const port = SCHEMAS['io.k8s.api.core.v1.ContainerPort'] as { required: string[]; properties: Record<string, { type: string; format?: string }> };
    expect(port.required).toEqual(['containerPort']);
    expect(port.properties.containerPort).toEqual({ format: 'int32', type: 'integer' });
    const spec = SCHEMAS['io.k8s.api.core.v1.PodSpec'] as { properties: Record<string, Record<string, unknown>> };
    expect(spec.properties.containers).toMatchObject({ type: 'array', items: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] }, 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
  });
});

describe('the OpenAPI v3 documents', () => {
  it('are whole: each kind of the group-version has its schema (by x-kubernetes-group-version-kind), every $ref resolves inside the document', () => {
    for (const [path, kinds] of [['api/v1', ['Pod', 'Service', 'ConfigMap', 'Namespace']], ['apis/apps/v1', ['Deployment', 'StatefulSet']], ['apis/networking.k8s.io/v1', ['NetworkPolicy', 'Ingress']]] as const) {
      const doc = openapiDocument(path) as Doc;
      const schemas = doc.components.schemas;
      for (const kind of kinds) {
        const found = Object.values(schemas).filter((s) => ((s['x-kubernetes-group-version-kind'] ?? []) as { kind: string }[]).some((g) => g.kind === kind));
        expect(found.length, `${path} ${kind}`).toBeGreaterThan(0);
      }
      for (const ref of refsIn(schemas)) expect(schemas[ref], `${path}: ${ref}`).toBeDefined();
      // No request bodies: kubectl apply's patches stay computed from its compiled-in types.
      for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op.requestBody).toBeUndefined();
    }
    // The CRD kinds podnet models have no derived schema.
    expect((openapiDocument('apis/policy.networking.k8s.io/v1alpha1') as Doc).components.schemas).toEqual({});
  });
});
