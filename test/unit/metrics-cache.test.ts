import { describe, expect, it } from 'vitest';
import { sharedResult } from '../../src/metrics/cache.js';

describe('sharedResult (GET /metrics reads nft at most once per period)', () => {
  it('concurrent and repeated reads within the period share one load; after it, a new one', async () => {
    let t = 0;
    let loads = 0;
    const get = sharedResult(async () => ++loads, 2_000, () => t);
    expect(await Promise.all(Array.from({ length: 10 }, get))).toEqual(Array(10).fill(1));
    t = 1_999;
    expect(await get()).toBe(1);
    t = 2_000;
    expect(await get()).toBe(2);
    expect(loads).toBe(2);
  });

  it('a failed load is not kept', async () => {
    let fail = true;
    const get = sharedResult(async () => {
      if (fail) throw new Error('nft failed');
      return 'ok';
    }, 60_000, () => 0);
    await expect(get()).rejects.toThrow('nft failed');
    fail = false;
    expect(await get()).toBe('ok');
  });
});
