// Flow control of relayed output (src/apiserver/flow.ts): sources pause above the high mark and
// resume once what was handed to the transport is written out below the low mark.
import { describe, expect, it } from 'vitest';
import { Outflow } from '../../src/apiserver/flow.js';

function source() {
  const s = { paused: false, calls: [] as string[], pause: () => ((s.paused = true), s.calls.push('pause')), resume: () => ((s.paused = false), s.calls.push('resume')) };
  return s;
}

describe('Outflow', () => {
  it('pauses every source above the high mark, resumes them at the low mark, once each', () => {
    const a = source();
    const b = source();
    const flow = new Outflow([a, b, null], 100, 40);
    const w1 = flow.sent(60);
    expect(a.paused).toBe(false);
    const w2 = flow.sent(50); // 110 > 100
    expect([a.paused, b.paused, flow.isPaused]).toEqual([true, true, true]);
    const w3 = flow.sent(10);
    expect(a.calls).toEqual(['pause']);
    w1(); // 60 left: still above the low mark
    expect(a.paused).toBe(true);
    w2(); // 10
    expect([a.paused, b.paused]).toEqual([false, false]);
    w2(); // a second call counts nothing
    expect(flow.pending).toBe(10);
    w3();
    expect(flow.pending).toBe(0);
    expect(a.calls).toEqual(['pause', 'resume']);
  });
});
