// One set of positions [0, length) per column, with the next member after a position found in about
// length / 1024 + 1 word reads: a bitset plus a summary bitset of its non-empty words. The scan
// index of row-order-scan.ts asks them, per column, for the first row where a path can end and for
// the rows it may enter; scanning the rows for those made one join at Q=65536 (5 members in 2
// zones, 6033 augmenting paths) take 6 to 21 s, these sets about 6 ms.

// Bound once (see mix-hash.ts: under Jest's vm sandbox every `Math` lookup is slow).
const clz32 = Math.clz32;

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(w: number): number {
  return 31 - clz32(w & -w);
}

export class PositionSets {
  private readonly words: Uint32Array;
  private readonly summary: Uint32Array;
  private readonly wordBase: Int32Array;
  private readonly summaryBase: Int32Array;

  constructor(private readonly lengths: ArrayLike<number>) {
    const n = lengths.length;
    this.wordBase = new Int32Array(n + 1);
    this.summaryBase = new Int32Array(n + 1);
    for (let s = 0; s < n; s++) {
      const words = (lengths[s] + 31) >>> 5;
      this.wordBase[s + 1] = this.wordBase[s] + words;
      this.summaryBase[s + 1] = this.summaryBase[s] + ((words + 31) >>> 5);
    }
    this.words = new Uint32Array(this.wordBase[n]);
    this.summary = new Uint32Array(this.summaryBase[n]);
  }

  /** Set s becomes every position [0, length). */
  fill(s: number): void {
    for (let pos = 0; pos < this.lengths[s]; pos += 32) {
      const w = pos >>> 5;
      const n = this.lengths[s] - pos;
      this.words[this.wordBase[s] + w] = n >= 32 ? 0xffffffff : (1 << n) - 1;
      this.summary[this.summaryBase[s] + (w >>> 5)] |= 1 << (w & 31);
    }
  }

  add(s: number, pos: number): void {
    const w = pos >>> 5;
    this.words[this.wordBase[s] + w] |= 1 << (pos & 31);
    this.summary[this.summaryBase[s] + (w >>> 5)] |= 1 << (w & 31);
  }

  remove(s: number, pos: number): void {
    const w = pos >>> 5;
    const i = this.wordBase[s] + w;
    if ((this.words[i] &= ~(1 << (pos & 31))) === 0) this.summary[this.summaryBase[s] + (w >>> 5)] &= ~(1 << (w & 31));
  }

  /** The smallest position >= from in set s, or -1 if there is none. */
  next(s: number, from: number): number {
    if (from >= this.lengths[s]) return -1;
    const words = this.wordBase[s];
    let w = from >>> 5;
    const here = this.words[words + w] & (-1 << (from & 31));
    if (here !== 0) return (w << 5) + lowestBit(here);
    w++;
    const base = this.summaryBase[s];
    let j = w >>> 5;
    if (j >= this.summaryBase[s + 1] - base) return -1;
    let sw = this.summary[base + j] & (-1 << (w & 31));
    for (;;) {
      if (sw !== 0) {
        const at = (j << 5) + lowestBit(sw);
        return (at << 5) + lowestBit(this.words[words + at]);
      }
      if (++j >= this.summaryBase[s + 1] - base) return -1;
      sw = this.summary[base + j];
    }
  }
}
