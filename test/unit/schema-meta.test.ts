// src/apiserver/schema-meta.ts is derived from the Kubernetes OpenAPI document by
// scripts/derive-schema.mjs; where that document is on the machine (/work/shared, or ../shared
// beside the clone as CI links it) the derivation runs again and must give the checked-in file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../src/apiserver/patch-meta.js';
import { OPEN, SCHEMA } from '../../src/apiserver/schema-meta.js';

const ROOT = join(__dirname, '..', '..');
const swagger = ['/work/shared/k8s-openapi/swagger.json', join(ROOT, '..', 'shared', 'k8s-openapi', 'swagger.json')].find((p) => existsSync(p));

describe('schema-meta.ts', () => {
  it.skipIf(swagger === undefined)(`is what scripts/derive-schema.mjs derives from ${swagger ?? 'the swagger (absent on this machine: skipped)'}`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'derive-schema.mjs'), '--check', '--swagger', swagger!], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has every kind, every definition it names, and the facts validation relies on', () => {
    for (const def of Object.values(KINDS)) expect(SCHEMA[def], def).toBeDefined();
    for (const fields of Object.values(SCHEMA)) {
      for (const item of fields.split(' ')) {
        const def = /:(.+)$/.exec(item)?.[1];
        if (def !== undefined && def !== '*') expect(SCHEMA[def] !== undefined || OPEN.includes(def), `${item} names ${def}`).toBe(true);
      }
    }
    const meta = SCHEMA['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].split(' ');
    expect(meta).toContain('labels');
    expect(meta).toContain('managedFields[]:io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry');
    expect(SCHEMA['io.k8s.api.core.v1.PodSpec'].split(' ')).toContain('containers[]:io.k8s.api.core.v1.Container');
    expect(SCHEMA['io.k8s.api.core.v1.Container'].split(' ')).toContain('imagePullPolicy');
    expect(OPEN).toContain('io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1');
  });
});
