// The nftables transaction builder, derived names and the in-memory ruleset (the fake).
import { describe, expect, it } from 'vitest';
import { derivedName, endpointId, NAME_MAX, NFT_NAME_LIMIT, servicePortId } from '../../src/render/nft/names.js';
import { Ruleset } from '../../src/render/nft/ruleset.js';
import { NftError, Transaction, type NftObject, type Verb } from '../../src/render/nft/txn.js';

describe('Transaction', () => {
  it('renders each operation as one nft -f line', () => {
    const tx = new Transaction('ip', 't')
      .add({ kind: 'table', comment: 'c' })
      .add({ kind: 'chain', name: 'pre', type: 'nat', hook: 'prerouting', priority: -100 })
      .add({ kind: 'chain', name: 'x' })
      .add({ kind: 'rule', chain: 'pre', rule: 'jump x' })
      .add({ kind: 'set', name: 's', type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSeconds: 60 })
      .add({ kind: 'map', name: 'm', type: 'inet_proto . inet_service : verdict' })
      .add({ kind: 'element', map: 'm', key: ['tcp', '80'], value: 'goto x' })
      .delete({ kind: 'element', map: 'm', key: ['tcp', '80'], value: 'goto x' })
      .flush({ kind: 'chain', name: 'x' })
      .delete({ kind: 'set', name: 's', type: 'ipv4_addr' });
    expect(tx.toLines()).toBe(
      [
        'add table ip t { comment "c" ; }',
        'add chain ip t pre { type nat hook prerouting priority -100 ; policy accept ; }',
        'add chain ip t x',
        'add rule ip t pre jump x',
        'add set ip t s { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }',
        'add map ip t m { type inet_proto . inet_service : verdict ; }',
        'add element ip t m { tcp . 80 : goto x }',
        'delete element ip t m { tcp . 80 }',
        'flush chain ip t x',
        'delete set ip t s',
        '',
      ].join('\n'),
    );
    expect(tx.size).toBe(10);
  });

  it('renders the script compactly: a table block per run of adds, elements batched per set', () => {
    const tx = new Transaction('ip', 't')
      .add({ kind: 'table' })
      .delete({ kind: 'table' })
      .add({ kind: 'table', comment: 'c' })
      .add({ kind: 'chain', name: 'pre', type: 'nat', hook: 'prerouting', priority: -100 })
      .add({ kind: 'map', name: 'm', type: 'inet_proto . inet_service : verdict' })
      .add({ kind: 'rule', chain: 'pre', rule: 'jump x' }) // x is declared later in the block
      .add({ kind: 'chain', name: 'x' })
      .add({ kind: 'element', map: 'm', key: ['tcp', '80'], value: 'goto x' })
      .add({ kind: 'set', name: 's', type: 'ipv4_addr' })
      .add({ kind: 'element', set: 's', key: ['1.2.3.4'] })
      .add({ kind: 'chain', name: 'y' })
      .add({ kind: 'rule', chain: 'x', rule: 'ip saddr @s drop' })
      .add({ kind: 'element', map: 'm', key: ['udp', '53'], value: 'goto y' })
      .delete({ kind: 'element', map: 'm', key: ['tcp', '80'] })
      .delete({ kind: 'element', map: 'm', key: ['udp', '53'] })
      .delete({ kind: 'element', set: 's', key: ['1.2.3.4'] })
      .flush({ kind: 'chain', name: 'x' })
      .add({ kind: 'rule', chain: 'x', rule: 'accept' });
    expect(tx.toString()).toBe(
      [
        'add table ip t',
        'delete table ip t',
        'add table ip t { comment "c" ; }',
        'add map ip t m { type inet_proto . inet_service : verdict ; }',
        'add set ip t s { type ipv4_addr ; }',
        'table ip t {',
        'chain pre {',
        'type nat hook prerouting priority -100 ; policy accept ;',
        'jump x',
        '}',
        'chain x {',
        'ip saddr @s drop',
        '}',
        'chain y {',
        '}',
        '}',
        'add element ip t m { tcp . 80 : goto x, udp . 53 : goto y }',
        'add element ip t s { 1.2.3.4 }',
        'delete element ip t m { tcp . 80, udp . 53 }',
        'delete element ip t s { 1.2.3.4 }',
        'flush chain ip t x',
        'table ip t {',
        'chain x {',
        'accept',
        '}',
        '}',
        '',
      ].join('\n'),
    );
  });

  const invalid: [string, Verb, NftObject][] = [
    ['a bad chain name', 'add', { kind: 'chain', name: '1abc' }],
    ['a name over the kernel limit', 'add', { kind: 'chain', name: `c${'x'.repeat(NFT_NAME_LIMIT)}` }],
    ['half a base chain', 'add', { kind: 'chain', name: 'c', type: 'filter' }],
    ['a nat chain on forward', 'add', { kind: 'chain', name: 'c', type: 'nat', hook: 'forward', priority: 0 }],
    ['two rules in one', 'add', { kind: 'rule', chain: 'c', rule: 'accept ; drop' }],
    ['an empty rule', 'add', { kind: 'rule', chain: 'c', rule: ' ' }],
    ['flushing a rule', 'flush', { kind: 'rule', chain: 'c', rule: 'accept' }],
    ['deleting a rule', 'delete', { kind: 'rule', chain: 'c', rule: 'accept' }],
    ['a map element without value', 'add', { kind: 'element', map: 'm', key: ['tcp', '80'] }],
    ['a set element with a value', 'add', { kind: 'element', set: 's', key: ['1.2.3.4'], value: 'drop' }],
    ['an element in both', 'add', { kind: 'element', set: 's', map: 'm', key: ['x'] }],
    ['a key with a comma', 'add', { kind: 'element', set: 's', key: ['1.2.3.4, 5.6.7.8'] }],
    ['a map type without value type', 'add', { kind: 'map', name: 'm', type: 'ipv4_addr' }],
    ['a zero timeout', 'add', { kind: 'set', name: 's', type: 'ipv4_addr', timeoutSeconds: 0 }],
  ];
  it.each(invalid)('rejects %s at once, and the first error sticks', (_name, verb, obj) => {
    const tx = new Transaction('ip', 't').add({ kind: 'table' });
    tx[verb](obj).add({ kind: 'chain', name: 'later' });
    expect(tx.err).toBeInstanceOf(NftError);
    expect(tx.size).toBe(1);
    expect(() => tx.toString()).toThrow(NftError);
  });
});

