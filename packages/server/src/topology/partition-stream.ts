// Moving a partition between nodes in chunks: the holder reads a chunk of its stored records in key
// order after a given key; the receiver applies them last-write-wins. Chunks are bounded in bytes,
// so a partition of any size moves in bounded memory, and the last key of a chunk is all a receiver
// needs to resume after a crash of either side.
import { decodeRecord } from '@ringkv/core';
import { dataKey, parseDataKey, partitionRange, type Engine } from '@ringkv/storage';
import type { ReplicaStore } from '../kv/replica-store.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody } from '../peer/transport.js';

export interface Chunk {
  /** [user key, stored record encoding] in key order. */
  entries: [Uint8Array, Uint8Array][];
  /** No entries after these. */
  done: boolean;
  bytes: number;
}

/** Reads up to maxBytes of a partition's entries after `after` (exclusive; absent = from the start). */
export async function readChunk(engine: Engine, partition: number, after: Uint8Array | undefined, maxBytes: number): Promise<Chunk> {
  const range = partitionRange('data', partition);
  const gte = after ? successor(dataKey(partition, after)) : range.gte;
  const entries: [Uint8Array, Uint8Array][] = [];
  let bytes = 0;
  let done = true;
  for await (const [key, value] of engine.iterate({ gte, lt: range.lt })) {
    if (bytes >= maxBytes) {
      done = false;
      break;
    }
    const { userKey } = parseDataKey(key);
    entries.push([userKey.slice(), value]);
    bytes += userKey.length + value.length;
  }
  return { entries, done, bytes };
}

/** Applies a chunk to the local replica (last write wins); resolves once every entry is stored. */
export async function applyChunk(store: ReplicaStore, partition: number, entries: [Uint8Array, Uint8Array][]): Promise<number> {
  await Promise.all(entries.map(([key, rec]) => store.apply(partition, new Uint8Array(key), decodeRecord(new Uint8Array(rec)))));
  return entries.length;
}

export function chunkReply(chunk: Chunk): PeerBody {
  return { type: PeerMessageType.StreamPartitionChunk, entries: chunk.entries, done: chunk.done };
}

function successor(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.length + 1);
  out.set(k);
  return out;
}
