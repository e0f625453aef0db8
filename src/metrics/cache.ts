/**
 * One result for many readers (pure: the clock is a parameter): GET /metrics reads the nodes'
 * nft tables at most once per `ttlMs`, and scrapes that arrive while a read runs share it —
 * a scraper polling fast, or many at once, no longer spawn `nft` per request.
 */
export function sharedResult<T>(load: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last && now() - last.at < ttlMs) return last.value;
    const value = load();
    const entry = { at: now(), value };
    last = entry;
    // A failed read is not kept: the next request tries again.
    value.catch(() => {
      if (last === entry) last = undefined;
    });
    return value;
  };
}
