import { describe, expect, it } from 'vitest';
import { decideVxlanChecksumOffload, parseKernelRelease } from '../../src/model/kernel.js';
import { offloadSetting } from '../../src/cli/up.js';

describe('parseKernelRelease (uname -r)', () => {
  it.each([
    ['6.18.44-fc-v1045', { major: 6, minor: 18, patch: 44 }],
    ['5.7', { major: 5, minor: 7, patch: 0 }],
    ['5.7.0', { major: 5, minor: 7, patch: 0 }],
    ['4.19.0-21-amd64', { major: 4, minor: 19, patch: 0 }],
    ['5.15.0-1034.38~20.04.1-azure', { major: 5, minor: 15, patch: 0 }],
    ['3.10.0-1127.8.2.el7.x86_64', { major: 3, minor: 10, patch: 0 }],
    ['5.10.0+', { major: 5, minor: 10, patch: 0 }],
    ['6.1-rc3', { major: 6, minor: 1, patch: 0 }],
    ['', undefined],
    ['linux', undefined],
    ['6', undefined],
    ['6.x.1', undefined],
    ['99999999999999999999.1', undefined],
  ])('%j → %j', (release, want) => {
    expect(parseKernelRelease(release)).toEqual(want);
  });
});

describe('decideVxlanChecksumOffload', () => {
  it.each([
    // auto: the kernel decides; the fix is in 5.7.
    ['auto', '6.18.44-fc-v1045', true],
    ['auto', '5.8.0-63-generic', true],
    ['auto', '5.7.0', true],
    ['auto', '5.7', true],
    ['auto', '5.6.19', false],
    ['auto', '5.4.41-1', false], // a stable backport is not detected: the safe side
    ['auto', '4.19.123', false],
    ['auto', '3.10.0-1127.el7.x86_64', false],
    ['auto', '10.0.0', true],
    ['auto', 'garbage', false],
    // Forced either way, whatever the kernel.
    ['on', '4.19.0', true],
    ['on', '6.18.44', true],
    ['off', '6.18.44', false],
    ['off', '4.19.0', false],
  ] as const)('%s on %s → %s', (setting, release, want) => {
    const d = decideVxlanChecksumOffload(setting, release);
    expect(d.offload).toBe(want);
    expect(d.reason).not.toBe('');
  });

  it('says why in the reason', () => {
    expect(decideVxlanChecksumOffload('auto', '5.4.0').reason).toMatch(/kernel 5\.4\.0 predates the Linux 5\.7 fix/);
    expect(decideVxlanChecksumOffload('off', '6.1.0').reason).toBe('--vxlan-checksum-offload=off');
  });
});

describe('up --vxlan-checksum-offload', () => {
  it.each([
    [undefined, 'auto'],
    [true, 'on'], // the bare flag, as before
    [false, 'off'], // --no-vxlan-checksum-offload
    ['on', 'on'],
    ['off', 'off'],
    ['auto', 'auto'],
  ] as const)('%j → %s', (value, want) => {
    expect(offloadSetting(value)).toBe(want);
  });

  it('refuses other values, naming the flag', () => {
    expect(() => offloadSetting('yes')).toThrow(/--vxlan-checksum-offload: "yes" is not one of auto, on, off/);
  });
});
