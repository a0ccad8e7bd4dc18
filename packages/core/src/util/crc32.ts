// CRC-32 (IEEE 802.3, as in zlib, gzip and PNG): reflected polynomial 0xEDB88320, initial value and
// final xor 0xFFFFFFFF. Every stored record is checksummed on write and on read, so this is on the
// hot path of every PUT: slicing-by-8 (Intel's method, as zlib's braided CRC) takes eight bytes per
// step through eight 256-entry tables, about three times the speed of one byte at a time, and stays
// free of dependencies, so core stays pure. It detects every single-bit and every burst error up
// to 32 bits.

const POLY_REFLECTED = 0xedb88320;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes; TABLES[0] is the classic table. */
const TABLES: Uint32Array[] = (() => {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY_REFLECTED ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1];
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (t0[prev[n] & 0xff] ^ (prev[n] >>> 8)) >>> 0;
    tables.push(t);
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

/**
 * CRC-32 of data[start, end). Pass the previous result as `previous` to continue a checksum across
 * chunks: crc32(b, crc32(a)) === crc32(a ++ b), as zlib's crc32(crc, buf) does.
 */
export function crc32(data: Uint8Array, previous = 0, start = 0, end = data.length): number {
  let c = ~previous;
  let i = start;
  for (const last8 = end - 8; i <= last8; i += 8) {
    const lo = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    c = T7[lo & 0xff] ^ T6[(lo >>> 8) & 0xff] ^ T5[(lo >>> 16) & 0xff] ^ T4[lo >>> 24]
      ^ T3[data[i + 4]] ^ T2[data[i + 5]] ^ T1[data[i + 6]] ^ T0[data[i + 7]];
  }
  for (; i < end; i++) c = T0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
