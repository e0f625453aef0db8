/** A fixed-size set of small integers, 32 per word; the analyzer's unit of work. */
export class Bitset {
  readonly words: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  static full(size: number): Bitset {
    const b = new Bitset(size);
    b.words.fill(0xffffffff);
    const extra = b.words.length * 32 - size;
    if (extra > 0) b.words[b.words.length - 1] = 0xffffffff >>> extra;
    return b;
  }

  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  or(other: Bitset): this {
    const w = this.words;
    const o = other.words;
    for (let k = 0; k < w.length; k++) w[k] |= o[k];
    return this;
  }

  and(other: Bitset): this {
    const w = this.words;
    const o = other.words;
    for (let k = 0; k < w.length; k++) w[k] &= o[k];
    return this;
  }

  isEmpty(): boolean {
    return this.words.every((w) => w === 0);
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let k = 0; k < this.words.length; k++) {
      let w = this.words[k];
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        yield k * 32 + bit;
        w &= w - 1;
      }
    }
  }
}
