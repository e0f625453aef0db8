/** An inclusive integer interval [start, end]. */
export interface Interval {
  start: number;
  end: number;
}

/**
 * A canonical set of integers kept as sorted, disjoint, non-adjacent intervals.
 * Immutable: every operation returns a new set.
 */
export class IntervalSet {
  private constructor(readonly intervals: readonly Interval[]) {}

  static readonly EMPTY = new IntervalSet([]);

  static of(start: number, end: number): IntervalSet {
    return start > end ? IntervalSet.EMPTY : new IntervalSet([{ start, end }]);
  }

  static from(list: Iterable<Interval>): IntervalSet {
    const sorted = [...list].filter((i) => i.start <= i.end).sort((a, b) => a.start - b.start);
    const out: Interval[] = [];
    for (const iv of sorted) {
      const last = out[out.length - 1];
      if (last && iv.start <= last.end + 1) last.end = Math.max(last.end, iv.end);
      else out.push({ start: iv.start, end: iv.end });
    }
    return new IntervalSet(out);
  }

  isEmpty(): boolean {
    return this.intervals.length === 0;
  }

  has(value: number): boolean {
    let lo = 0;
    let hi = this.intervals.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const iv = this.intervals[mid];
      if (value < iv.start) hi = mid - 1;
      else if (value > iv.end) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** True when every value of [start, end] is in the set. */
  covers(start: number, end: number): boolean {
    return this.intervals.some((iv) => iv.start <= start && end <= iv.end);
  }

  union(other: IntervalSet): IntervalSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return IntervalSet.from([...this.intervals, ...other.intervals]);
  }

  subtract(other: IntervalSet): IntervalSet {
    let current: Interval[] = this.intervals.map((i) => ({ ...i }));
    for (const cut of other.intervals) {
      const next: Interval[] = [];
      for (const iv of current) {
        if (cut.end < iv.start || cut.start > iv.end) {
          next.push(iv);
          continue;
        }
        if (iv.start < cut.start) next.push({ start: iv.start, end: cut.start - 1 });
        if (iv.end > cut.end) next.push({ start: cut.end + 1, end: iv.end });
      }
      current = next;
    }
    return new IntervalSet(current);
  }

  intersect(other: IntervalSet): IntervalSet {
    const out: Interval[] = [];
    let i = 0;
    let j = 0;
    const a = this.intervals;
    const b = other.intervals;
    while (i < a.length && j < b.length) {
      const start = Math.max(a[i].start, b[j].start);
      const end = Math.min(a[i].end, b[j].end);
      if (start <= end) out.push({ start, end });
      if (a[i].end < b[j].end) i++;
      else j++;
    }
    return new IntervalSet(out);
  }

  equals(other: IntervalSet): boolean {
    if (this.intervals.length !== other.intervals.length) return false;
    return this.intervals.every(
      (iv, k) => iv.start === other.intervals[k].start && iv.end === other.intervals[k].end,
    );
  }
}
