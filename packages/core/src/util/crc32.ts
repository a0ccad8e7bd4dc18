// CRC-32 (IEEE 802.3, as in zlib, gzip and PNG): reflected polynomial 0xEDB88320, initial value and
// final xor 0xFFFFFFFF. Table-driven, one byte at a time: fast enough for record checksums and free
// of dependencies, so core stays pure. It detects every single-bit and every burst error up to 32 bits.

const POLY_REFLECTED = 0xedb88320;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of data[start, end). Pass the previous result as `previous` to continue a checksum across
 * chunks: crc32(b, crc32(a)) === crc32(a ++ b), as zlib's crc32(crc, buf) does.
 */
export function crc32(data: Uint8Array, previous = 0, start = 0, end = data.length): number {
  let c = ~previous >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
