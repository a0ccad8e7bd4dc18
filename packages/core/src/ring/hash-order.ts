// Rows in increasing order of a 32-bit hash (ties in their given order), sorted only as far as they
// are read: the walk of a member over its partitions for the primaries (slot-state.ts), of which a
// search or a turn reads only the start, usually. The rows are first spread over about n / 4
// buckets by the top bits of their hash (a counting sort, stable), and each bucket is sorted when
// the reader first reaches it. A full radix sort of every walk cost about 30 ns per row (3 passes
// of 11 bits); this costs 12 to 20 ns per row when the first 50 rows are read (27 to 40 for all).

// Bound once (see mix-hash.ts: under Jest's vm sandbox every `Math` lookup is slow).
const clz32 = Math.clz32;

export class HashOrder {
  readonly length: number;
  private readonly rows: Int32Array;
  private readonly hash: Uint32Array;
  /** Bucket b is rows[start[b]] .. rows[start[b + 1] - 1]. */
  private readonly start: Int32Array;
  /** Rows before sortedEnd are in their final place; nextBucket is the first bucket not sorted. */
  private sortedEnd = 0;
  private nextBucket = 0;

  /** rows with hash[i] the hash of rows[i]; both are kept (not copied). */
  constructor(rows: Int32Array, hash: Uint32Array) {
    const n = (this.length = rows.length);
    // 2^bits buckets, bits = floor(log2(n / 4)) (0 for n < 8).
    const bits = n < 8 ? 0 : 29 - clz32(n);
    const shift = 32 - bits;
    const buckets = 1 << bits;
    const start = (this.start = new Int32Array(buckets + 1));
    const bucketOf = (h: number): number => (bits === 0 ? 0 : h >>> shift);
    for (let i = 0; i < n; i++) start[bucketOf(hash[i]) + 1]++;
    for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
    const next = start.slice(0, buckets);
    this.rows = new Int32Array(n);
    this.hash = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const at = next[bucketOf(hash[i])]++;
      this.rows[at] = rows[i];
      this.hash[at] = hash[i];
    }
  }

  /** The i-th row in hash order (0 <= i < length). */
  at(i: number): number {
    while (i >= this.sortedEnd) this.sortBucket();
    return this.rows[i];
  }

  /** Insertion sort of the next bucket (stable: a row moves only past larger hashes). */
  private sortBucket(): void {
    const { rows, hash } = this;
    const from = this.start[this.nextBucket];
    const to = this.start[++this.nextBucket];
    for (let i = from + 1; i < to; i++) {
      const r = rows[i];
      const h = hash[i];
      let j = i;
      for (; j > from && hash[j - 1] > h; j--) {
        rows[j] = rows[j - 1];
        hash[j] = hash[j - 1];
      }
      rows[j] = r;
      hash[j] = h;
    }
    this.sortedEnd = to;
  }
}
