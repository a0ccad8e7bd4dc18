// One batch of the apply pipeline, from queued applies to engine ops: each key's record before
// the batch (the newest unwritten batch's winner, else the cache's, else the engine's), core's
// chooseBatchWinners, and the put or delete of every key whose winner changed.
import { chooseBatchWinners, encodeRecord, type BatchApply, type BatchApplyOutcome, type StoredRecord } from '@ringkv/core';
import { allocBytes, type BatchOp, type Engine } from '@ringkv/storage';
import type { BulkCallback, BulkChunk, BulkResult } from './bulk-guard.js';
import type { RecordCache } from './record-cache.js';
import { decodeStored, type CorruptRecordListener } from './stored-record.js';

/** Told once how an apply ended: an error (never undefined), or undefined and its outcome. */
export type ApplyCallback = (err: unknown, outcome?: BatchApplyOutcome) => void;

/** An apply waiting in the queue. */
export interface Pending extends BatchApply {
  partition: number;
  key: Uint8Array;
  storageKey: Uint8Array;
  /** What it holds of maxQueueBytes, released when it settles. */
  bytes: number;
  done: ApplyCallback;
  /** A streamed chunk (its own batch); the fields above are its first entry's. */
  chunk?: QueuedChunk;
}

export interface QueuedChunk extends BulkChunk {
  done: BulkCallback;
}

/** One key of a prepared batch: its record before the batch and the batch's winner. */
export interface Slot {
  /** The storage key's id (storageId): the slot's key in Prepared.slots. */
  id: string;
  partition: number;
  key: Uint8Array;
  storageKey: Uint8Array;
  before: StoredRecord | undefined;
  winner: StoredRecord | undefined;
}

export interface Prepared {
  batch: Pending[];
  outcomes: BatchApplyOutcome[];
  ops: BatchOp[];
  /** Every key of the batch by id (changed or not): later preparations read winners here. */
  slots: Map<string, Slot>;
  /** A streamed chunk's batch: whether it went in bulk, and how many records it stored. */
  chunk?: BulkResult;
}

export interface PrepareDeps {
  engine: Pick<Engine, 'getMany'>;
  cache: RecordCache;
  onCorrupt?: CorruptRecordListener;
}

/**
 * Prepares a batch on top of the batches prepared but not yet written (oldest first). Each key's
 * record before it is taken before the await and kept: only one batch is prepared at a time, so
 * none joins `unwritten` meanwhile, and a batch written meanwhile changes only keys it holds,
 * which are taken from it here.
 */
export async function prepareApplies(deps: PrepareDeps, unwritten: readonly Prepared[], batch: Pending[]): Promise<Prepared> {
  const slots = new Map<string, Slot>();
  for (const p of batch) {
    if (!slots.has(p.id)) slots.set(p.id, { id: p.id, partition: p.partition, key: p.key, storageKey: p.storageKey, before: undefined, winner: undefined });
  }
  // Iterated by values() with the id in the slot: entries() would allocate a pair per key.
  const fromDisk: Slot[] = [];
  for (const slot of slots.values()) {
    const pending = unwritten.length > 0 ? unwrittenSlot(unwritten, slot.id) : undefined;
    if (pending !== undefined) {
      slot.before = pending.winner;
      continue;
    }
    const cached = deps.cache.lookup(slot.id);
    if (cached === undefined) fromDisk.push(slot);
    else slot.before = cached ?? undefined;
  }
  if (fromDisk.length > 0) {
    const stored = await deps.engine.getMany(fromDisk.map((slot) => slot.storageKey));
    // Undecodable: absent, so the batch goes on and the winner replaces the bad bytes.
    fromDisk.forEach((slot, i) => {
      const bytes = stored[i];
      slot.before = bytes === undefined ? undefined : decodeStored(slot.storageKey, bytes, deps.onCorrupt);
    });
  }
  const { outcomes, winners } = chooseBatchWinners(batch, (id) => slots.get(id)!.before);
  const ops: BatchOp[] = [];
  for (const slot of slots.values()) {
    slot.winner = winners.get(slot.id);
    if (slot.winner === slot.before) continue;
    // The engine copies what it is given: the encoding needs no allocation of its own.
    ops.push(slot.winner ? { type: 'put', key: slot.storageKey, value: encodeRecord(slot.winner, allocBytes) } : { type: 'del', key: slot.storageKey });
  }
  return { batch, outcomes, ops, slots };
}

/** The slot of the newest unwritten batch holding a key: its winner is what the engine will hold. */
function unwrittenSlot(unwritten: readonly Prepared[], id: string): Slot | undefined {
  for (let i = unwritten.length - 1; i >= 0; i--) {
    const slot = unwritten[i]!.slots.get(id);
    if (slot !== undefined) return slot;
  }
  return undefined;
}
