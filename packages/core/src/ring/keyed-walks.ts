// Each column's keyed pseudo-random walk over the rows [0, 2^bits) of a slot problem, so that each
// member walks the partitions in its own scattered order. Each step (add, multiply by an odd number,
// xor-shift) is a bijection on bits-bit values, so the whole map is one and needs no memory. The
// keys of every column sit in one typed array and at() computes the walk inline, with no closure per
// column.
import { fmix32 } from './mix-hash.js';

// Bound once (see mix-hash.ts: under Jest's vm sandbox every `Math` lookup is slow).
const imul = Math.imul;

export class KeyedWalks {
  /** Per column: k1, k2 (offsets) and m1, m2 (odd multipliers). */
  private readonly keys: Int32Array;
  private readonly mask: number;
  private readonly shift: number;

  constructor(colKeys: ArrayLike<number>, bits: number) {
    // bits 0 (one row): mask 0, and every walk is [0].
    this.mask = bits >= 31 ? 0x7fffffff : (1 << bits) - 1;
    this.shift = bits >>> 1 > 1 ? bits >>> 1 : 1;
    this.keys = new Int32Array(colKeys.length * 4);
    for (let c = 0; c < colKeys.length; c++) {
      const k1 = fmix32(colKeys[c]);
      const k2 = fmix32(k1 ^ 0x5bd1e995);
      this.keys[4 * c] = k1;
      this.keys[4 * c + 1] = k2;
      this.keys[4 * c + 2] = k2 | 1;
      this.keys[4 * c + 3] = (k1 ^ 0x27d4eb2f) | 1;
    }
  }

  /** The i-th row of column c's walk. */
  at(c: number, i: number): number {
    const { keys, mask, shift } = this;
    let x = (i + keys[4 * c]) & mask;
    x = imul(x, keys[4 * c + 2]) & mask;
    x ^= x >>> shift;
    x = imul(x, keys[4 * c + 3]) & mask;
    x ^= x >>> shift;
    return (x + keys[4 * c + 1]) & mask;
  }
}
