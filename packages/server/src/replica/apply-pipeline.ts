// The write side of this node's replica: applies become engine batches. Applies issued within one
// turn (or while a batch is written) join one batch: one getMany for the keys the cache cannot
// answer, one engine batch, one sync when durability is `sync` (group commit). Batches are
// prepared in order and written in order, so read-compare-write needs no per-key locks. A full
// batch cannot grow, so the next one is prepared (its reads done) while the previous one is
// written; it takes the keys of batches not yet on disk from their winners, not from the cache
// or the engine. The winners themselves are core's chooseBatchWinners.
//
// A streamed chunk of a partition this node does not hold yet is written in bulk (enqueueBulk):
// one engine batch of the chunk's records as they came, no read before write, while the
// partition is provably the stream's alone (bulk-guard.ts); otherwise the chunk is applied
// last-write-wins like any other batch. Either way it takes its place in the queue's order, so
// what is queued after it sees its winners.
//
// The queue is bounded in bytes (maxQueueBytes): past it an apply is refused at once with
// REPLICA_OVERLOADED. A failed engine write fails that batch and every later one, and the
// pipeline refuses applies from then on (the node must be restarted; /ready says why).
import { chooseBatchWinners, encodeRecord, type BatchApply, type BatchApplyOutcome, type StoredRecord } from '@ringkv/core';
import { allocBytes, dataKey, partitionRange, type BatchOp, type Engine } from '@ringkv/storage';
import type { NextTurn } from '../clock.js';
import { BulkGuard, type BulkChunk, type BulkCallback, type BulkResult } from './bulk-guard.js';
import type { RecordCache } from './record-cache.js';
import { ReplicaOverloadedError } from './replica-errors.js';
import { storageId } from './storage-id.js';
import { decodeStored, type CorruptRecordListener } from './stored-record.js';

/** Told once how an apply ended: an error (never undefined), or undefined and its outcome. */
export type ApplyCallback = (err: unknown, outcome?: BatchApplyOutcome) => void;

/** Told of every key a written batch changed (next undefined: purged). */
export type CommitListener = (partition: number, key: Uint8Array, previous: StoredRecord | undefined, next: StoredRecord | undefined) => void;

export interface ApplyPipelineDeps {
  engine: Pick<Engine, 'getMany' | 'batch' | 'iterate'>;
  cache: RecordCache;
  nextTurn: NextTurn;
  sync: boolean;
  /** Applies per engine batch, at most. */
  maxBatch: number;
  /** Bytes of applies queued or being written before new ones are refused. */
  maxQueueBytes: number;
  onCommitted: CommitListener;
  onCorrupt?: CorruptRecordListener;
}

interface Pending extends BatchApply {
  partition: number;
  key: Uint8Array;
  storageKey: Uint8Array;
  /** What it holds of maxQueueBytes, released when it settles. */
  bytes: number;
  done: ApplyCallback;
  /** A streamed chunk (its own batch); the fields above are its first entry's. */
  chunk?: QueuedChunk;
}

interface QueuedChunk extends BulkChunk {
  done: BulkCallback;
}

interface Slot {
  partition: number;
  key: Uint8Array;
  storageKey: Uint8Array;
  before: StoredRecord | undefined;
  winner: StoredRecord | undefined;
}

interface Prepared {
  batch: Pending[];
  outcomes: BatchApplyOutcome[];
  ops: BatchOp[];
  /** Every key of the batch by id (changed or not): later preparations read winners here. */
  slots: Map<string, Slot>;
  /** A streamed chunk's batch: whether it went in bulk, and how many records it stored. */
  chunk?: BulkResult;
}

/**
 * Batches prepared but not yet written, at most (beyond the first, only full ones). Letting
 * partial batches through too measured worse for client writes (PUT 89-100 / 95-109 / 114-117 us
 * CPU per op with 1 / 2 / 4).
 */
const MAX_COMMITS_IN_FLIGHT = 4;

/**
 * What an apply holds of maxQueueBytes besides its key and value, a rough constant: the pending
 * entry, its callback and promise, the record and its timestamp, the queue slot, and once
 * prepared its slot, outcome, batch op and the encoding's header.
 */
const APPLY_OVERHEAD_BYTES = 256;

