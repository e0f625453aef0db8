/** The pure model: IP parsing, interval sets, connection sets, selectors, IPAM, names, bitsets. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitset } from '../../src/model/bitset.js';
import { IntervalSet, type Interval } from '../../src/model/intervals.js';
import { formatIPv4, formatRange, IPV4_MAX, isIPv6, parseCidr, parseIPv4 } from '../../src/model/ip.js';
import { SequentialAllocator } from '../../src/model/ipam.js';
import { formatSelector, matchesSelector, selectorKey, type Labels, type Selector, type SelectorRequirement } from '../../src/model/labels.js';
import { fnv32a, generatedSuffix, podTemplateHash, stableJson } from '../../src/model/names.js';
import { ConnSet } from '../../src/policy/conns.js';

const ip = (text: string): number => {
  const v = parseIPv4(text);
  if (v === null) throw new Error(`bad test address ${text}`);
  return v;
};

describe('parseIPv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['10.1.2.3', 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 2 ** 8 + 3],
    ['192.168.0.1', 0xc0a80001],
    ['1.0.0.0', 2 ** 24],
  ])('%s -> %d', (text, want) => {
    expect(parseIPv4(text)).toBe(want);
  });

  it.each([
    '256.1.1.1',
    '1.1.1.256',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4', // leading zero
    '1.2.3.04',
    '00.0.0.0',
    '1.2.3.-4',
    '1..2.3',
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'a.b.c.d',
    '1.2.3.4/32',
    '0x1.2.3.4',
    '1e2.1.1.1',
  ])('rejects %j', (text) => {
    expect(parseIPv4(text)).toBeNull();
  });

  it('agrees with the plain definition on strings made of digits and dots', () => {
    // The definition, written the obvious way: four decimal octets 0-255, no leading zeros.
    const plain = (text: string): number | null => {
      const parts = text.split('.');
      if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return null;
      return parts.reduce((v, p) => v * 256 + Number(p), 0);
    };
    const text = fc.array(fc.constantFrom('0', '1', '2', '5', '9', '.', '25', '255', '256', '00', ' ', 'x', '-'), { maxLength: 12 }).map((a) => a.join(''));
    fc.assert(fc.property(fc.oneof(text, fc.string({ maxLength: 16 })), (t) => {
      expect(parseIPv4(t)).toBe(plain(t));
    }), { numRuns: 5000, seed: 3 });
  });
});

describe('formatIPv4', () => {
  it.each([
    [0, '0.0.0.0'],
    [0xffffffff, '255.255.255.255'],
    [0x0a010203, '10.1.2.3'],
    [0xc0a80001, '192.168.0.1'],
  ])('%d -> %s', (value, want) => {
    expect(formatIPv4(value)).toBe(want);
  });

  it.each(['0.0.0.0', '10.244.0.1', '172.18.0.255', '255.255.255.254'])('round-trips %s', (text) => {
    expect(formatIPv4(ip(text))).toBe(text);
  });

  it('formats ranges as np-guard does', () => {
    expect(formatRange(ip('10.0.0.0'), ip('10.0.0.255'))).toBe('10.0.0.0-10.0.0.255');
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', 8, '10.0.0.0', '10.255.255.255'],
    ['10.1.2.3/8', 8, '10.0.0.0', '10.255.255.255'], // host bits may be set
    ['0.0.0.0/0', 0, '0.0.0.0', '255.255.255.255'],
    ['192.168.1.77/32', 32, '192.168.1.77', '192.168.1.77'],
    ['192.168.1.77/31', 31, '192.168.1.76', '192.168.1.77'],
    ['172.16.0.0/12', 12, '172.16.0.0', '172.31.255.255'],
    ['203.0.113.128/25', 25, '203.0.113.128', '203.0.113.255'],
  ])('IPv4 %s', (text, prefix, start, end) => {
    const c = parseCidr(text);
    expect(c).not.toBeNull();
    expect(c).toMatchObject({ family: 4, text, prefix, start: ip(start), end: ip(end) });
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08', // leading zero in the prefix
    '10.0.0.0/',
    '10.0.0.0',
    '/8',
    '256.0.0.0/8',
    '010.0.0.0/8', // leading zero in the address
    '10.0.0/8',
    '10.0.0.0/8/9',
    '10.0.0.0/ 8',
    '10.0.0.0/a',
  ])('rejects IPv4 %j', (text) => {
    expect(parseCidr(text)).toBeNull();
  });

  it.each([
    ['2001:db8::/32', 32],
    ['::/0', 0],
    ['::1/128', 128],
    ['fe80::/10', 10],
    ['1:2:3:4:5:6:7:8/128', 128],
    ['::ffff:10.0.0.0/104', 104],
    ['2001:DB8:0:0:0:0:0:0/64', 64],
  ])('IPv6 %s', (text, prefix) => {
    expect(parseCidr(text)).toMatchObject({ family: 6, text, prefix });
  });

  it.each([
    '2001:db8::/129',
    '2001:db8:::/32',
    '2001:db8::1::/64',
    '1:2:3:4:5:6:7:8:9/64',
    '1:2:3:4:5:6:7/64', // too few groups without ::
    '1:2:3:4:5:6:7:8::/64', // :: with eight groups
    '2001:db8::g/64',
    '12345::/16',
    'fe80::1%eth0/64',
    '::ffff:256.0.0.0/104',
    '2001:db8::',
  ])('rejects IPv6 %j', (text) => {
    expect(parseCidr(text)).toBeNull();
  });

  it('isIPv6 needs a colon', () => {
    expect(isIPv6('1234')).toBe(false);
    expect(isIPv6('::')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

const set = (...ivs: [number, number][]) => IntervalSet.from(ivs.map(([start, end]) => ({ start, end })));
const list = (s: IntervalSet): [number, number][] => s.intervals.map((iv: Interval) => [iv.start, iv.end]);

describe('IntervalSet', () => {
  it.each<[string, [number, number][], [number, number][]]>([
    ['sorts', [[10, 20], [1, 2]], [[1, 2], [10, 20]]],
    ['merges overlapping', [[1, 5], [3, 9]], [[1, 9]]],
    ['merges adjacent', [[1, 5], [6, 9]], [[1, 9]]],
    ['keeps a gap of one', [[1, 5], [7, 9]], [[1, 5], [7, 9]]],
    ['merges contained', [[1, 10], [3, 4]], [[1, 10]]],
    ['drops empty intervals', [[5, 4], [1, 1]], [[1, 1]]],
  ])('from: %s', (_name, input, want) => {
    expect(list(set(...input))).toEqual(want);
  });

  it.each<[string, [number, number][], [number, number][], [number, number][]]>([
    ['disjoint', [[1, 2]], [[5, 6]], [[1, 2], [5, 6]]],
    ['adjacent', [[1, 4]], [[5, 6]], [[1, 6]]],
    ['bridging', [[1, 2], [8, 9]], [[3, 7]], [[1, 9]]],
    ['with empty', [[1, 2]], [], [[1, 2]]],
    ['empty with', [], [[1, 2]], [[1, 2]]],
  ])('union: %s', (_name, a, b, want) => {
    expect(list(set(...a).union(set(...b)))).toEqual(want);
    expect(list(set(...b).union(set(...a)))).toEqual(want);
  });

  it.each<[string, [number, number][], [number, number][], [number, number][]]>([
    ['hole in the middle', [[1, 10]], [[4, 6]], [[1, 3], [7, 10]]],
    ['left edge', [[1, 10]], [[0, 3]], [[4, 10]]],
    ['right edge', [[1, 10]], [[8, 20]], [[1, 7]]],
    ['everything', [[1, 10]], [[1, 10]], []],
    ['nothing', [[1, 10]], [[11, 20]], [[1, 10]]],
    ['several holes', [[0, 100]], [[10, 19], [50, 59], [100, 100]], [[0, 9], [20, 49], [60, 99]]],
    ['across intervals', [[1, 5], [10, 15]], [[4, 11]], [[1, 3], [12, 15]]],
    ['single points', [[5, 5]], [[5, 5]], []],
  ])('subtract: %s', (_name, a, b, want) => {
    expect(list(set(...a).subtract(set(...b)))).toEqual(want);
  });

  it.each<[string, [number, number][], [number, number][], [number, number][]]>([
    ['overlap', [[1, 10]], [[5, 20]], [[5, 10]]],
    ['disjoint', [[1, 4]], [[5, 20]], []],
    ['touching at a point', [[1, 5]], [[5, 9]], [[5, 5]]],
    ['several pieces', [[0, 10], [20, 30]], [[5, 25]], [[5, 10], [20, 25]]],
    ['contained', [[0, 100]], [[3, 4], [50, 60]], [[3, 4], [50, 60]]],
  ])('intersect: %s', (_name, a, b, want) => {
    expect(list(set(...a).intersect(set(...b)))).toEqual(want);
    expect(list(set(...b).intersect(set(...a)))).toEqual(want);
  });

  it.each<[string, [number, number][], number, number, boolean]>([
    ['inside one interval', [[1, 10]], 3, 7, true],
    ['the whole interval', [[1, 10]], 1, 10, true],
    ['a single point', [[1, 10]], 10, 10, true],
    ['past the end', [[1, 10]], 5, 11, false],
    ['before the start', [[1, 10]], 0, 5, false],
    ['across a gap', [[1, 5], [7, 10]], 4, 8, false],
    ['across merged adjacent intervals', [[1, 5], [6, 10]], 4, 8, true],
    ['in the gap', [[1, 5], [7, 10]], 6, 6, false],
    ['empty set', [], 1, 1, false],
  ])('covers: %s', (_name, a, start, end, want) => {
    expect(set(...a).covers(start, end)).toBe(want);
  });

  it('has', () => {
    const s = set([1, 3], [10, 10], [20, 30]);
    expect([0, 1, 3, 4, 9, 10, 11, 20, 25, 30, 31].map((v) => s.has(v))).toEqual([false, true, true, false, false, true, false, true, true, true, false]);
  });

  it('is immutable', () => {
    const a = set([1, 10]);
    a.subtract(set([3, 4]));
    a.union(set([20, 30]));
    expect(list(a)).toEqual([[1, 10]]);
  });

  it('equals', () => {
    expect(set([1, 5], [6, 9]).equals(set([1, 9]))).toBe(true);
    expect(set([1, 5]).equals(set([1, 6]))).toBe(false);
    expect(IntervalSet.EMPTY.equals(set())).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ConnSet', () => {
  const tcp = (a: number, b?: number) => ConnSet.ports('TCP', a, b);
  const udp = (a: number, b?: number) => ConnSet.ports('UDP', a, b);
  const sctp = (a: number, b?: number) => ConnSet.ports('SCTP', a, b);

  it.each<[string, ConnSet, string]>([
    ['ALL', ConnSet.ALL, 'All Connections'],
    ['every protocol, every port, built up', ConnSet.protocol('UDP').union(ConnSet.protocol('SCTP')).union(tcp(1, 65535)), 'All Connections'],
    ['NONE', ConnSet.NONE, 'No Connections'],
    ['one port', tcp(80), 'TCP 80'],
    ['a range', tcp(8080, 8081), 'TCP 8080-8081'],
    ['two protocols', tcp(8080, 8081).union(udp(9090)), 'TCP 8080-8081,UDP 9090'],
    ['protocols in alphabetical order', udp(9090).union(tcp(8080, 8081)).union(sctp(7070)), 'SCTP 7070,TCP 8080-8081,UDP 9090'],
    ['a protocol with every port is its bare name', ConnSet.protocol('UDP').union(tcp(80)), 'TCP 80,UDP'],
    ['every TCP port as a range', tcp(1, 65535), 'TCP'],
    ['adjacent ports merge', tcp(80).union(tcp(81)), 'TCP 80-81'],
    ['separate ports', tcp(443).union(tcp(80)), 'TCP 80,443'],
    ['ports and ranges', tcp(80).union(tcp(8000, 8010)).union(tcp(443)), 'TCP 80,443,8000-8010'],
    ['two bare protocols', ConnSet.protocol('SCTP').union(ConnSet.protocol('TCP')), 'SCTP,TCP'],
  ])('toString: %s', (_name, conns, want) => {
    expect(conns.toString()).toBe(want);
  });

  it('allows', () => {
    const c = tcp(80, 90).union(udp(53));
    expect([c.allows('TCP', 79), c.allows('TCP', 80), c.allows('TCP', 90), c.allows('TCP', 91), c.allows('UDP', 53), c.allows('TCP', 53), c.allows('SCTP', 80)]).toEqual([
      false, true, true, false, true, false, false,
    ]);
    expect(ConnSet.ALL.allows('SCTP', 65535)).toBe(true);
    expect(ConnSet.ALL.allows('TCP', 0)).toBe(false); // ports are 1-65535
    expect(ConnSet.NONE.allows('TCP', 80)).toBe(false);
  });

  it('intersect', () => {
    expect(tcp(80, 90).union(udp(53)).intersect(tcp(85, 100).union(ConnSet.protocol('SCTP'))).toString()).toBe('TCP 85-90');
    expect(tcp(80).intersect(udp(80)).isEmpty()).toBe(true);
    expect(ConnSet.ALL.intersect(udp(53)).toString()).toBe('UDP 53');
    expect(ConnSet.NONE.intersect(ConnSet.ALL).isEmpty()).toBe(true);
  });

  it('equals, isAll, isEmpty', () => {
    expect(tcp(80).union(tcp(81)).equals(tcp(80, 81))).toBe(true);
    expect(tcp(80).equals(udp(80))).toBe(false);
    expect(ConnSet.ALL.isAll()).toBe(true);
    expect(ConnSet.protocol('TCP').isAll()).toBe(false);
    expect(ConnSet.NONE.isEmpty()).toBe(true);
    expect(tcp(1).isEmpty()).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('matchesSelector', () => {
  const sel = (matchLabels: Labels, ...matchExpressions: SelectorRequirement[]): Selector => ({ matchLabels, matchExpressions });
  const req = (key: string, operator: SelectorRequirement['operator'], ...values: string[]): SelectorRequirement => ({ key, operator, values });
  const web = { app: 'web', tier: 'front' };
  const bare = {};

  it.each<[string, Selector, Labels, boolean]>([
    ['empty selects all', sel({}), web, true],
    ['empty selects unlabelled', sel({}), bare, true],
    ['matchLabels equal', sel({ app: 'web' }), web, true],
    ['matchLabels all entries', sel({ app: 'web', tier: 'front' }), web, true],
    ['matchLabels one entry differs', sel({ app: 'web', tier: 'back' }), web, false],
    ['matchLabels key missing', sel({ app: 'web' }), bare, false],
    ['matchLabels empty value vs missing key', sel({ app: '' }), bare, false],
    ['matchLabels empty value', sel({ app: '' }), { app: '' }, true],
    ['In: value listed', sel({}, req('app', 'In', 'db', 'web')), web, true],
    ['In: value not listed', sel({}, req('app', 'In', 'db')), web, false],
    ['In: key missing', sel({}, req('app', 'In', 'web')), bare, false],
    ['NotIn: value listed', sel({}, req('app', 'NotIn', 'web')), web, false],
    ['NotIn: value not listed', sel({}, req('app', 'NotIn', 'db')), web, true],
    ['NotIn: key missing matches', sel({}, req('app', 'NotIn', 'web')), bare, true],
    ['Exists: present', sel({}, req('tier', 'Exists')), web, true],
    ['Exists: missing', sel({}, req('tier', 'Exists')), bare, false],
    ['Exists: present with empty value', sel({}, req('tier', 'Exists')), { tier: '' }, true],
    ['DoesNotExist: missing', sel({}, req('tier', 'DoesNotExist')), bare, true],
    ['DoesNotExist: present', sel({}, req('tier', 'DoesNotExist')), web, false],
    ['matchLabels AND expressions: both hold', sel({ app: 'web' }, req('tier', 'In', 'front')), web, true],
    ['matchLabels AND expressions: expression fails', sel({ app: 'web' }, req('tier', 'NotIn', 'front')), web, false],
    ['matchLabels AND expressions: labels fail', sel({ app: 'db' }, req('tier', 'Exists')), web, false],
    ['expressions ANDed', sel({}, req('app', 'Exists'), req('tier', 'DoesNotExist')), web, false],
    ['inherited properties are not labels', sel({}, req('toString', 'Exists')), bare, false],
  ])('%s', (_name, selector, labels, want) => {
    expect(matchesSelector(selector, labels)).toBe(want);
  });

  it('formatSelector', () => {
    expect(formatSelector(sel({}))).toBe('{}');
    expect(formatSelector(sel({ app: 'web' }, req('tier', 'In', 'a', 'b'), req('x', 'NotIn', 'c'), req('y', 'Exists'), req('z', 'DoesNotExist')))).toBe(
      'app=web,tier in (a,b),x notin (c),y,!z',
    );
  });

  it('selectorKey: two selectors share a key exactly when they are written alike', () => {
    const word = fc.constantFrom('a', 'b', 'ab', 'a-b', 'x.y/z', '');
    const selArb = fc.record({
      matchLabels: fc.dictionary(fc.constantFrom('a', 'b', 'ab', 'x.y/z'), word, { maxKeys: 3 }),
      matchExpressions: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'ab'), operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist') as fc.Arbitrary<SelectorRequirement['operator']>, values: fc.array(word, { maxLength: 3 }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(selArb, selArb, (x, y) => {
        expect(selectorKey(x) === selectorKey(y)).toBe(JSON.stringify(x) === JSON.stringify(y));
      }),
      { numRuns: 2000, seed: 31 },
    );
    // Labels and expressions never run into each other.
    expect(selectorKey(sel({ a: 'b' }))).not.toBe(selectorKey(sel({}, req('a', 'In', 'b'))));
    expect(selectorKey(sel({}, req('a', 'In', 'b', 'c')))).not.toBe(selectorKey(sel({}, req('a', 'In', 'b'), req('c', 'Exists'))));
  });
});

// ---------------------------------------------------------------------------------------------

describe('SequentialAllocator', () => {
  const drain = (a: SequentialAllocator, max = 1000): string[] => {
    const out: string[] = [];
    for (let i = 0; i < max; i++) {
      const next = a.allocate();
      if (next === null) break;
      out.push(next);
    }
    return out;
  };

  it.each<[string, string, string[], string[]]>([
    ['skips network and broadcast', '10.0.0.0/29', [], ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']],
    ['skips used addresses', '10.0.0.0/29', ['10.0.0.1', '10.0.0.4', '192.168.0.1', 'junk'], ['10.0.0.2', '10.0.0.3', '10.0.0.5', '10.0.0.6']],
    ['host bits in the CIDR are ignored', '10.0.0.5/30', [], ['10.0.0.5', '10.0.0.6']],
    ['/31 uses both addresses', '10.0.0.0/31', [], ['10.0.0.0', '10.0.0.1']],
    ['/32 is its one address', '10.0.0.7/32', [], ['10.0.0.7']],
    ['crosses octets', '10.0.0.252/29', [], ['10.0.0.249', '10.0.0.250', '10.0.0.251', '10.0.0.252', '10.0.0.253', '10.0.0.254']],
  ])('%s', (_name, cidr, used, want) => {
    expect(drain(new SequentialAllocator(cidr, used))).toEqual(want);
  });

  it('returns null when exhausted, and keeps returning null', () => {
    const a = new SequentialAllocator('10.0.0.0/30');
    expect([a.allocate(), a.allocate(), a.allocate(), a.allocate()]).toEqual(['10.0.0.1', '10.0.0.2', null, null]);
  });

  it('is deterministic', () => {
    const run = () => drain(new SequentialAllocator('10.244.0.0/24', ['10.244.0.3']), 10);
    expect(run()).toEqual(run());
    expect(run()[0]).toBe('10.244.0.1');
    expect(run()[2]).toBe('10.244.0.4');
  });

  it.each(['10.0.0.0/33', 'nonsense', '2001:db8::/64', '10.0.0.0'])('rejects %j', (cidr) => {
    expect(() => new SequentialAllocator(cidr)).toThrow(/not an IPv4 CIDR/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('names', () => {
  const SAFE = /^[bcdfghjklmnpqrstvwxz2456789]+$/;

  it('fnv32a matches the reference FNV-1a values', () => {
    expect(fnv32a('')).toBe(0x811c9dc5);
    expect(fnv32a('a')).toBe(0xe40c292c);
    expect(fnv32a('foobar')).toBe(0xbf9cf968);
  });

  it('stableJson sorts keys at every level and drops undefined', () => {
    expect(stableJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":2,"f":1}]},"b":1}');
  });

  const templates: unknown[] = [
    {},
    { metadata: { labels: { app: 'web' } } },
    { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'postgres', ports: [{ containerPort: 5432 }] }] } },
  ];

  it.each(templates.map((t) => [JSON.stringify(t), t]))('podTemplateHash(%s) uses the safe alphabet only', (_name, t) => {
    const h = podTemplateHash(t);
    expect(h).toMatch(SAFE);
    expect(h.length).toBeGreaterThanOrEqual(1);
    expect(h.length).toBeLessThanOrEqual(10);
  });

  it('podTemplateHash is stable: same value, same hash, whatever the key order', () => {
    const a = { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const b = { spec: { containers: [{ image: 'nginx', name: 'c' }] }, metadata: { labels: { tier: 'front', app: 'web' } } };
    expect(podTemplateHash(a)).toBe(podTemplateHash(b));
    expect(podTemplateHash(a)).toBe(podTemplateHash(structuredClone(a)));
  });

  it('podTemplateHash tells different templates apart', () => {
    const hashes = new Set(templates.map(podTemplateHash));
    expect(hashes.size).toBe(templates.length);
  });

  it.each(['default/web-5579667cd6/0', 'default/web-5579667cd6/1', 'kube-system/ds/node-1', '', 'x'])('generatedSuffix(%j) is 5 safe characters, deterministic', (seed) => {
    const s = generatedSuffix(seed);
    expect(s).toHaveLength(5);
    expect(s).toMatch(SAFE);
    expect(generatedSuffix(seed)).toBe(s);
  });

  it('generatedSuffix differs across replicas', () => {
    const suffixes = new Set(Array.from({ length: 50 }, (_, i) => generatedSuffix(`ns/rs/${i}`)));
    expect(suffixes.size).toBe(50);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Bitset', () => {
  it.each([0, 1, 5, 31, 32, 33, 63, 64, 65, 100])('full(%i) has exactly n bits, 0..n-1', (n) => {
    const b = Bitset.full(n);
    expect([...b]).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(b.words).toHaveLength(Math.ceil(n / 32));
    expect(b.isEmpty()).toBe(n === 0);
  });

  it('iterates in ascending order, across words, including bit 31', () => {
    const b = new Bitset(100);
    for (const i of [70, 3, 31, 32, 0, 99, 63, 64]) b.set(i);
    expect([...b]).toEqual([0, 3, 31, 32, 63, 64, 70, 99]);
    expect(b.has(31)).toBe(true);
    expect(b.has(30)).toBe(false);
  });

  it('or, and, isEmpty', () => {
    const a = new Bitset(70);
    const b = new Bitset(70);
    [1, 31, 40].forEach((i) => a.set(i));
    [31, 40, 69].forEach((i) => b.set(i));
    const union = new Bitset(70).or(a).or(b);
    expect([...union]).toEqual([1, 31, 40, 69]);
    const inter = new Bitset(70).or(a).and(b);
    expect([...inter]).toEqual([31, 40]);
    expect(new Bitset(70).isEmpty()).toBe(true);
    expect(new Bitset(70).or(a).and(new Bitset(70)).isEmpty()).toBe(true);
  });

  it('set is idempotent', () => {
    const b = new Bitset(8);
    b.set(5);
    b.set(5);
    expect([...b]).toEqual([5]);
  });
});
