// A streamed chunk's batch in the apply pipeline: written in bulk (each record as it came, no read
// before write) while bulk-guard.ts says the partition is the stream's alone, else prepared
// last-write-wins like any batch of applies; and what the record cache learns once a bulk batch
// is written.
import { dataKey, partitionRange, type BatchOp, type Engine } from '@ringkv/storage';
import { prepareApplies, type Pending, type PrepareDeps, type Prepared, type Slot } from './apply-batch.js';
import type { BulkChunk, BulkGuard } from './bulk-guard.js';
import type { RecordCache } from './record-cache.js';
import { storageId } from './storage-id.js';

export interface BulkPrepareDeps extends PrepareDeps {
  engine: Pick<Engine, 'getMany' | 'iterate'>;
  guard: BulkGuard;
}

/**
 * Prepares the batch of one chunk (batch is its queue entry alone). `queue` is what waits behind
 * it and `unwritten` the batches prepared before it and not yet written.
 */
export async function prepareChunk(deps: BulkPrepareDeps, queue: readonly Pending[], unwritten: readonly Prepared[], batch: Pending[], chunk: BulkChunk): Promise<Prepared> {
  const { guard } = deps;
  const claim = guard.claim(chunk.partition, chunk.stream);
  let bulk = claim === 'owned';
  if (claim === 'unknown') {
    // Applies queued after the chunk but before this claim: this chunk is ahead of them, the
    // stream's next ones are not (applies queued from now on end the claim themselves).
    const behind = queue.some((q) => q.partition === chunk.partition && q.chunk === undefined);
    // Every apply queued before the chunk is in an earlier batch: written, or unwritten here.
    const held = unwritten.some((u) => [...u.slots.values()].some((slot) => slot.partition === chunk.partition))
      || !(await partitionEmpty(deps.engine, chunk.partition));
    bulk = guard.settle(chunk.partition, chunk.stream, !held);
    if (behind) guard.touched(chunk.partition);
  }
  const slots = new Map<string, Slot>();
  const ops: BatchOp[] = [];
  if (bulk) {
    for (const e of chunk.entries) {
      const storageKey = dataKey(chunk.partition, e.key);
      const id = storageId(storageKey);
      slots.set(id, { id, partition: chunk.partition, key: e.key, storageKey, before: undefined, winner: e.record });
      // The engine copies what it is given; the encoding was checked (CRC) when it was decoded.
      ops.push({ type: 'put', key: storageKey, value: e.encoded });
    }
    // Keys repeated within the chunk: not for a bulk write (each would need its winner).
    if (slots.size === chunk.entries.length) return { batch, outcomes: [], ops, slots, chunk: { bulk: true, applied: ops.length } };
  }
  // Written last-write-wins, it is a write like any other: no stream's bulk may follow it.
  guard.touched(chunk.partition);
  const applies: Pending[] = chunk.entries.map((e) => {
    const storageKey = dataKey(chunk.partition, e.key);
    return { id: storageId(storageKey), record: e.record, purge: false, partition: chunk.partition, key: e.key, storageKey, bytes: 0, done: () => undefined };
  });
  const prepared = await prepareApplies(deps, unwritten, applies);
  const applied = prepared.outcomes.reduce((n, o) => n + (o.applied ? 1 : 0), 0);
  return { batch, outcomes: [], ops: prepared.ops, slots: prepared.slots, chunk: { bulk: false, applied } };
}

/**
 * What the cache learns of a written bulk batch. A complete cache must learn every key (a miss
 * means absent), so it does while the chunk fits; one it would overflow stops being complete
 * instead. Any other only forgets what it held of them, so a bulk of streamed records does not
 * flush the working set; and what it can hold of them is "known absent" alone (the partition held
 * nothing but this stream's keys, none written twice), so with no such entry there is nothing to
 * forget.
 */
export function cacheBulkBatch(cache: RecordCache, slots: ReadonlyMap<string, Slot>): void {
  if (cache.complete && !cache.hasRoomFor(slots.size, chunkValueBytes(slots))) cache.markIncomplete();
  const learn = cache.complete;
  const forget = !learn && cache.absentEntries > 0;
  if (!learn && !forget) return;
  for (const slot of slots.values()) {
    if (learn) cache.set(slot.id, slot.winner!);
    else cache.delete(slot.id);
  }
}

/** Whether the engine holds no key of the partition. */
async function partitionEmpty(engine: Pick<Engine, 'iterate'>, partition: number): Promise<boolean> {
  for await (const _ of engine.iterate({ ...partitionRange('data', partition), limit: 1 })) return false;
  return true;
}

/** Bytes of keys and values a bulk chunk's records would take in the cache. */
function chunkValueBytes(slots: ReadonlyMap<string, Slot>): number {
  let bytes = 0;
  for (const slot of slots.values()) bytes += slot.id.length + (slot.winner?.value.byteLength ?? 0);
  return bytes;
}
