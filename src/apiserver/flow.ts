/**
 * Flow control for a stream relayed to a slower peer (pure): bytes handed to the transport and
 * not yet written out are counted; above HIGH the sources pause, below LOW they resume. So a
 * command that writes faster than the client reads (`kubectl exec … cat big-file` into a slow
 * pipe) waits for it instead of filling the API server's memory.
 */
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export class Outflow {
  private inFlight = 0;
  private paused = false;

  constructor(private readonly sources: readonly (Pausable | null | undefined)[], private readonly high = HIGH_WATER, private readonly low = LOW_WATER) {}

  /** Bytes are handed to the transport: call `written` (once) when it has written them out. */
  sent(bytes: number): () => void {
    this.inFlight += bytes;
    if (!this.paused && this.inFlight > this.high) {
      this.paused = true;
      for (const s of this.sources) s?.pause();
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= bytes;
      if (this.paused && this.inFlight <= this.low) {
        this.paused = false;
        for (const s of this.sources) s?.resume();
      }
    };
  }

  get pending(): number {
    return this.inFlight;
  }

  get isPaused(): boolean {
    return this.paused;
  }
}
