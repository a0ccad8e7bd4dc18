// This node's replica of the data: records stored under (partition, key), last-write-wins. The
// one writer of data keys (the record cache is exact only because of that): applies go through
// the ApplyPipeline, reads through the ReadBatcher and the RecordCache. Everything else reads data
// through a PartitionReader, which cannot write.
//
// Calling convention: promises (apply, read, purge, drain); callbacks stay inside the pipeline.
import { encodeRecord, type BatchApplyOutcome, type StoredRecord } from '@ringkv/core';
import { keyspaceRange, type Engine } from '@ringkv/storage';
import { immediateTurn, afterTurn, type NextTurn } from '../clock.js';
import { ApplyPipeline, type CommitListener } from './apply-pipeline.js';
import { ReadBatcher } from './read-batcher.js';
import { RecordCache } from './record-cache.js';
import type { CorruptRecordListener } from './stored-record.js';
import type { BulkChunk, BulkResult } from './bulk-guard.js';

export { ReplicaOverloadedError } from './replica-errors.js';
export type { BulkChunk, BulkEntry, BulkResult } from './bulk-guard.js';
export type { CorruptRecordListener } from './stored-record.js';

/** What an apply did: stored its record (it was newer), and the key's record now. */
export type ApplyResult = BatchApplyOutcome;

/** Told of every change to a key's stored winner (next undefined: purged). Trees listen here. */
export type ChangeListener = CommitListener;

export interface ReplicaStoreOptions {
  sync: boolean;
  /** Upper bound on applies per engine batch (and reads per getMany). */
  maxBatch?: number;
  /** Bytes of recently used records kept in memory (0: no cache). */
  cacheBytes?: number;
  /** Largest record the cache keeps (default: an eighth of it). */
  cacheMaxEntryBytes?: number;
  /** Bytes of applies queued or being written before REPLICA_OVERLOADED (default: no bound). */
  maxQueueBytes?: number;
  /** Told of each stored record found undecodable (the node logs and counts them). */
  onCorrupt?: CorruptRecordListener;
  /** The next-turn seam (default setImmediate; the simulator passes its own). */
  nextTurn?: NextTurn;
}

export class ReplicaStore {
  readonly cache: RecordCache;
  private readonly pipeline: ApplyPipeline;
  private readonly reads: ReadBatcher;
  private readonly listeners: ChangeListener[] = [];
  private readonly nextTurn: NextTurn;

  constructor(private readonly engine: Engine, options: ReplicaStoreOptions) {
    const maxBatch = options.maxBatch ?? 1024;
    this.nextTurn = options.nextTurn ?? immediateTurn;
    this.cache = new RecordCache(options.cacheBytes ?? 0, options.cacheMaxEntryBytes);
    this.pipeline = new ApplyPipeline({
      engine, cache: this.cache, nextTurn: this.nextTurn, sync: options.sync, maxBatch, maxQueueBytes: options.maxQueueBytes ?? Infinity,
      onCommitted: (partition, key, previous, next) => {
        for (const l of this.listeners) l(partition, key, previous, next);
      },
      ...(options.onCorrupt ? { onCorrupt: options.onCorrupt } : {}),
    });
    this.reads = new ReadBatcher({
      engine, cache: this.cache, nextTurn: this.nextTurn, maxBatch,
      commits: () => this.pipeline.commits, failed: () => this.pipeline.failure !== undefined,
      ...(options.onCorrupt ? { onCorrupt: options.onCorrupt } : {}),
    });
  }

  /**
   * Call once before the first apply: when the store holds no data yet, the cache starts complete
   * (every key written from now on passes through it, so a miss means absent).
   */
  async open(): Promise<void> {
    if (!this.cache.enabled) return;
    for await (const _ of this.engine.iterate({ ...keyspaceRange('data'), limit: 1 })) return;
    this.cache.markComplete();
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Why the store refuses writes (a failed engine write: until the node restarts), or undefined. */
  get unavailableReason(): string | undefined {
    const err = this.pipeline.failure;
    if (err === undefined) return undefined;
    const what = err instanceof Error ? err.message : String(err);
    const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? `${(err as { code: string }).code}: ` : '';
    return `the storage engine failed a write (${code}${what}); writes are refused until the node restarts`;
  }

  /** Bytes held by applies not settled yet (what maxQueueBytes bounds). */
  get queuedApplyBytes(): number {
    return this.pipeline.queued;
  }

  async read(partition: number, key: Uint8Array): Promise<StoredRecord | undefined> {
    return (await this.reads.read(partition, key)) ?? undefined;
  }

  /** The encoding of a key's record (what replicas send each other). */
  async readRaw(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    const record = await this.reads.read(partition, key);
    return record === null ? undefined : encodeRecord(record);
  }

  /** Stores `record` unless a newer version is already there. Resolves once durable per the options. */
  apply(partition: number, key: Uint8Array, record: StoredRecord): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      this.pipeline.enqueue(partition, key, record, false, (err, outcome) => (err === undefined ? resolve(outcome!) : reject(err)));
    });
  }

  /**
   * Stores a streamed chunk of one partition (keys strictly ascending): in one engine batch with
   * no read before write while the partition holds only what this stream wrote (bulk-guard.ts),
   * else last-write-wins like apply(). Resolves once durable per the options.
   */
  applyBulk(chunk: BulkChunk): Promise<BulkResult> {
    return new Promise((resolve, reject) => {
      this.pipeline.enqueueBulk(chunk, (err, result) => (err === undefined ? resolve(result!) : reject(err)));
    });
  }

  /** A stream of the partition ended: its later chunks, if any, prove emptiness again. */
  endBulk(partition: number, stream: string): void {
    this.pipeline.releaseBulk(partition, stream);
  }

  /**
   * Deletes a key if its stored record is still exactly `expected` (a tombstone past its grace);
   * listeners see next = undefined. Resolves with whether it was deleted. Queued with the applies,
   * so it never races one, and settled only after every apply issued before it.
   */
  purge(partition: number, key: Uint8Array, expected: StoredRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pipeline.enqueue(partition, key, expected, true, (err, outcome) => (err === undefined ? resolve(outcome!.applied) : reject(err)));
    });
  }

  /** Waits until every apply issued so far has settled. */
  async drain(): Promise<void> {
    while (!this.pipeline.idle) await afterTurn(this.nextTurn);
  }
}