describe('derivedName', () => {
  it('is stable and readable', () => {
    const id = servicePortId('default/web', 'TCP', 'http', 80);
    expect(id).toBe('default/web/tcp/http');
    expect(derivedName('svc-', id)).toBe(derivedName('svc-', id));
    expect(derivedName('svc-', id)).toMatch(/^svc-[A-Z2-7]{8}-default\/web\/tcp\/http$/);
    expect(derivedName('sep-', endpointId(id, 'fd00::1', 8080))).toMatch(/^sep-[A-Z2-7]{8}-default\/web\/tcp\/http__fd00..1\/8080$/);
    expect(servicePortId('a/b', 'UDP', '', 53)).toBe('a/b/udp/53');
  });

  it('stays under the cap and keeps long identities apart', () => {
    const long = `${'n'.repeat(63)}/${'s'.repeat(63)}/tcp/${'p'.repeat(63)}`;
    const a = derivedName('sep-', endpointId(long, '10.244.1.5', 8080));
    const b = derivedName('sep-', endpointId(long, '10.244.1.6', 8080));
    expect(a.length).toBeLessThanOrEqual(NAME_MAX);
    expect(a).toMatch(/\.\.\.$/);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z_.][A-Za-z0-9_./-]*$/);
  });

  it('hashes without collisions over 100,000 endpoint identities', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(derivedName('sep-', `x${i}`).slice(0, 12));
    expect(seen.size).toBe(100_000);
  });
});

describe('Ruleset (in-memory nft)', () => {
  const base = () => new Transaction('ip', 't').add({ kind: 'table' }).add({ kind: 'chain', name: 'a' }).add({ kind: 'chain', name: 'b' }).add({ kind: 'rule', chain: 'a', rule: 'goto b' });

  it('refuses what the kernel refuses, and applies transactions atomically', () => {
    const rs = new Ruleset();
    rs.apply(base());
    const before = rs.dump();
    const fails = [
      new Transaction('ip', 't').delete({ kind: 'chain', name: 'b' }), // still referenced
      new Transaction('ip', 't').delete({ kind: 'chain', name: 'a' }), // has rules
      new Transaction('ip', 't').add({ kind: 'rule', chain: 'a', rule: 'goto nowhere' }),
      new Transaction('ip', 't').add({ kind: 'rule', chain: 'a', rule: 'ip saddr @nope accept' }),
      new Transaction('ip', 't').add({ kind: 'chain', name: 'c' }).delete({ kind: 'chain', name: 'zz' }),
      new Transaction('ip', 'other').add({ kind: 'chain', name: 'c' }),
    ];
    for (const tx of fails) expect(() => rs.apply(tx)).toThrow(NftError);
    expect(rs.dump()).toBe(before);
    rs.apply(new Transaction('ip', 't').flush({ kind: 'chain', name: 'a' }).delete({ kind: 'chain', name: 'b' }));
    expect(rs.dump()).toBe('table ip t\n  chain a\n');
  });
});
