// What a Merkle leaf knows of one stored entry: its key, its timestamp and whether it is a
// tombstone. Two replicas agree on an entry exactly when these agree (the value and the expiry are
// fixed by the write that the timestamp names), so the value never needs hashing.
import type { Timestamp } from '../clock/timestamp.js';
import { hashBytes64, murmur32, wordsToBigint } from './hash64.js';

/** The part of a stored version that the tree hashes; a StoredRecord fits as it is. */
export interface EntryDigest {
  readonly ts: Timestamp;
  readonly tombstone: boolean;
}

/** One entry as rebuild() reads it from storage. */
export interface TreeEntry extends EntryDigest {
  readonly key: Uint8Array;
}

/** Bytes after the key: wallMs (6), logical (2), node (4), tombstone (1). */
const SUFFIX_BYTES = 13;

/**
 * The bytes an entry is hashed from, reused by one owner (a tree) for every entry it hashes: no
 * allocation per entry hashed, which is twice per write. Grows to the longest key seen.
 */
export interface HashScratch {
  bytes: Uint8Array;
}

export function newHashScratch(): HashScratch {
  return { bytes: new Uint8Array(64) };
}
/**
 * The bucket hash uses its own seed, unrelated to the key-to-partition hash (xxHash64 mod Q): were
 * both taken from one hash's low bits, every key of a partition would fall in Q-th of the buckets.
 */
const BUCKET_SEED = 0x3c6ef372;

/** The bucket of key among buckets (a power of two). */
export function bucketOfKey(key: Uint8Array, buckets: number): number {
  return murmur32(key, BUCKET_SEED) & (buckets - 1);
}

/**
 * The 64-bit hash of (key, ts, tombstone) as two words (high, low) written into out at offset.
 * The suffix has a fixed length, so the key/suffix boundary is unambiguous.
 */
export function entryHashInto(key: Uint8Array, entry: EntryDigest, out: Uint32Array, offset: number, scratch: HashScratch): void {
  const size = key.length + SUFFIX_BYTES;
  if (scratch.bytes.length < size) scratch.bytes = new Uint8Array(Math.max(size, 2 * scratch.bytes.length));
  const buf = scratch.bytes;
  buf.set(key, 0);
  let p = key.length;
  const { wallMs, logical, node } = entry.ts;
  const wallLo = wallMs % 0x1_0000_0000;
  const wallHi = Math.floor(wallMs / 0x1_0000_0000);
  buf[p++] = wallLo & 0xff;
  buf[p++] = (wallLo >>> 8) & 0xff;
  buf[p++] = (wallLo >>> 16) & 0xff;
  buf[p++] = (wallLo >>> 24) & 0xff;
  buf[p++] = wallHi & 0xff;
  buf[p++] = (wallHi >>> 8) & 0xff;
  buf[p++] = logical & 0xff;
  buf[p++] = (logical >>> 8) & 0xff;
  buf[p++] = node & 0xff;
  buf[p++] = (node >>> 8) & 0xff;
  buf[p++] = (node >>> 16) & 0xff;
  buf[p++] = (node >>> 24) & 0xff;
  buf[p] = entry.tombstone ? 1 : 0;
  hashBytes64(buf, out, offset, size);
}

/** The 64-bit hash of (key, ts, tombstone) as a bigint (for tests, logs and tools). */
export function entryHash(key: Uint8Array, entry: EntryDigest): bigint {
  const out = new Uint32Array(2);
  entryHashInto(key, entry, out, 0, newHashScratch());
  return wordsToBigint(out[0], out[1]);
}
