import { describe, expect, it } from 'vitest';
import { normalizeTarget } from '../../src/ingress/normalize.js';

describe('request-target normalization (RFC 3986 §5.2.4, §6.2.2; nginx merge_slashes)', () => {
  it.each([
    ['/public/../admin', '/admin'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/a/./b/', '/a/b/'],
    ['/a/..', '/'],
    ['/../../etc', '/etc'],
    ['/%61dmin', '/admin'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['//a///b', '/a/b'],
    ['/x?next=/../y', '/x?next=/../y'],
    ['http://shop.test/a/../b?q', '/b?q'],
    ['/a#frag', '/a'],
    ['*', '*'],
  ])('%s → %s', (input, want) => expect(normalizeTarget(input)).toBe(want));
});
