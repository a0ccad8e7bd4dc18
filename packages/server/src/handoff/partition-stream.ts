// Moving a partition between nodes in chunks: the holder reads a chunk of its stored records in key
// order after a given key; the receiver applies them last-write-wins. Chunks are bounded in bytes,
// so a partition of any size moves in bounded memory, and the last key of a chunk is all a receiver
// needs to resume after a crash of either side. Each received entry is checked on its own: a
// record that fails to decode, belongs to another partition or is stamped from the future is
// skipped (counted), the rest of the chunk applies.
import { decodeRecord, partitionOf, type StoredRecord } from '@ringkv/core';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ReplyOf } from '../protocol/peer-messages.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import { READ_BATCH_BYTES } from './stream-source.js';

export interface Chunk {
  /** [user key, stored record encoding] in key order. */
  entries: [Uint8Array, Uint8Array][];
  /** No entries after these. */
  done: boolean;
  bytes: number;
}

/**
 * Reads up to maxBytes of a partition's entries after `after` (exclusive; absent = from the
 * start). The chunk stops before the entry that would pass maxBytes (one entry always goes).
 */
export async function readChunk(reader: PartitionReader, partition: number, after: Uint8Array | undefined, maxBytes: number): Promise<Chunk> {
  const entries: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  for await (const batch of reader.batches(partition, after ?? null, null, Math.min(maxBytes, READ_BATCH_BYTES))) {
    for (const [key, value] of batch) {
      const size = key.length + value.length;
      // Returning ends the engine iteration.
      if (entries.length > 0 && bytes + size > maxBytes) return { entries, done: false, bytes };
      entries.push([key.slice(), value]);
      bytes += size;
    }
  }
  return { entries, done: true, bytes };
}

export interface ApplyChunkDeps {
  store: ReplicaStore;
  admission: RecordAdmission;
  /** Partitions of the cluster (a key must hash to the partition it came with). */
  partitions: number;
  /** Told of an entry that failed to decode or to belong. */
  onBadEntry?: (from: string, why: string) => void;
}

/** Applies a chunk to the local replica (last write wins); resolves with the entries stored. */
export async function applyChunk(deps: ApplyChunkDeps, partition: number, entries: readonly (readonly [Uint8Array, Uint8Array])[], from: string): Promise<number> {
  const applies: Promise<unknown>[] = [];
  for (const [key, rec] of entries) {
    let record: StoredRecord;
    try {
      record = decodeRecord(rec);
    } catch (err) {
      deps.onBadEntry?.(from, `undecodable record: ${(err as Error).message}`);
      continue;
    }
    if (partitionOf(key, deps.partitions) !== partition) {
      deps.onBadEntry?.(from, `a key of partition ${partitionOf(key, deps.partitions)} in a chunk of ${partition}`);
      continue;
    }
    if (!deps.admission.admits(record, 'stream', from)) continue;
    // Each key and record arrived as bytes of their own (msgpackr copyBuffers): the store may keep them.
    applies.push(deps.store.apply(partition, key, record));
  }
  await Promise.all(applies);
  return applies.length;
}

export function chunkReply(chunk: Chunk): ReplyOf<typeof T.StreamPartition> {
  return { type: T.StreamPartitionChunk, entries: chunk.entries, done: chunk.done };
}
