// Small pure 32-bit hashes used for deterministic tie-breaks in the assignment (and, in
// keyed-walks.ts, its walk orders). They only need to be well spread and identical on every node;
// they are not part of the data path (keys use xxHash64).

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
  return fmix32((key ^ mixSalt(index)) >>> 0);
}

/** The part of mix32(key, index) that depends on index only: mix32(k, i) = fmix32((k ^ mixSalt(i)) >>> 0). */
export function mixSalt(index: number): number {
  return imul(index + 1, 0x9e3779b1);
}