export class ApplyPipeline {
  private queue: Pending[] = [];
  private scheduled = false;
  private preparing = false;
  private commitsInFlight = 0;
  private committing: Promise<void> = Promise.resolve();
  /** Batches prepared whose write has not settled, oldest first. */
  private readonly unwritten: Prepared[] = [];
  private queuedBytes = 0;
  /** Streamed chunks in the queue (takeBatch cuts batches at them). */
  private chunksQueued = 0;
  private readonly guard = new BulkGuard();
  /** Batches written so far (a read that saw this change may hold a replaced value). */
  commits = 0;
  /** The failed engine write that stopped the pipeline, if any. */
  failure: unknown;

  constructor(private readonly deps: ApplyPipelineDeps) {}

  get queued(): number {
    return this.queuedBytes;
  }

  get idle(): boolean {
    return this.queue.length === 0 && !this.preparing && this.commitsInFlight === 0;
  }

  /**
   * Queues an apply (or a purge: delete the key if its record is exactly `record`). Refused at
   * once (REPLICA_OVERLOADED, never synchronously) when it would take the queue past the bound;
   * an apply into an empty queue is always taken, so a value larger than the bound is not refused
   * for ever. Purges are never refused: they only shrink the store, a bounded page at a time.
   */
  enqueue(partition: number, key: Uint8Array, record: StoredRecord, purge: boolean, done: ApplyCallback): void {
    const bytes = key.length + record.value.byteLength + APPLY_OVERHEAD_BYTES;
    if (!purge && this.queuedBytes > 0 && this.queuedBytes + bytes > this.deps.maxQueueBytes) {
      const err = new ReplicaOverloadedError(this.queuedBytes, this.deps.maxQueueBytes);
      queueMicrotask(() => done(err));
      return;
    }
    this.queuedBytes += bytes;
    // Anything but the stream itself writing the partition ends its bulk writes.
    this.guard.touched(partition);
    const storageKey = dataKey(partition, key);
    this.queue.push({ id: storageId(storageKey), record, purge, partition, key, storageKey, bytes, done });
    this.schedule();
  }

  /**
   * Queues a streamed chunk of one partition (keys strictly ascending, each entry's record with
   * the encoding it came as). Written in bulk while the guard says the partition holds only what
   * this stream wrote, else last-write-wins. Refused like an apply past maxQueueBytes.
   */
  enqueueBulk(chunk: BulkChunk, done: BulkCallback): void {
    const first = chunk.entries[0];
    if (first === undefined) {
      queueMicrotask(() => done(undefined, { bulk: false, applied: 0 }));
      return;
    }
    let bytes = APPLY_OVERHEAD_BYTES;
    for (const e of chunk.entries) bytes += e.key.length + e.encoded.length + APPLY_OVERHEAD_BYTES;
    if (this.queuedBytes > 0 && this.queuedBytes + bytes > this.deps.maxQueueBytes) {
      const err = new ReplicaOverloadedError(this.queuedBytes, this.deps.maxQueueBytes);
      queueMicrotask(() => done(err));
      return;
    }
    this.queuedBytes += bytes;
    this.chunksQueued++;
    const storageKey = dataKey(chunk.partition, first.key);
    this.queue.push({
      id: storageId(storageKey), record: first.record, purge: false, partition: chunk.partition, key: first.key, storageKey, bytes,
      done: (err) => done(err), chunk: { ...chunk, done },
    });
    this.schedule();
  }

  /**
   * One batch is written at a time and what arrives meanwhile joins the next (few native calls,
   * large batches); a full batch is prepared ahead while earlier ones are written.
   */
  private canPrepare(): boolean {
    if (this.preparing || this.queue.length === 0) return false;
    if (this.commitsInFlight === 0) return true;
    // A streamed chunk is a full batch of its own.
    return (this.queue.length >= this.deps.maxBatch || this.queue[0]!.chunk !== undefined) && this.commitsInFlight < MAX_COMMITS_IN_FLIGHT;
  }

