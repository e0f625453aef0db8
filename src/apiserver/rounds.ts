/**
 * When the lab's door reconciles: one round at a time, started once writes pause for `quietMs`,
 * or `maxWaitMs` after the first write that no round has taken yet. Writes that arrive during a
 * round wait for a round scheduled the same way after it, not one started the moment it ends: a
 * round costs the lab's whole reconcile (about 100 ms of this process at 600 objects), so a
 * stream of writes (kubectl apply -f of many objects) must cost a few rounds, not one per
 * handful of writes competing with the writes themselves.
 */
export class Rounds {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** When the first write not taken by a round arrived, and the last one. */
  private first: number | null = null;
  private last = 0;

  constructor(
    /** One round: takes every write waiting when it starts; handles its own failures (never rejects). */
    private readonly round: () => Promise<void>,
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
  ) {}

  /** A write is waiting for a round. */
  poke(): void {
    const now = Date.now();
    this.first ??= now;
    this.last = now;
    if (!this.running) this.arm();
  }

  /** A round now, or right after the one running (a restart, a retry). */
  async now(): Promise<void> {
    this.clear();
    if (this.running) {
      this.first ??= Date.now();
      this.last = 0; // no quiet to wait for
      return;
    }
    this.running = true;
    this.first = null;
    try {
      await this.round();
    } finally {
      this.running = false;
      if (this.first !== null) this.arm();
    }
  }

  private arm(): void {
    this.clear();
    const due = Math.min(this.last + this.quietMs, (this.first ?? Date.now()) + this.maxWaitMs);
    this.timer = setTimeout(() => void this.now(), Math.max(0, due - Date.now()));
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
