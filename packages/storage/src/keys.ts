// Layout of the key spaces inside one engine. The first byte names the key space; data and hints
// carry the partition next (2 bytes, big-endian) so a partition is one contiguous range.
//
//   data         0x01 | partition u16 | user key bytes
//   legacyHints  0x02 | partition u16 | target node id (utf8) 0x00 | user key bytes
//   raftlog      0x03 | index u64
//   raftstate    0x04 | name (utf8)
//   meta         0x05 | name (utf8)
//   hints        0x06 | partition u16 | target node id length u8 | target node id | user key bytes
//
// Hints used to end the target id with a NUL, which an id holding a NUL would break. They moved to
// a length-prefixed layout under a key space byte of their own, so no key can be read in the wrong
// layout: HintStore.open() moves what a data directory still holds under 0x02 (legacyHints).
import { isValidNodeId } from '@ringkv/core';
import { allocBytes } from './byte-slab.js';
import type { KeyRange } from './engine.js';

export const KEYSPACES = { data: 0x01, legacyHints: 0x02, raftlog: 0x03, raftstate: 0x04, meta: 0x05, hints: 0x06 } as const;
export type Keyspace = keyof typeof KEYSPACES;
export const PARTITIONS_MAX = 0x10000;

const utf8 = new TextEncoder();

function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITIONS_MAX) {
    throw new RangeError(`partition ${partition} out of range 0..${PARTITIONS_MAX - 1}`);
  }
}

/** The prefix of one partition within a partitioned key space (data or hints). */
export function partitionPrefix(space: 'data' | 'hints', partition: number): Uint8Array {
  checkPartition(partition);
  return Uint8Array.of(KEYSPACES[space], partition >>> 8, partition & 0xff);
}

/** A request-lived key (from a shared slab, see allocBytes): copy it to keep it. */
export function dataKey(partition: number, userKey: Uint8Array): Uint8Array {
  checkPartition(partition);
  const out = allocBytes(3 + userKey.length);
  out[0] = KEYSPACES.data;
  out[1] = partition >>> 8;
  out[2] = partition & 0xff;
  out.set(userKey, 3);
  return out;
}

/** Splits a data key back into its partition and user key. */
export function parseDataKey(key: Uint8Array): { partition: number; userKey: Uint8Array } {
  if (key.length < 3 || key[0] !== KEYSPACES.data) throw new RangeError('not a data key');
  return { partition: (key[1] << 8) | key[2], userKey: key.subarray(3) };
}

export interface ParsedHintKey {
  partition: number;
  targetNode: string;
  userKey: Uint8Array;
}

const latin1 = new TextDecoder('latin1');

/** The key of a hint for targetNode, which must be a valid node id (RangeError otherwise). */
export function hintKey(partition: number, targetNode: string, userKey: Uint8Array): Uint8Array {
  // The pattern keeps ids to 1-63 ASCII characters: one byte each, and the length fits a byte.
  if (!isValidNodeId(targetNode)) throw new RangeError(`hint target ${JSON.stringify(targetNode)} is not a valid node id`);
  const out = new Uint8Array(4 + targetNode.length + userKey.length);
  out.set(partitionPrefix('hints', partition), 0);
  out[3] = targetNode.length;
  utf8.encodeInto(targetNode, out.subarray(4));
  out.set(userKey, 4 + targetNode.length);
  return out;
}

/** Splits a hint key; RangeError unless it is one and its target is a valid node id. */
export function parseHintKey(key: Uint8Array): ParsedHintKey {
  if (key.length < 5 || key[0] !== KEYSPACES.hints) throw new RangeError('not a hint key');
  const end = 4 + key[3];
  if (key.length < end) throw new RangeError('hint key shorter than its target id length');
  return { partition: (key[1] << 8) | key[2], targetNode: checkedTarget(key.subarray(4, end)), userKey: key.subarray(end) };
}

/**
 * Splits a hint key of the layout before the length prefix (target id ended by a NUL), for the
 * migration only. An id without a NUL (as the node-id pattern requires) ends at the first NUL, so
 * valid ids parse exactly; RangeError for anything else.
 */
export function parseLegacyHintKey(key: Uint8Array): ParsedHintKey {
  if (key.length < 4 || key[0] !== KEYSPACES.legacyHints) throw new RangeError('not a legacy hint key');
  const end = key.indexOf(0, 3);
  if (end < 0) throw new RangeError('legacy hint key without node terminator');
  return { partition: (key[1] << 8) | key[2], targetNode: checkedTarget(key.subarray(3, end)), userKey: key.subarray(end + 1) };
}

/** Ids are ASCII: a byte outside it decodes to a character the pattern refuses. */
function checkedTarget(bytes: Uint8Array): string {
  const id = latin1.decode(bytes);
  if (!isValidNodeId(id)) throw new RangeError(`hint key target ${JSON.stringify(id)} is not a valid node id`);
  return id;
}

export function raftLogKey(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`raft index ${index} invalid`);
  const out = new Uint8Array(9);
  out[0] = KEYSPACES.raftlog;
  new DataView(out.buffer).setBigUint64(1, BigInt(index));
  return out;
}

export function parseRaftLogKey(key: Uint8Array): number {
  if (key.length !== 9 || key[0] !== KEYSPACES.raftlog) throw new RangeError('not a raft log key');
  return Number(new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(1));
}

export function namedKey(space: 'raftstate' | 'meta', name: string): Uint8Array {
  const n = utf8.encode(name);
  const out = new Uint8Array(1 + n.length);
  out[0] = KEYSPACES[space];
  out.set(n, 1);
  return out;
}

/** The whole of one key space. */
export function keyspaceRange(space: Keyspace): KeyRange {
  return { gte: Uint8Array.of(KEYSPACES[space]), lt: Uint8Array.of(KEYSPACES[space] + 1) };
}

/** The whole of one partition within data or hints. */
export function partitionRange(space: 'data' | 'hints', partition: number): KeyRange {
  const gte = partitionPrefix(space, partition);
  const next = (KEYSPACES[space] << 16) + partition + 1;
  return { gte, lt: Uint8Array.of(next >>> 16, (next >>> 8) & 0xff, next & 0xff) };
}
