// src/apiserver/patch-meta.ts is derived from the Kubernetes OpenAPI document by
// scripts/derive-patch-meta.mjs; where that document is on the machine (/work/shared, or ../shared
// beside the clone as CI links it) the derivation runs again and must give the checked-in file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFS, KINDS } from '../../src/apiserver/patch-meta.js';

const ROOT = join(__dirname, '..', '..');
const swagger = ['/work/shared/k8s-openapi/swagger.json', join(ROOT, '..', 'shared', 'k8s-openapi', 'swagger.json')].find((p) => existsSync(p));

describe('patch-meta.ts', () => {
  it.skipIf(swagger === undefined)(`is what scripts/derive-patch-meta.mjs derives from ${swagger ?? 'the swagger (absent on this machine: skipped)'}`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'derive-patch-meta.mjs'), '--check', '--swagger', swagger!], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('every type it names is in it, and the facts the patcher relies on are there', () => {
    for (const def of Object.values(KINDS)) expect(DEFS[def], def).toBeDefined();
    for (const fields of Object.values(DEFS)) for (const f of Object.values(fields)) if (f.type) expect(DEFS[f.type], f.type).toBeDefined();
    expect(DEFS['io.k8s.api.core.v1.PodSpec'].containers).toMatchObject({ strategy: 'merge', key: 'name', list: true });
    expect(DEFS['io.k8s.api.core.v1.ServiceSpec'].ports).toMatchObject({ strategy: 'merge', key: 'port' });
    expect(DEFS['io.k8s.api.apps.v1.DeploymentSpec'].strategy).toMatchObject({ strategy: 'retainKeys' });
    expect(DEFS['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].finalizers).toEqual({ strategy: 'merge', list: true });
  });
});
