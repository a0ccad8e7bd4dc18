// A storage key as a Map key of the record cache and the pipeline (one character per byte).
// String.fromCharCode over the bytes builds a flat one-byte string, so Map lookups need no
// flattening, in under half the time of a Buffer's latin1 decode (measured 180 against 390 ns;
// it runs once per read and write). Spreading a long array into arguments can overflow the stack:
// long keys take the decoder.
const MAX_SPREAD_BYTES = 4096;

export function storageId(storageKey: Uint8Array): string {
  if (storageKey.length <= MAX_SPREAD_BYTES) return String.fromCharCode.apply(null, storageKey as unknown as number[]);
  return Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength).toString('latin1');
}
