// Probe verdicts and the probe matrix renderers (pure).
import { describe, expect, it } from 'vitest';
import { describeOutcome, formatProbeMatrixJson, formatProbeMatrixText, mismatches, type ProbeMatrixView } from '../../src/output/probe-format.js';
import { probeVerdict, reachable } from '../../src/probe/verdict.js';

describe('probeVerdict', () => {
  it.each([
    { code: 'ECONNREFUSED', verdict: 'refused', reachable: true },
    { code: 'EHOSTUNREACH', verdict: 'denied', reachable: false },
    { code: 'ENETUNREACH', verdict: 'denied', reachable: false },
    { code: 'EPERM', verdict: 'denied', reachable: false },
    { code: 'ETIMEDOUT', verdict: 'timeout', reachable: false },
    { code: 'EWHATEVER', verdict: 'error', reachable: false },
    { code: undefined, verdict: 'error', reachable: false },
  ])('$code → $verdict', ({ code, verdict, reachable: r }) => {
    expect(probeVerdict(code).verdict).toBe(verdict);
    expect(reachable(probeVerdict(code).verdict)).toBe(r);
  });
  it('an open connection is reachable', () => expect(reachable('open')).toBe(true));
});

const view: ProbeMatrixView = {
  pods: ['a/x', 'b/y'],
  port: 80,
  protocol: 'TCP',
  allowed: [
    [true, true],
    [false, true],
  ],
  expected: [
    [true, false],
    [false, true],
  ],
  outcomes: [
    [
      { verdict: 'open', ms: 1 },
      { verdict: 'refused', ms: 2 },
    ],
    [
      { verdict: 'denied', ms: 1, code: 'EHOSTUNREACH' },
      { verdict: 'open', ms: 1 },
    ],
  ],
};

describe('probe matrix output', () => {
  it('JSON has exactly the required fields', () => {
    expect(JSON.parse(formatProbeMatrixJson(view))).toEqual({ pods: ['a/x', 'b/y'], port: 80, protocol: 'TCP', allowed: view.allowed, expected: view.expected });
  });

  it('mismatches list the pairs where probe and analyzer differ', () => {
    expect(mismatches(view)).toEqual([{ from: 'a/x', to: 'b/y', allowed: true, outcome: { verdict: 'refused', ms: 2 } }]);
  });

  it('text marks mismatches and explains them', () => {
    const text = formatProbeMatrixText(view);
    expect(text).toContain('1  a/x Y !');
    expect(text).toContain('2  b/y . Y');
    expect(text).toContain('1 of 4 probes differ from the analyzer:');
    expect(text).toContain('a/x -> b/y: reached, port closed (2 ms), analyzer: denied');
    expect(text).not.toContain('\x1b[');
    expect(formatProbeMatrixText(view, true)).toContain('\x1b[1;31m!\x1b[0m');
  });

  it('all matching', () => {
    expect(formatProbeMatrixText({ ...view, expected: view.allowed })).toContain('All 4 probes match the analyzer.');
  });

  it.each([
    [{ verdict: 'open', ms: 3 } as const, 'connected (3 ms)'],
    [{ verdict: 'denied', ms: 1, code: 'EHOSTUNREACH' } as const, 'refused by policy (EHOSTUNREACH, 1 ms)'],
    [{ verdict: 'timeout', ms: 1500 } as const, 'no answer within 1500 ms'],
    [{ verdict: 'error', ms: 0, code: 'boom' } as const, 'probe failed: boom'],
  ])('describeOutcome %j', (o, text) => {
    expect(describeOutcome(o)).toBe(text);
  });
});
