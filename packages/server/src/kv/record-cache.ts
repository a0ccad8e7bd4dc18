// A bounded least-recently-used cache of stored records, by storage key (a row cache, as
// Cassandra's and ScyllaDB's). The ReplicaStore is the only writer of data keys, so it keeps the
// cache exact: every committed winner replaces its entry. A cached `null` means "known absent",
// which spares the read-before-write of a first write and the engine trip of a 404.
//
// A cache that has held every stored key since the store was empty, and never evicted one, is
// `complete`: a key it does not hold is absent, so no lookup ever goes to the engine (the whole
// data set fits in memory, as in Redis). The first eviction ends that for the process's life.
import { decodeRecord, type StoredRecord } from '@ringkv/core';

/** What the cache holds for one key: the stored encoding, and its decoding once asked for. */
export interface CachedRecord {
  bytes: Uint8Array;
  record?: StoredRecord;
}

/** Map bookkeeping per entry (key string, entry object, Map slot): a rough, constant estimate. */
const ENTRY_OVERHEAD_BYTES = 120;

export class RecordCache {
  private readonly entries = new Map<string, CachedRecord | null>();
  private bytes = 0;
  private isComplete = false;
  hits = 0;
  misses = 0;

  /** Entries above maxEntryBytes are not kept: one huge value must not flush the working set. */
  constructor(readonly maxBytes: number, readonly maxEntryBytes = maxBytes / 8) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get complete(): boolean {
    return this.isComplete;
  }

  /** The store holds no data key and every write will pass through set(): misses mean absent. */
  markComplete(): void {
    if (this.enabled) this.isComplete = true;
  }

  /** The entry (null: known absent), or undefined when not cached. Marks it recently used. */
  lookup(id: string): CachedRecord | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      if (this.isComplete) {
        this.hits++;
        return null;
      }
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-inserting moves the entry to the young end of the Map's insertion order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry;
  }

  /** The decoded record of an entry, decoded once. */
  static record(entry: CachedRecord): StoredRecord {
    return (entry.record ??= decodeRecord(entry.bytes));
  }

  set(id: string, entry: CachedRecord | null): void {
    if (!this.enabled) return;
    const cost = costOf(id, entry);
    if (cost > this.maxEntryBytes) {
      // Not kept (see the constructor): the cache no longer knows this key.
      this.delete(id);
      if (entry !== null) this.isComplete = false;
      return;
    }
    // A complete cache needs no "absent" entries: a miss already means absent.
    if (entry === null && this.isComplete) {
      this.delete(id);
      return;
    }
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.bytes -= costOf(id, old);
      this.entries.delete(id);
    }
    this.entries.set(id, entry);
    this.bytes += cost;
    this.evict();
  }

  delete(id: string): void {
    const old = this.entries.get(id);
    if (old === undefined) return;
    this.bytes -= costOf(id, old);
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.isComplete = false;
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) return;
      this.bytes -= costOf(id, entry);
      this.entries.delete(id);
      if (entry !== null) this.isComplete = false;
    }
  }
}

function costOf(id: string, entry: CachedRecord | null): number {
  // A decoded record's value views the same bytes: no second copy to count.
  return id.length + (entry === null ? 0 : entry.bytes.byteLength) + ENTRY_OVERHEAD_BYTES;
}
