// src/apiserver/list-meta.ts is derived from the Kubernetes OpenAPI document by
// scripts/derive-list-meta.mjs; where that document is on the machine (/work/shared, or ../shared
// beside the clone) the derivation runs again and must give the checked-in file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATOMIC, LIST_TYPES } from '../../src/apiserver/list-meta.js';
import { SCHEMA } from '../../src/apiserver/schema-meta.js';

const ROOT = join(__dirname, '..', '..');
const swagger = ['/work/shared/k8s-openapi/swagger.json', join(ROOT, '..', 'shared', 'k8s-openapi', 'swagger.json')].find((p) => existsSync(p));

describe('list-meta.ts', () => {
  it.skipIf(swagger === undefined)(`is what scripts/derive-list-meta.mjs derives from ${swagger ?? 'the swagger (absent on this machine: skipped)'}`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'derive-list-meta.mjs'), '--check', '--swagger', swagger!], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('names only definitions of schema-meta.ts, and holds the facts apply relies on', () => {
    for (const key of Object.keys(LIST_TYPES)) expect(SCHEMA[key.slice(0, key.lastIndexOf('.'))], key).toBeDefined();
    for (const v of Object.values(LIST_TYPES)) expect(v).toMatch(/^(atomic|set|granular|map:[A-Za-z]+(,[A-Za-z]+)*)$/);
    expect(LIST_TYPES['io.k8s.api.core.v1.PodSpec.containers']).toBe('map:name');
    expect(LIST_TYPES['io.k8s.api.core.v1.Container.ports']).toBe('map:containerPort,protocol');
    expect(LIST_TYPES['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.finalizers']).toBe('set');
    expect(ATOMIC).toContain('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector');
  });
});
