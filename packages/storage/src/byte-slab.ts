// Small, short-lived byte arrays (storage keys, encoded user keys) carved out of shared slabs.
// V8 keeps a typed array of 64 bytes or less on its own heap until something asks for its
// ArrayBuffer (a native call, `.buffer`, `subarray`); that request moves it off the heap at about
// the cost of a fresh off-heap allocation (~1.5 us measured), and a write path asks several times
// per key. A view into an 8 KiB slab is already off-heap and costs one small object (~50 ns), as
// Node's Buffer pool does. A view keeps its whole slab alive, so these are for bytes that live as
// long as a request, never for what a cache keeps.

const SLAB_BYTES = 8 * 1024;
/** Larger arrays get their own allocation: they would waste most of a slab. */
const MAX_SLAB_ALLOC = 512;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A Uint8Array of n zero bytes (a slab is never handed out twice). */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_SLAB_ALLOC) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  // Keep views 8-byte aligned, as Node's pool does (cheap DataView and word reads).
  used = (used + n + 7) & ~7;
  return out;
}
