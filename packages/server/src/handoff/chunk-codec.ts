// A streamed chunk on the wire: its entries packed into one byte string, so its SHA-256 (the leaf
// of the stream's manifest, stream-manifest.ts) is taken over exactly the bytes that travel and
// the receiver hashes what it got in one call, without re-encoding anything. Each entry is
// [key length u32 BE][key][record length u32 BE][record encoding]. The packing arrives inside a
// schema-checked message as bytes of bounded length; unpackChunk then checks every length against
// the node's limits, that the packing is used up exactly, and that keys strictly ascend within
// (after, last]. A packing that fails any of it is refused whole: its hash matched, so the sender
// itself built it wrong.
import { compareBytes } from '@ringkv/core';
import { createHash } from 'node:crypto';

/** Bytes an entry adds to a packing besides its key and record. */
export const PACKED_ENTRY_OVERHEAD = 8;

export interface PackedEntryLimits {
  maxKeyBytes: number;
  /** Smallest and largest record encoding. */
  minRecordBytes: number;
  maxRecordBytes: number;
}

/** Packs entries (key order) into one byte string. */
export function packChunk(entries: readonly (readonly [Uint8Array, Uint8Array])[]): Uint8Array {
  let size = 0;
  for (const [k, v] of entries) size += PACKED_ENTRY_OVERHEAD + k.length + v.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [k, v] of entries) {
    out.writeUInt32BE(k.length, at);
    out.set(k, at + 4);
    at += 4 + k.length;
    out.writeUInt32BE(v.length, at);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  return out;
}

/** The leaf of a chunk in its stream's manifest: SHA-256 of its packing. */
export function chunkHash(packed: Uint8Array): Buffer {
  return createHash('sha256').update(packed).digest();
}

export class PackedChunkError extends Error {}

/**
 * The entries of a packing, as views of it (no copies): [key, record encoding]. Throws
 * PackedChunkError when a length is out of bounds, the packing is not used up exactly, or a key
 * is not after the one before (or after `after`, or past `last`).
 */
export function unpackChunk(packed: Uint8Array, limits: PackedEntryLimits, after: Uint8Array | undefined, last: Uint8Array): [Uint8Array, Uint8Array][] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const entries: [Uint8Array, Uint8Array][] = [];
  let prev = after;
  let at = 0;
  while (at < packed.length) {
    if (packed.length - at < PACKED_ENTRY_OVERHEAD) throw new PackedChunkError(`a truncated entry at byte ${at}`);
    const keyLen = view.getUint32(at);
    if (keyLen < 1 || keyLen > limits.maxKeyBytes || at + 4 + keyLen + 4 > packed.length) throw new PackedChunkError(`a key of ${keyLen} bytes at byte ${at}`);
    const key = packed.subarray(at + 4, at + 4 + keyLen);
    at += 4 + keyLen;
    const recLen = view.getUint32(at);
    if (recLen < limits.minRecordBytes || recLen > limits.maxRecordBytes || at + 4 + recLen > packed.length) throw new PackedChunkError(`a record of ${recLen} bytes at byte ${at}`);
    const record = packed.subarray(at + 4, at + 4 + recLen);
    at += 4 + recLen;
    if (prev !== undefined && compareBytes(key, prev) <= 0) throw new PackedChunkError('keys out of order');
    entries.push([key, record]);
    prev = key;
  }
  if (prev !== undefined && compareBytes(prev, last) > 0) throw new PackedChunkError('a key past the chunk\'s last key');
  return entries;
}
