// TEST-ONLY REFERENCE: src/ring/mix-hash.ts as of commit 5995f2d (ring algorithm version 1), kept verbatim below
// this line so assignment.reference.test.ts can check the optimised src gives exactly the same output.
// Small pure 32-bit hashes used for deterministic tie-breaks in the assignment. They only need to be
// well spread and identical on every node; they are not part of the data path (keys use xxHash64).

// Bound once: under Jest's vm sandbox every `Math` lookup goes through the context's global
// interceptor and costs about a microsecond, which made these hot loops 50x slower in tests.
const imul = Math.imul;

/** FNV-1a over the UTF-16 code units of s: a stable 32-bit key per member or zone id. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finalizer: a bijective avalanche of a 32-bit value. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit score of the pair (key, index), e.g. (member key, partition): the stable tie-break. */
export function mix32(key: number, index: number): number {
  return fmix32((key ^ imul(index + 1, 0x9e3779b1)) >>> 0);
}

/** A keyed permutation of [0, 2^bits): walk(i) is the i-th element. */
export type Permutation = (i: number) => number;

/**
 * A keyed pseudo-random permutation of [0, 2^bits). Each step (add, multiply by an odd number,
 * xor-shift) is a bijection on `bits`-bit values, so the whole map is one, and it needs no memory:
 * each member walks the partitions in its own scattered order.
 */
export function permutation(key: number, bits: number): Permutation {
  if (bits === 0) return () => 0;
  const mask = bits >= 31 ? 0x7fffffff : (1 << bits) - 1;
  const shift = Math.max(1, bits >>> 1);
  const k1 = fmix32(key);
  const k2 = fmix32(k1 ^ 0x5bd1e995);
  const m1 = k2 | 1;
  const m2 = (k1 ^ 0x27d4eb2f) | 1;
  return (i) => {
    let x = (i + k1) & mask;
    x = imul(x, m1) & mask;
    x ^= x >>> shift;
    x = imul(x, m2) & mask;
    x ^= x >>> shift;
    return (x + k2) & mask;
  };
}
