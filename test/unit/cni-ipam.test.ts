import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPlugin, usesIpam, withIpamAddress } from '../../src/cni/ipam.js';
import { CniFailure, type CniResult, type PodnetNetConf } from '../../src/cni/types.js';

const base: PodnetNetConf = { cniVersion: '1.0.0', name: 'n', type: 'podnet', mtu: 1500, ipam: { type: 'host-local' } };
const result = (ips: CniResult['ips']): CniResult => ({ cniVersion: '1.0.0', interfaces: [], ips, routes: [], dns: {} });

function failure(f: () => unknown): { code: number; msg: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CniFailure);
    return (e as CniFailure).toJSON();
  }
  throw new Error('expected a CniFailure');
}

describe('IPAM delegation', () => {
  it.each<[string, PodnetNetConf, boolean]>([
    ['an ipam plugin and no addresses from the runtime', base, true],
    ['addresses from the runtime (the lab)', { ...base, runtimeConfig: { ips: ['10.0.0.5/24'] } }, false],
    ['no ipam section', { ...base, ipam: undefined }, false],
    ['an ipam section without a type', { ...base, ipam: {} }, false],
  ])('uses IPAM with %s: %s', (_n, conf, want) => {
    expect(usesIpam(conf)).toBe(want);
  });

  it.each<[string, PodnetNetConf, CniResult['ips'], string, string]>([
    ['the result\'s gateway', base, [{ address: '10.1.0.7/24', gateway: '10.1.0.1' }], '10.1.0.7/24', '10.1.0.1'],
    ['the configuration\'s gateway over the result\'s', { ...base, gateway: '10.1.0.254' }, [{ address: '10.1.0.7/24', gateway: '10.1.0.1' }], '10.1.0.7/24', '10.1.0.254'],
    ['the first IPv4 address', base, [{ address: 'fd00::7/64', gateway: 'fd00::1' }, { address: '10.1.0.8/24', gateway: '10.1.0.1' }], '10.1.0.8/24', '10.1.0.1'],
  ])('continues ADD with %s', (_n, conf, ips, address, gateway) => {
    const next = withIpamAddress(conf, result(ips));
    expect(next.runtimeConfig?.ips).toEqual([address]);
    expect(next.gateway).toBe(gateway);
  });

  it('fails clearly without an IPv4 address or a gateway', () => {
    expect(failure(() => withIpamAddress(base, result([{ address: 'fd00::7/64' }])))).toMatchObject({ code: 5, msg: 'IPAM plugin host-local returned no IPv4 address' });
    expect(failure(() => withIpamAddress(base, result([{ address: '10.1.0.7/24' }])))).toMatchObject({ code: 7 });
  });

  describe('finding the plugin', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'pn-cni-a-')), mkdtempSync(join(tmpdir(), 'pn-cni-b-'))];
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    writeFileSync(join(dirs[1], 'fake'), '#!/bin/sh\n');
    chmodSync(join(dirs[1], 'fake'), 0o755);
    writeFileSync(join(dirs[0], 'noexec'), '');

    it('takes the first CNI_PATH directory with an executable of that name', () => {
      expect(findPlugin('fake', `${dirs[0]}:${dirs[1]}`)).toBe(join(dirs[1], 'fake'));
    });
    it.each<[string, string, string | undefined, number]>([
      ['missing', 'nothere', undefined, 4],
      ['not executable', 'noexec', undefined, 4],
      ['a path, not a name', '../fake', undefined, 7],
    ])('refuses a plugin that is %s', (_n, type, _x, code) => {
      expect(failure(() => findPlugin(type, dirs.join(':')))).toMatchObject({ code });
    });
  });
});