  private schedule(): void {
    if (this.scheduled || !this.canPrepare()) return;
    this.scheduled = true;
    this.deps.nextTurn(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (!this.canPrepare()) return;
    this.preparing = true;
    const batch = this.takeBatch();
    let prepared: Prepared;
    try {
      prepared = await this.prepare(batch);
    } catch (err) {
      this.settleFailed(batch, err ?? new Error('apply failed'));
      this.preparing = false;
      if (this.queue.length > 0) this.schedule();
      return;
    }
    this.preparing = false;
    this.unwritten.push(prepared);
    this.commitsInFlight++;
    const commit = this.committing.then(() => this.commit(prepared));
    this.committing = commit.catch(() => undefined);
    const settled = () => {
      this.commitsInFlight--;
      if (this.queue.length > 0) this.schedule();
    };
    commit.then(settled, settled);
    if (this.queue.length > 0) this.schedule();
  }

  /**
   * The next batch: the whole queue when it fits (taken, not copied), else its first maxBatch. A
   * streamed chunk is a batch of its own, so the applies before it are cut there.
   */
  private takeBatch(): Pending[] {
    if (this.chunksQueued > 0) {
      if (this.queue[0]!.chunk) {
        this.chunksQueued--;
        return this.queue.splice(0, 1);
      }
      const end = Math.min(this.deps.maxBatch, this.queue.findIndex((p) => p.chunk !== undefined));
      return this.queue.splice(0, end);
    }
    if (this.queue.length > this.deps.maxBatch) return this.queue.splice(0, this.deps.maxBatch);
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  private async prepare(batch: Pending[]): Promise<Prepared> {
    if (this.failure) throw this.failure;
    const chunk = batch[0]!.chunk;
    if (chunk !== undefined) return this.prepareChunk(batch, chunk);
    return this.prepareApplies(batch);
  }

  /** A streamed chunk: in bulk when the guard allows it, else as last-write-wins applies. */
  private async prepareChunk(batch: Pending[], chunk: BulkChunk): Promise<Prepared> {
    const claim = this.guard.claim(chunk.partition, chunk.stream);
    let bulk = claim === 'owned';
    if (claim === 'unknown') {
      // Applies queued after the chunk but before this claim: this chunk is ahead of them, the
      // stream's next ones are not (applies queued from now on end the claim themselves).
      const behind = this.queue.some((q) => q.partition === chunk.partition && q.chunk === undefined);
      // Every apply queued before the chunk is in an earlier batch: written, or unwritten here.
      const held = this.unwritten.some((u) => [...u.slots.values()].some((slot) => slot.partition === chunk.partition))
        || !(await this.partitionEmpty(chunk.partition));
      bulk = this.guard.settle(chunk.partition, chunk.stream, !held);
      if (behind) this.guard.touched(chunk.partition);
    }
    const slots = new Map<string, Slot>();
    const ops: BatchOp[] = [];
    if (bulk) {
      for (const e of chunk.entries) {
        const storageKey = dataKey(chunk.partition, e.key);
        slots.set(storageId(storageKey), { partition: chunk.partition, key: e.key, storageKey, before: undefined, winner: e.record });
        // The engine copies what it is given; the encoding was checked (CRC) when it was decoded.
        ops.push({ type: 'put', key: storageKey, value: e.encoded });
      }
      // Keys repeated within the chunk: not for a bulk write (each would need its winner).
      if (slots.size === chunk.entries.length) return { batch, outcomes: [], ops, slots, chunk: { bulk: true, applied: ops.length } };
    }
    // Written last-write-wins, it is a write like any other: no stream's bulk may follow it.
    this.guard.touched(chunk.partition);
    const applies: Pending[] = chunk.entries.map((e) => {
      const storageKey = dataKey(chunk.partition, e.key);
      return { id: storageId(storageKey), record: e.record, purge: false, partition: chunk.partition, key: e.key, storageKey, bytes: 0, done: () => undefined };
    });
    const prepared = await this.prepareApplies(applies);
    const applied = prepared.outcomes.reduce((n, o) => n + (o.applied ? 1 : 0), 0);
    return { batch, outcomes: [], ops: prepared.ops, slots: prepared.slots, chunk: { bulk: false, applied } };
  }

  /** A stream of the partition ended (see BulkGuard.release). */
  releaseBulk(partition: number, stream: string): void {
    this.guard.release(partition, stream);
  }

  /** Whether the engine holds no key of the partition. */
  private async partitionEmpty(partition: number): Promise<boolean> {
    for await (const _ of this.deps.engine.iterate({ ...partitionRange('data', partition), limit: 1 })) return false;
    return true;
  }

  private async prepareApplies(batch: Pending[]): Promise<Prepared> {
    const slots = new Map<string, Slot>();
    for (const p of batch) {
      if (!slots.has(p.id)) slots.set(p.id, { partition: p.partition, key: p.key, storageKey: p.storageKey, before: undefined, winner: undefined });
    }
    // Each key's record before this batch: the winner of the newest batch not yet written that
    // holds it, else the cache's, else the engine's. Taken before the await and kept: only one
    // batch is prepared at a time, so none joins `unwritten` meanwhile, and a batch written
    // meanwhile changes only keys it holds, which are taken from it here.
    const fromDisk: Slot[] = [];
    for (const [id, slot] of slots) {
      const pending = this.unwritten.length > 0 ? this.unwrittenSlot(id) : undefined;
      if (pending !== undefined) {
        slot.before = pending.winner;
        continue;
      }
      const cached = this.deps.cache.lookup(id);
      if (cached === undefined) fromDisk.push(slot);
      else slot.before = cached ?? undefined;
    }
    if (fromDisk.length > 0) {
      const stored = await this.deps.engine.getMany(fromDisk.map((slot) => slot.storageKey));
      // Undecodable: absent, so the batch goes on and the winner replaces the bad bytes.
      fromDisk.forEach((slot, i) => {
        const bytes = stored[i];
        slot.before = bytes === undefined ? undefined : decodeStored(slot.storageKey, bytes, this.deps.onCorrupt);
      });
    }
    const before = new Map<string, StoredRecord | undefined>();
    for (const [id, slot] of slots) before.set(id, slot.before);
    const { outcomes, winners } = chooseBatchWinners(batch, before);
    const ops: BatchOp[] = [];
    for (const [id, slot] of slots) {
      slot.winner = winners.get(id);
      if (slot.winner === slot.before) continue;
      // The engine copies what it is given: the encoding needs no allocation of its own.
      ops.push(slot.winner ? { type: 'put', key: slot.storageKey, value: encodeRecord(slot.winner, allocBytes) } : { type: 'del', key: slot.storageKey });
    }
    return { batch, outcomes, ops, slots };
  }

  /** The slot of the newest unwritten batch holding a key: its winner is what the engine will hold. */
  private unwrittenSlot(id: string): Slot | undefined {
    for (let i = this.unwritten.length - 1; i >= 0; i--) {
      const slot = this.unwritten[i]!.slots.get(id);
      if (slot !== undefined) return slot;
    }
    return undefined;
  }

  private async commit(prepared: Prepared): Promise<void> {
    const { batch, outcomes, ops, slots, chunk } = prepared;
    try {
      if (this.failure) throw this.failure;
      if (ops.length > 0) await this.deps.engine.batch(ops, { sync: this.deps.sync });
    } catch (err) {
      // Later batches were prepared on top of this one: none of them may be written either.
      this.failure ??= err ?? new Error('engine write failed');
      this.unwritten.splice(this.unwritten.indexOf(prepared), 1);
      this.deps.cache.clear();
      this.settleFailed(batch, err ?? new Error('engine write failed'));
      throw err;
    }
    this.commits++;
    // Batches are written in order: this is the oldest unwritten one.
    this.unwritten.shift();
    if (chunk?.bulk) {
      // A complete cache must learn every key (a miss means absent), so it does while the chunk
      // fits; one it would overflow stops being complete instead. Any other only forgets what it
      // held of them, so a bulk of streamed records does not flush the working set; and what it
      // can hold of them is "known absent" alone (the partition held nothing but this stream's
      // keys, none written twice), so with no such entry there is nothing to forget.
      const cache = this.deps.cache;
      if (cache.complete && !cache.hasRoomFor(slots.size, chunkValueBytes(slots))) cache.markIncomplete();
      const learn = cache.complete;
      const forget = !learn && cache.absentEntries > 0;
      for (const [id, slot] of slots) {
        if (learn) cache.set(id, slot.winner!);
        else if (forget) cache.delete(id);
        this.deps.onCommitted(slot.partition, slot.key, undefined, slot.winner);
      }
    } else {
      for (const [id, slot] of slots) {
        if (slot.winner === slot.before) continue;
        this.deps.cache.set(id, slot.winner ?? null);
        this.deps.onCommitted(slot.partition, slot.key, slot.before, slot.winner);
      }
    }
    if (chunk) {
      this.queuedBytes -= batch[0]!.bytes;
      batch[0]!.chunk!.done(undefined, chunk);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      // Released first: a callback that applies again finds the room this one left.
      this.queuedBytes -= batch[i]!.bytes;
      batch[i]!.done(undefined, outcomes[i]);
    }
  }

  private settleFailed(batch: Pending[], err: unknown): void {
    for (const p of batch) {
      this.queuedBytes -= p.bytes;
      p.done(err);
    }
  }
}

/** Bytes of keys and values a bulk chunk's records would take in the cache. */
function chunkValueBytes(slots: ReadonlyMap<string, Slot>): number {
  let bytes = 0;
  for (const [id, slot] of slots) bytes += id.length + (slot.winner?.value.byteLength ?? 0);
  return bytes;
}
