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

  /**
   * The transpose of a bit matrix given as rows (each `width` bits): `width` rows of
   * `rows.length` bits, with out[c].has(r) === rows[r].has(c). Works on 32×32 blocks of words.
   */
  static transpose(rows: readonly Bitset[], width: number): Bitset[] {
    const height = rows.length;
    const out = Array.from({ length: width }, () => new Bitset(height));
    const block = new Uint32Array(32);
    for (let rw = 0; rw < (height + 31) >>> 5; rw++) {
      for (let cw = 0; cw < (width + 31) >>> 5; cw++) {
        let any = 0;
        for (let k = 0; k < 32; k++) {
          const r = rw * 32 + k;
          any |= block[k] = r < height ? rows[r].words[cw] : 0;
        }
        if (any === 0) continue;
        transpose32(block);
        for (let k = 0; k < 32 && cw * 32 + k < width; k++) out[cw * 32 + k].words[rw] = block[k];
      }
    }
    return out;
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

  /** Removes the members of `other`. */
  andNot(other: Bitset): this {
    const w = this.words;
    const o = other.words;
    for (let k = 0; k < w.length; k++) w[k] &= ~o[k];
    return this;
  }

  clone(): Bitset {
    const b = new Bitset(this.size);
    b.words.set(this.words);
    return b;
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

/**
 * Transposes a 32×32 bit block in place (bit c of a[r] ↔ bit r of a[c]) by swapping ever
 * smaller off-diagonal sub-blocks: 16×16, then 8×8, … (Hacker's Delight, transpose32).
 */
function transpose32(a: Uint32Array): void {
  let m = 0x0000ffff;
  for (let j = 16; j !== 0; j >>>= 1, m = (m ^ (m << j)) >>> 0) {
    for (let k = 0; k < 32; k = ((k | j) + 1) & ~j) {
      const t = ((a[k] >>> j) ^ a[k | j]) & m;
      a[k] ^= t << j;
      a[k | j] ^= t;
    }
  }
}
