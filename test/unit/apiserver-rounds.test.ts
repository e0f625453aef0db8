/** When the API's door reconciles the lab (src/apiserver/rounds.ts), on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Rounds } from '../../src/apiserver/rounds.js';

const QUIET = 100;
const MAX_WAIT = 1_000;

/** Rounds of `cost` ms each; what each took: the writes waiting when it started. */
function harness(cost: number) {
  const taken: number[][] = [];
  let waiting: number[] = [];
  const starts: number[] = [];
  const rounds = new Rounds(
    async () => {
      starts.push(Date.now());
      taken.push(waiting);
      waiting = [];
      await new Promise((r) => setTimeout(r, cost));
    },
    QUIET,
    MAX_WAIT,
  );
  const write = (id: number) => {
    waiting.push(id);
    rounds.poke();
  };
  return { rounds, taken, starts, write, waiting: () => waiting };
}

describe('Rounds', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('one write: a round once writes have paused for the quiet time', async () => {
    const h = harness(50);
    h.write(1);
    await vi.advanceTimersByTimeAsync(QUIET - 1);
    expect(h.taken).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.taken).toEqual([[1]]);
    expect(h.starts).toEqual([QUIET]);
  });

  it('a stream of writes costs one round per max wait, not one per handful of writes', async () => {
    const h = harness(150);
    for (let i = 0; i < 300; i++) {
      h.write(i);
      await vi.advanceTimersByTimeAsync(10); // a write every 10 ms for 3 s
    }
    await vi.advanceTimersByTimeAsync(MAX_WAIT + 500);
    expect(h.taken.flat()).toEqual([...Array(300).keys()]); // every write, once, in order
    expect(h.waiting()).toEqual([]);
    // Rounds at 1 s, then 1 s after the first write that arrived during it, then the rest once quiet.
    expect(h.taken.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < h.starts.length; i++) expect(h.starts[i] - h.starts[i - 1]).toBeGreaterThanOrEqual(MAX_WAIT);
  });

  it('a write during a round gets a round after it, after its own quiet time', async () => {
    const h = harness(200);
    h.write(1);
    await vi.advanceTimersByTimeAsync(QUIET + 50); // the round for 1 runs until 300
    h.write(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.taken).toEqual([[1], [2]]);
    // 2 arrived at 150, so its quiet time is over when the first round ends at 300: due at once
    // (a timer of 0 ms fires after 1).
    expect(h.starts[0]).toBe(QUIET);
    expect(h.starts[1] - (QUIET + 200)).toBeOneOf([0, 1]);
  });

  it('now() during a round runs another one right after it, without waiting', async () => {
    const h = harness(200);
    void h.rounds.now();
    await vi.advanceTimersByTimeAsync(10);
    void h.rounds.now(); // a retry or a restart while a round runs
    await vi.advanceTimersByTimeAsync(400);
    expect(h.starts[0]).toBe(0);
    expect(h.starts[1] - 200).toBeOneOf([0, 1]);
  });
});
