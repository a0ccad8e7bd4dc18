// A bounded least-recently-used cache of stored records, by storage key (a row cache, as
// Cassandra's and ScyllaDB's). The ReplicaStore is the only writer of data keys, so it keeps the
// cache exact: every committed winner replaces its entry. A cached `null` means "known absent",
// which spares the read-before-write of a first write and the engine trip of a 404.
//
// A cache that has held every stored key since the store was empty, and never evicted one, is
// `complete`: a key it does not hold is absent, so no lookup ever goes to the engine (the whole
// data set fits in memory, as in Redis). The first eviction ends that for the process's life.
//
// An entry keeps a record's fields and its value's bytes as a one-byte (latin1) string, one char
// per byte: a string lives on V8's heap with a 16-byte header, where a Uint8Array of more than 64
// bytes holds an off-heap block and about 300 bytes of bookkeeping besides. Measured on Node 20
// with 300k entries of 100-byte values: 1009 bytes of RSS per entry as records, 618 as strings,
// so the default 64 MiB holds ~105k entries, not ~65k. The price is a conversion each way (about
// 0.1 us for 100 bytes, less than the copy a Uint8Array entry needed when its value viewed a
// larger frame), and a lookup answers a new record on each call.
//
// The byte count is what an entry costs the process, so the cap holds in RSS terms (see
// entryCost).
import type { StoredRecord, Timestamp } from '@ringkv/core';

/**
 * What an entry costs besides its id's and value's characters: the list node with the record's
 * fields, the Map's slot, the wallMs heap number, both strings' headers, and the heap's slack
 * (its pages are not full). Measured on Node 20, RSS per entry after a full GC, 300k entries of
 * 100-byte values: 618 bytes, of which 121 are the id and value.
 */
const ENTRY_OVERHEAD_BYTES = 500;
/** What hasRoomFor charges an entry besides its value's bytes (its id unknown: a typical one). */
const TYPICAL_ENTRY_BYTES = ENTRY_OVERHEAD_BYTES + 32;

/** The bytes an entry of this id costs with a value of valueBytes (null: known absent). */
export function entryCost(id: string, valueBytes: number | null): number {
  return ENTRY_OVERHEAD_BYTES + id.length + (valueBytes ?? 0);
}

/**
 * A node of the recency list. The list is linked by hand: evicting from the front of a Map in
 * insertion order leaves holes its iterator scans again on every eviction (measured: 1.5 us per
 * insert while filling, 250 us once evicting, and growing).
 */
interface Node {
  id: string;
  /** The record's fields; value null: known absent (ts then null too). */
  ts: Timestamp | null;
  tombstone: boolean;
  expiresAtMs: number;
  value: string | null;
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
  /** Entries that say "known absent" (null). */
  private absent = 0;
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

  /** From now on a miss means "ask the engine" (a write is about to bypass set()). */
  markIncomplete(): void {
    this.isComplete = false;
  }

  /** How many entries say "known absent". */
  get absentEntries(): number {
    return this.absent;
  }

  /** Whether `count` more records of `valueBytes` in all fit without evicting anything. */
  hasRoomFor(count: number, valueBytes: number): boolean {
    return this.bytes + count * TYPICAL_ENTRY_BYTES + valueBytes <= this.maxBytes;
  }

  /** Whether id has an entry (a record or "known absent"); not a use. */
  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** The entry (null: known absent), or undefined when not cached. Marks it recently used. */
  lookup(id: string): StoredRecord | null | undefined {
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
    return node.value === null ? null : { ts: node.ts!, tombstone: node.tombstone, expiresAtMs: node.expiresAtMs, value: Buffer.from(node.value, 'latin1') };
  }

  /**
   * Caches a key's record (null: known absent), as a copy: the caller's bytes stay its own. A key
   * already cached keeps its place in the recency order: lookup() is what marks a use.
   */
  set(id: string, record: StoredRecord | null): void {
    if (!this.enabled) return;
    if (record !== null && entryCost(id, record.value.byteLength) > this.maxEntryBytes) {
      // Not kept (see the constructor): the cache no longer knows this key.
      this.delete(id);
      this.isComplete = false;
      return;
    }
    // A complete cache needs no "absent" entries: a miss already means absent.
    if (record === null && this.isComplete) {
      this.delete(id);
      return;
    }
    const value = record === null ? null : latin1(record.value);
    const cost = entryCost(id, value === null ? null : value.length);
    let node = this.nodes.get(id);
    if (node !== undefined) {
      this.bytes += cost - node.cost;
      if (node.value === null) this.absent--;
      // Not moved to the newest end: a write looked its key up (and moved it) while it was
      // prepared, a moment ago; relinking again touches three nodes for nothing.
    } else {
      node = { id, ts: null, tombstone: false, expiresAtMs: 0, value: null, cost, older: undefined, newer: undefined };
      this.nodes.set(id, node);
      this.pushNewest(node);
      this.bytes += cost;
    }
    if (value === null) this.absent++;
    node.ts = record === null ? null : record.ts;
    node.tombstone = record !== null && record.tombstone;
    node.expiresAtMs = record === null ? 0 : record.expiresAtMs;
    node.value = value;
    node.cost = cost;
    this.evict();
  }

  delete(id: string): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    this.unlink(node);
    this.bytes -= node.cost;
    if (node.value === null) this.absent--;
  }

  clear(): void {
    this.nodes.clear();
    this.oldest = this.newest = undefined;
    this.bytes = 0;
    this.absent = 0;
    this.isComplete = false;
  }

  private evict(): void {
    while (this.bytes > this.maxBytes && this.oldest !== undefined) {
      const node = this.oldest;
      this.nodes.delete(node.id);
      this.unlink(node);
      this.bytes -= node.cost;
      if (node.value !== null) this.isComplete = false;
      else this.absent--;
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

/** The bytes as a one-byte string, one char per byte (Buffer's latin1 decoding, which any Uint8Array takes). */
function latin1(bytes: Uint8Array): string {
  return (Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string).call(bytes, 0, bytes.byteLength);
}
