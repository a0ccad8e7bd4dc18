// The write side of this node's replica: applies become engine batches. Applies issued within one
// turn (or while a batch is written) join one batch: one getMany for the keys the cache cannot
// answer, one engine batch, one sync when durability is `sync` (group commit). Batches are
// prepared in order and written in order, so read-compare-write needs no per-key locks. A full
// batch cannot grow, so the next one is prepared (its reads done) while the previous one is
// written; it takes the keys of batches not yet on disk from their winners, not from the cache
// or the engine (apply-batch.ts; the winners themselves are core's chooseBatchWinners).
//
// A streamed chunk of a partition this node does not hold yet is written in bulk (enqueueBulk):
// one engine batch of the chunk's records as they came, no read before write, while the
// partition is provably the stream's alone (bulk-batch.ts, bulk-guard.ts); otherwise it is applied
// last-write-wins like any other batch. Either way it takes its place in the queue's order, so
// what is queued after it sees its winners.
//
// The queue is bounded in bytes (maxQueueBytes): past it an apply is refused at once with
// REPLICA_OVERLOADED. A failed engine write fails that batch and every later one, and the
// pipeline refuses applies from then on (the node must be restarted; /ready says why).
import type { StoredRecord } from '@ringkv/core';
import { dataKey, type Engine } from '@ringkv/storage';
import type { NextTurn } from '../clock.js';
import { prepareApplies, type ApplyCallback, type Pending, type Prepared } from './apply-batch.js';
import { cacheBulkBatch, prepareChunk } from './bulk-batch.js';
import { BulkGuard, type BulkChunk, type BulkCallback } from './bulk-guard.js';
import type { RecordCache } from './record-cache.js';
import { ReplicaOverloadedError } from './replica-errors.js';
import { storageId } from './storage-id.js';
import type { CorruptRecordListener } from './stored-record.js';

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
    if (chunk !== undefined) return prepareChunk({ ...this.deps, guard: this.guard }, this.queue, this.unwritten, batch, chunk);
    return prepareApplies(this.deps, this.unwritten, batch);
  }

  /** A stream of the partition ended (see BulkGuard.release). */
  releaseBulk(partition: number, stream: string): void {
    this.guard.release(partition, stream);
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
      cacheBulkBatch(this.deps.cache, slots);
      for (const slot of slots.values()) this.deps.onCommitted(slot.partition, slot.key, undefined, slot.winner);
    } else {
      for (const slot of slots.values()) {
        if (slot.winner === slot.before) continue;
        this.deps.cache.set(slot.id, slot.winner ?? null);
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
