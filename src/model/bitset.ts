/** A fixed-size set of small integers, 32 per word; the analyzer's unit of work. */
export class Bitset {
  readonly words: Uint32Array;

  /** `words`: a view to use (of the right length, zeroed), e.g. from a Slab; else a new array. */
  constructor(readonly size: number, words?: Uint32Array) {
    this.words = words ?? allocWords((size + 31) >>> 5);
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
    const w = this.words;
    for (let k = 0; k < w.length; k++) if (w[k] !== 0) return false;
    return true;
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

/**
 * Zeroed word arrays carved from shared 64 KiB buffers: on this V8 a typed array of its own
 * costs ~2 µs to allocate (its ArrayBuffer's backing store), a view into a bigger one ~40 ns —
 * and the analyzer makes hundreds of thousands. A buffer is freed once no view of it is left.
 */
const CHUNK_WORDS = 16_384;
let chunk = new Uint32Array(0);
let chunkUsed = 0;

function allocWords(n: number): Uint32Array {
  if (n > CHUNK_WORDS / 4) return new Uint32Array(n);
  if (chunkUsed + n > chunk.length) {
    chunk = new Uint32Array(CHUNK_WORDS);
    chunkUsed = 0;
  }
  const out = chunk.subarray(chunkUsed, chunkUsed + n);
  chunkUsed += n;
  return out;
}

/**
 * Bitsets of one size carved from shared buffers, for code that makes thousands of short-lived
 * ones: a typed array of its own costs far more to allocate than a view into a bigger one.
 */
export class BitsetSlab {
  private buffer = new Uint32Array(0);
  private used = 0;
  private readonly wordsPer: number;
  private fullWords: Uint32Array | undefined;

  constructor(private readonly size: number, private readonly chunk = 256) {
    this.wordsPer = (size + 31) >>> 5;
  }

  empty(): Bitset {
    if (this.used + this.wordsPer > this.buffer.length) {
      this.buffer = new Uint32Array(this.wordsPer * this.chunk);
      this.used = 0;
    }
    const words = this.buffer.subarray(this.used, this.used + this.wordsPer);
    this.used += this.wordsPer;
    return new Bitset(this.size, words);
  }

  full(): Bitset {
    const b = this.empty();
    b.words.set((this.fullWords ??= Bitset.full(this.size).words));
    return b;
  }
}
