// A bounded least-recently-used cache of stored records, by storage key (a row cache, as
// Cassandra's and ScyllaDB's). The ReplicaStore is the only writer of data keys, so it keeps the
// cache exact: every committed winner replaces its entry. A cached `null` means "known absent",
// which spares the read-before-write of a first write and the engine trip of a 404.
//
// A cache that has held every stored key since the store was empty, and never evicted one, is
// `complete`: a key it does not hold is absent, so no lookup ever goes to the engine (the whole
// data set fits in memory, as in Redis). The first eviction ends that for the process's life.
import { decodeRecordUnchecked, type StoredRecord } from '@ringkv/core';

/** What the cache holds for one key: the stored encoding (verified), and its decoding once asked for. */
export interface CachedRecord {
  bytes: Uint8Array;
  record?: StoredRecord;
}

/** Bookkeeping per entry (key string, list node, Map slot): a rough, constant estimate. */
const ENTRY_OVERHEAD_BYTES = 140;

/**
 * A node of the recency list. The list is linked by hand: evicting from the front of a Map in
 * insertion order leaves holes its iterator scans again on every eviction (measured: 1.5 us per
 * insert while filling, 250 us once evicting, and growing).
 */
interface Node {
  id: string;
  entry: CachedRecord | null;
  cost: number;
  /** Towards the least recently used end. */
  older: Node | undefined;
  newer: Node | undefined;
}

export class RecordCache {
  private readonly nodes = new Map<string, Node>();
  /** Least and most recently used. */
  private oldest: Node | undefined;
  private newest: Node | undefined;
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
    return this.nodes.size;
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
    if (!this.enabled) return undefined;
    const node = this.nodes.get(id);
    if (node === undefined) {
      if (this.isComplete) {
        this.hits++;
        return null;
      }
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.unlink(node);
    this.pushNewest(node);
    return node.entry;
  }

  /**
   * The decoded record of an entry, decoded once. Entries hold only verified bytes (the store
   * checks what it reads from the engine before caching it), so no checksum here.
   */
  static record(entry: CachedRecord): StoredRecord {
    return (entry.record ??= decodeRecordUnchecked(entry.bytes));
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
    const old = this.nodes.get(id);
    if (old !== undefined) {
      this.bytes += cost - old.cost;
      old.entry = entry;
      old.cost = cost;
      this.unlink(old);
      this.pushNewest(old);
    } else {
      const node: Node = { id, entry, cost, older: undefined, newer: undefined };
      this.nodes.set(id, node);
      this.pushNewest(node);
      this.bytes += cost;
    }
    this.evict();
  }

  delete(id: string): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    this.unlink(node);
    this.bytes -= node.cost;
  }

  clear(): void {
    this.nodes.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
    this.isComplete = false;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.oldest !== undefined) {
      const node = this.oldest;
      this.nodes.delete(node.id);
      this.unlink(node);
      this.bytes -= node.cost;
      if (node.entry !== null) this.isComplete = false;
    }
  }

  private unlink(node: Node): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = node.newer = undefined;
  }

  private pushNewest(node: Node): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}

function costOf(id: string, entry: CachedRecord | null): number {
  // A decoded record's value views the same bytes: no second copy to count.
  return id.length + (entry === null ? 0 : entry.bytes.byteLength) + ENTRY_OVERHEAD_BYTES;
}
