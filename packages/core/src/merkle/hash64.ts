// Pure-JS 64-bit hashing for the Merkle trees: two murmur3 x86_32 lanes with different seeds, run
// in one pass. Core cannot use node:crypto, and xxhash-wasm needs an asynchronous start, so this
// stays in plain 32-bit integer arithmetic (Math.imul), which is far faster than BigInt.
// The lanes share murmur's structure but their internal states differ nonlinearly with the seed, so
// for keys that are not crafted against the seeds they behave as one 64-bit hash. Anti-entropy is
// not a security boundary: a crafted collision could only hide one divergence from one comparison.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
/** Seeds of the high and low lanes of the 64-bit hash. */
export const SEED_HI = 0x5bd1e995;
export const SEED_LO = 0x27d4eb2f;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 1 to 3 bytes of [from, end) after the last whole 4-byte block, little-endian. */
function tailWord(bytes: Uint8Array, from: number, end: number): number {
  let k = 0;
  for (let i = end - 1; i >= from; i--) k = (k << 8) | bytes[i];
  return k;
}

/** murmur3 x86_32 of bytes with one seed. */
export function murmur32(bytes: Uint8Array, seed: number): number {
  const n = bytes.length;
  const blocks = n & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h = mixH(h, mixK(k));
  }
  if (n & 3) h ^= mixK(tailWord(bytes, blocks, n));
  return fmix(h, n);
}

/** The 64-bit hash of the first n bytes, written as two 32-bit words (high, low) into out at offset. */
export function hashBytes64(bytes: Uint8Array, out: Uint32Array, offset: number, n = bytes.length): void {
  const blocks = n & ~3;
  let hi = SEED_HI;
  let lo = SEED_LO;
  for (let i = 0; i < blocks; i += 4) {
    const k = mixK(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    hi = mixH(hi, k);
    lo = mixH(lo, k);
  }
  if (n & 3) {
    const k = mixK(tailWord(bytes, blocks, n));
    hi ^= k;
    lo ^= k;
  }
  out[offset] = fmix(hi, n);
  out[offset + 1] = fmix(lo, n);
}

/** The 64-bit hash of count 32-bit words of src from start, written into out at offset. */
export function hashWords64(src: Uint32Array, start: number, count: number, out: Uint32Array, offset: number): void {
  let hi = SEED_HI;
  let lo = SEED_LO;
  for (let i = start; i < start + count; i++) {
    const k = mixK(src[i]);
    hi = mixH(hi, k);
    lo = mixH(lo, k);
  }
  out[offset] = fmix(hi, count * 4);
  out[offset + 1] = fmix(lo, count * 4);
}

/** Two 32-bit words (high, low) as one unsigned 64-bit bigint, for the public API and the wire. */
export function wordsToBigint(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
