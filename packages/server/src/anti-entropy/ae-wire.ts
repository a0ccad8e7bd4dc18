// Bodies of the anti-entropy messages and their checks. Hashes travel as 8 bytes each
// (big-endian), bucket lists as 4 bytes each, records in their storage encoding (which carries its
// own checksum), so nothing depends on how msgpack maps bigints or large arrays.
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody } from '../peer/transport.js';
import { toBytes } from '../replication/wire.js';

/** "Give me your hashes of these nodes of partition's tree" (the initiator descends top-down). */
export interface MerkleLevelBody extends PeerBody {
  type: typeof PeerMessageType.MerkleLevel;
  partition: number;
  /** The initiator's tree shape; a different shape is refused rather than compared. */
  buckets: number;
  fanout: number;
  depth: number;
  indexes: number[];
}

export interface MerkleLevelReplyBody extends PeerBody {
  type: typeof PeerMessageType.MerkleLevelReply;
  /** False while this replica's tree of the partition is still being rebuilt (or not held). */
  ready: boolean;
  hashes?: Uint8Array;
}

/**
 * One step of the exchange of the differing buckets, over the key range (after, upTo] (null: from
 * the start / to the end of the partition): the initiator's entries of those buckets in the range,
 * and a request for the peer's entries of those buckets in the same range that the initiator lacks
 * or holds older.
 */
export interface BucketEntriesBody extends PeerBody {
  type: typeof PeerMessageType.BucketEntries;
  partition: number;
  buckets: number;
  bucketList: Uint8Array;
  after: Uint8Array | null;
  upTo: Uint8Array | null;
  keys: Uint8Array[];
  records: Uint8Array[];
}

export interface BucketEntriesReplyBody extends PeerBody {
  type: typeof PeerMessageType.BucketEntriesReply;
  ready: boolean;
  keys: Uint8Array[];
  records: Uint8Array[];
  /** Set when the peer stopped early: the next step starts after this key. */
  resumeAfter: Uint8Array | null;
  /** How many of the initiator's entries won on the peer. */
  applied: number;
}

export function packHashes(hashes: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(8 * hashes.length);
  const view = new DataView(out.buffer);
  hashes.forEach((h, i) => view.setBigUint64(8 * i, h));
  return out;
}

export function unpackHashes(v: unknown, count: number): bigint[] {
  const bytes = toBytes(v, 'hashes');
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

/** The bucket list as a membership table of `total` buckets. */
export function unpackBuckets(v: unknown, total: number): Uint8Array {
  const bytes = toBytes(v, 'bucketList');
  if (bytes.length % 4 !== 0) throw new TypeError('bucketList must be 4 bytes per bucket');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = new Uint8Array(total);
  for (let i = 0; i < bytes.length; i += 4) {
    const b = view.getUint32(i);
    if (b >= total) throw new TypeError(`bucket ${b} outside 0..${total - 1}`);
    table[b] = 1;
  }
  return table;
}

export function checkIndexes(v: unknown, size: number): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > size) throw new TypeError('indexes must be a non-empty array');
  for (const i of v) if (!Number.isInteger(i) || i < 0 || i >= size) throw new TypeError(`index ${String(i)} outside 0..${size - 1}`);
  return v as number[];
}

export function optionalBytes(v: unknown, field: string): Uint8Array | null {
  return v === null || v === undefined ? null : toBytes(v, field);
}

/** Keys and records as two arrays of equal length. */
export function entryLists(body: PeerBody): { keys: Uint8Array[]; records: Uint8Array[] } {
  const { keys, records } = body;
  if (!Array.isArray(keys) || !Array.isArray(records) || keys.length !== records.length) {
    throw new TypeError('keys and records must be arrays of equal length');
  }
  return { keys: keys.map((k) => toBytes(k, 'key')), records: records.map((r) => toBytes(r, 'record')) };
}

/** Entry bytes of a message, as the byte budget and the metrics count them. */
export function entryBytes(keys: readonly Uint8Array[], records: readonly Uint8Array[]): number {
  let n = 0;
  for (let i = 0; i < keys.length; i++) n += keys[i].length + records[i].length;
  return n;
}
