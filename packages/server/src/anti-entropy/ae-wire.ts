// Bodies of the anti-entropy messages (their schemas are in protocol/peer-messages.ts). Hashes
// travel as 8 bytes each (big-endian), bucket lists as 4 bytes each, records in their storage
// encoding (which carries its own checksum), so nothing depends on how msgpack maps bigints or
// large arrays.
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ReplyOf, RequestOf } from '../protocol/peer-messages.js';

/** "Give me your hashes of these nodes of partition's tree" (the initiator descends top-down). */
export type MerkleLevelBody = RequestOf<typeof T.MerkleLevel>;
export type MerkleLevelReplyBody = ReplyOf<typeof T.MerkleLevel>;

/**
 * One step of the exchange of the differing buckets, over the key range (after, upTo] (null: from
 * the start / to the end of the partition): the initiator's entries of those buckets in the range,
 * and a request for the peer's entries of those buckets in the same range that the initiator lacks
 * or holds older. The reply's resumeAfter is set when the peer stopped early (the next step starts
 * after it); applied counts the initiator's entries that won on the peer.
 */
export type BucketEntriesBody = RequestOf<typeof T.BucketEntries>;
export type BucketEntriesReplyBody = ReplyOf<typeof T.BucketEntries>;

/** "Give me your root hashes of these partitions' trees" (a batch of rounds' first step). */
export type MerkleRootsBody = RequestOf<typeof T.MerkleRoots>;
export type MerkleRootsReplyBody = ReplyOf<typeof T.MerkleRoots>;

/** What a MerkleRoots reply says of each partition asked, one byte each. */
export const RootState = {
  /** The peer's tree is still being rebuilt. */
  NotReady: 0,
  /** The peer's tree is ready; its root hash is in the reply. */
  Ready: 1,
  /** One of the two is not a replica of the partition (for the peer, now). */
  NotReplica: 2,
} as const;

/** Partitions as 4 bytes each; unpacking checks the length and that each is below `partitions` (Q). */
export const packPartitions = packBuckets;

export function unpackPartitions(bytes: Uint8Array, partitions: number): number[] {
  if (bytes.length % 4 !== 0) throw new TypeError(`partition list of ${bytes.length} bytes, not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    const p = view.getUint32(i);
    if (p >= partitions) throw new TypeError(`partition ${p} outside 0..${partitions - 1}`);
    out.push(p);
  }
  return out;
}

export function packHashes(hashes: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(8 * hashes.length);
  const view = new DataView(out.buffer);
  hashes.forEach((h, i) => view.setBigUint64(8 * i, h));
  return out;
}

export function unpackHashes(bytes: Uint8Array, count: number): bigint[] {
  if (bytes.length !== 8 * count) throw new TypeError(`expected ${count} hashes, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => view.getBigUint64(8 * i));
}

export function packBuckets(buckets: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * buckets.length);
  const view = new DataView(out.buffer);
  buckets.forEach((b, i) => view.setUint32(4 * i, b));
  return out;
}

/** The bucket list (4 bytes per bucket, checked by the schema) as a membership table of `total` buckets. */
export function unpackBuckets(bytes: Uint8Array, total: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = new Uint8Array(total);
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const b = view.getUint32(i);
    if (b >= total) throw new TypeError(`bucket ${b} outside 0..${total - 1}`);
    table[b] = 1;
  }
  return table;
}

/** Node indexes of one tree level: each inside the level. */
export function checkIndexes(indexes: readonly number[], size: number): readonly number[] {
  if (indexes.length > size) throw new TypeError(`${indexes.length} indexes for a level of ${size}`);
  for (const i of indexes) if (i >= size) throw new TypeError(`index ${i} outside 0..${size - 1}`);
  return indexes;
}

/** Entry bytes of a message, as the byte budget and the metrics count them. */
export function entryBytes(keys: readonly Uint8Array[], records: readonly Uint8Array[]): number {
  let n = 0;
  for (let i = 0; i < keys.length; i++) n += keys[i].length + records[i].length;
  return n;
}
