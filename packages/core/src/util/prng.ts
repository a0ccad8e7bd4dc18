// A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna), seeded through a string hash
// and splitmix32 so that any seed, however similar to another, gives an unrelated stream.
// Core never uses ambient randomness; every random choice draws from one of these, passed in.
// fork(label) derives a child from the SEED (not from the current position), so the streams of
// existing nodes and components do not change when a new one forks or draws.

const TWO_POW_32 = 0x1_0000_0000;
/** Separates the parent seed from a fork label in the derived seed text. */
const FORK_SEPARATOR = '\u0000';

export class Prng {
  /** The text every stream of this generator derives from (the seed, then fork labels). */
  private seedText: string;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) {
      throw new TypeError(`Prng seed must be a finite number or a string, got ${seed}`);
    }
    this.seedText = typeof seed === 'number' ? `n:${seed}` : `s:${seed}`;
    this.reseed();
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** An integer in [lo, hiExclusive), without modulo bias. */
  int(lo: number, hiExclusive: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hiExclusive) || hiExclusive <= lo) {
      throw new TypeError(`Prng.int needs integers lo < hiExclusive, got [${lo}, ${hiExclusive})`);
    }
    const span = hiExclusive - lo;
    if (span > TWO_POW_32) {
      // Wide ranges: 53 bits from two draws; the bias is below 2^-20 for any safe-integer span.
      const x = (this.nextU32() >>> 11) * TWO_POW_32 + this.nextU32();
      return lo + (x % span);
    }
    // Rejection sampling: drop the top partial copy of [0, span) so every value is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let u = this.nextU32();
    while (u >= limit) u = this.nextU32();
    return lo + (u % span);
  }

  /** True with probability p (p <= 0 never, p >= 1 always). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new TypeError('Prng.pick from an empty array');
    return arr[this.int(0, arr.length)];
  }

  /** Shuffles arr in place (Fisher-Yates) and returns it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** The uniform [0, 1) source of a fork, for components that take a function. */
  forkedRandom(label: string): () => number {
    const forked = this.fork(label);
    return () => forked.next();
  }

  /** An independent stream derived from this generator's seed and the label (not its position). */
  fork(label: string): Prng {
    const child = new Prng(0);
    child.seedText = this.seedText + FORK_SEPARATOR + label;
    child.reseed();
    return child;
  }

  private reseed(): void {
    // Four differently seeded string hashes give 128 bits of seed; splitmix32 spreads each word.
    this.s0 = splitmix32(hashString(this.seedText, 0x9e3779b9));
    this.s1 = splitmix32(hashString(this.seedText, 0x85ebca6b));
    this.s2 = splitmix32(hashString(this.seedText, 0xc2b2ae35));
    this.s3 = splitmix32(hashString(this.seedText, 0x27d4eb2f));
    // xoshiro's one forbidden state is all zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** splitmix32's output function: a bijective mix of one 32-bit word. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** murmur3-style hash of a string's UTF-16 code units (deterministic, no encoder needed). */
function hashString(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
