// src/apiserver/proto-meta.ts is derived from k8s.io/api and k8s.io/apimachinery (generated.proto and
// the Go struct tags) by scripts/derive-proto-meta.mjs; where the fetched mirrors of the two
// repositories are on the machine the derivation runs again and must give the checked-in file.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS, MESSAGES } from '../../src/apiserver/proto-meta.js';

const ROOT = join(__dirname, '..', '..');
const api = '/work/.mirror/kubernetes+api/repo';
const apimachinery = '/work/.mirror/kubernetes+apimachinery/repo';
const mirrors = existsSync(api) && existsSync(apimachinery);
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

describe('proto-meta.ts', () => {
  it.skipIf(!mirrors)(`is what scripts/derive-proto-meta.mjs derives from ${mirrors ? `${api} and ${apimachinery}` : 'the mirrors of k8s.io/api and k8s.io/apimachinery (absent on this machine: skipped)'}`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'derive-proto-meta.mjs'), '--check', '--api', api, '--apimachinery', apimachinery], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('every message it names is in it, and the facts the decoder relies on are there', () => {
    for (const name of Object.values(KINDS)) expect(MESSAGES[name], name).toBeDefined();
    for (const fields of Object.values(MESSAGES)) {
      for (const [json, kind, , type] of Object.values(fields)) {
        if (kind === 'message' || (kind === 'map' && type !== 'string' && type !== 'bytes')) expect(MESSAGES[type!], `${json}: ${type}`).toBeDefined();
      }
    }
    expect(MESSAGES['io.k8s.apimachinery.pkg.runtime.Unknown']).toEqual({
      1: ['typeMeta', 'message', 'zi', 'io.k8s.apimachinery.pkg.runtime.TypeMeta'], 2: ['raw', 'bytes', 'z'], 3: ['contentEncoding', 'string', 'z'], 4: ['contentType', 'string', 'z'],
    });
    expect(MESSAGES['io.k8s.apimachinery.pkg.runtime.TypeMeta']).toEqual({ 1: ['apiVersion', 'string', ''], 2: ['kind', 'string', ''] });
    expect(MESSAGES['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toEqual({ 1: ['type', 'int64', 'z'], 2: ['intVal', 'int32', 'z'], 3: ['strVal', 'string', 'z'] });
    expect(MESSAGES[`${META}.Time`]).toEqual({ 1: ['seconds', 'int64', ''], 2: ['nanos', 'int32', ''] });
    expect(MESSAGES[`${META}.ObjectMeta`][2]).toEqual(['generateName', 'string', '']);
    expect(MESSAGES[`${META}.DeleteOptions`][4]).toEqual(['propagationPolicy', 'string', 'z']);
    expect(MESSAGES['io.k8s.api.apps.v1.DeploymentSpec'][1]).toEqual(['replicas', 'int32', 'z']);
    expect(MESSAGES['io.k8s.api.core.v1.Volume'][2]).toEqual(['volumeSource', 'message', 'zi', 'io.k8s.api.core.v1.VolumeSource']);
    expect(MESSAGES['io.k8s.api.core.v1.Secret'][2]).toEqual(['data', 'map', '', 'bytes']);
    expect(KINDS['apps/v1/DeleteOptions']).toBe(`${META}.DeleteOptions`);
  });
});
