// This node's replica of the data: records stored under (partition, key), last-write-wins on apply.
//
// Applies are batched: all applies issued while the engine is busy (or within one event-loop turn)
// become one engine batch. That makes read-compare-write safe without per-key locks (only one
// batch is in flight) and shares one sync between writes when durability is `sync` (group commit).
import { decodeRecord, encodeRecord, newerRecord, compareRecords, type StoredRecord } from '@ringkv/core';
import { dataKey, parseDataKey, type BatchOp, type Engine } from '@ringkv/storage';

export interface ApplyResult {
  /** The record now stored is the one given (it was newer than what was there). */
  applied: boolean;
  /** The winner now stored. */
  current: StoredRecord;
}

/**
 * Told of every change to the stored winner of a key (anti-entropy trees listen here); next is
 * undefined when purge() removed the key.
 */
export type ChangeListener = (partition: number, key: Uint8Array, previous: StoredRecord | undefined, next: StoredRecord | undefined) => void;

interface PendingApply {
  partition: number;
  key: Uint8Array;
  record: StoredRecord;
  /** Delete the key if its stored record is exactly `record` (see purge()). */
  purge?: boolean;
  resolve: (r: ApplyResult) => void;
  reject: (e: unknown) => void;
}

export interface ReplicaStoreOptions {
  sync: boolean;
  /** Upper bound on applies per engine batch, so one batch never grows without limit. */
  maxBatch?: number;
}

export class ReplicaStore {
  private queue: PendingApply[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly listeners: ChangeListener[] = [];
  private reads: { key: Uint8Array; resolve: (v: Uint8Array | undefined) => void; reject: (e: unknown) => void }[] = [];
  private readScheduled = false;
  private readonly maxBatch: number;

  constructor(readonly engine: Engine, private readonly options: ReplicaStoreOptions) {
    this.maxBatch = options.maxBatch ?? 1024;
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async read(partition: number, key: Uint8Array): Promise<StoredRecord | undefined> {
    const bytes = await this.readRaw(partition, key);
    return bytes === undefined ? undefined : decodeRecord(bytes);
  }

  /**
   * The stored encoding of a key's record (what replicas send each other). Reads issued in the same
   * event-loop turn share one engine getMany: one trip to the engine's thread pool, not one each.
   */
  readRaw(partition: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      this.reads.push({ key: dataKey(partition, key), resolve, reject });
      if (!this.readScheduled) {
        this.readScheduled = true;
        setImmediate(() => this.flushReads());
      }
    });
  }

  private flushReads(): void {
    this.readScheduled = false;
    while (this.reads.length > 0) {
      const batch = this.reads.splice(0, this.maxBatch);
      this.engine.getMany(batch.map((r) => r.key)).then(
        (values) => batch.forEach((r, i) => r.resolve(values[i])),
        (err: unknown) => batch.forEach((r) => r.reject(err)),
      );
    }
  }

  /** Stores `record` unless a newer version is already there. Resolves once durable per the options. */
  apply(partition: number, key: Uint8Array, record: StoredRecord): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ partition, key, record, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Deletes a key from the engine if its stored record is still exactly `expected` (a tombstone
   * past its grace period); listeners see next = undefined. Resolves with whether it was deleted.
   * It is queued with the applies, so it never races one, and it settles only after every apply
   * issued before it has settled and told its listeners.
   */
  purge(partition: number, key: Uint8Array, expected: StoredRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ partition, key, record: expected, purge: true, resolve: (r) => resolve(r.applied), reject });
      this.schedule();
    });
  }

  /** Waits until every apply issued so far has settled. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await this.applyBatch(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async applyBatch(batch: PendingApply[]): Promise<void> {
    // Current winner per storage key, read once per batch.
    type Slot = { storageKey: Uint8Array; before: StoredRecord | undefined; winner: StoredRecord | undefined };
    const slots = new Map<string, Slot>();
    const slotOf: Slot[] = batch.map((p) => {
      const storageKey = dataKey(p.partition, p.key);
      const id = Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength).toString('latin1');
      let slot = slots.get(id);
      if (!slot) slots.set(id, (slot = { storageKey, before: undefined, winner: undefined }));
      return slot;
    });
    const unique = [...slots.values()];
    const stored = await this.engine.getMany(unique.map((slot) => slot.storageKey));
    unique.forEach((slot, i) => {
      const bytes = stored[i];
      slot.before = bytes === undefined ? undefined : decodeRecord(bytes);
      slot.winner = slot.before;
    });
    const results: ApplyResult[] = [];
    batch.forEach((p, i) => {
      const s = slotOf[i];
      if (p.purge) {
        const purged = s.winner !== undefined && compareRecords(s.winner, p.record) === 0;
        if (purged) s.winner = undefined;
        results.push({ applied: purged, current: p.record });
        return;
      }
      const winner = newerRecord(s.winner, p.record)!;
      const applied = winner === p.record && (s.winner === undefined || compareRecords(p.record, s.winner) > 0);
      s.winner = winner;
      results.push({ applied, current: winner });
    });
    const ops: BatchOp[] = [];
    for (const s of slots.values()) {
      if (s.winner === s.before) continue;
      ops.push(s.winner ? { type: 'put', key: s.storageKey, value: encodeRecord(s.winner) } : { type: 'del', key: s.storageKey });
    }
    if (ops.length > 0) await this.engine.batch(ops, { sync: this.options.sync });
    for (const s of slots.values()) {
      if (s.winner !== s.before) {
        const { partition, userKey } = parseDataKey(s.storageKey);
        for (const l of this.listeners) l(partition, userKey, s.before, s.winner);
      }
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
