import { describe, expect, it } from 'vitest';
import { withoutDynamicElements } from '../../src/monitor/table-guard.js';

describe('the nft guard fingerprint', () => {
  it('drops the elements of sets with a timeout (affinity), keeps every other element', () => {
    const ruleset = [
      'table ip podnet {',
      '\tset svc-affinity {',
      '\t\ttype ipv4_addr',
      '\t\tsize 65535',
      '\t\tflags dynamic,timeout',
      '\t\ttimeout 3h',
      '\t\telements = { 10.244.0.2 timeout 3h expires 2h59m,',
      '\t\t\t     10.244.0.3 timeout 3h expires 1h }',
      '\t}',
      '\tset egress {',
      '\t\ttype ipv4_addr',
      '\t\tflags interval',
      '\t\telements = { 10.0.0.0/8 }',
      '\t}',
      '}',
    ].join('\n');
    const out = withoutDynamicElements(ruleset);
    expect(out).not.toContain('10.244.0.2');
    expect(out).not.toContain('10.244.0.3');
    expect(out).toContain('elements = { 10.0.0.0/8 }');
    expect(out).toContain('flags dynamic,timeout');
  });
});
