// A bounded least-recently-used cache of stored records, by storage key (a row cache, as
// Cassandra's and ScyllaDB's). The ReplicaStore is the only writer of data keys, so it keeps the
// cache exact: every committed winner replaces its entry. A cached `null` means "known absent",
// which spares the read-before-write of a first write and the engine trip of a 404.
//
// A cache that has held every stored key since the store was empty, and never evicted one, is
// `complete`: a key it does not hold is absent, so no lookup ever goes to the engine (the whole
// data set fits in memory, as in Redis). The first eviction ends that for the process's life.
//
// Entries are decoded records, not encodings: a write caches its winner as it is, so no write
// allocates a copy of its record for the cache (an off-heap allocation per op, measured at about
// a microsecond) and no later write decodes one back. A record's value may view a larger buffer
// (a client request as read from its socket, a peer frame): the cache charges the whole buffer
// it keeps alive, and copies a value out of a buffer much larger than itself.
//
// The byte count is what an entry costs the process, so the cap holds in RSS terms (see
// entryCost). An entry of a 100-byte value costs about 900 bytes, not 100.
import type { StoredRecord } from '@ringkv/core';

/**
 * V8 heap per entry besides its id and value bytes: the list node, the Map's slot, the record, its
 * timestamp (a heap number for wallMs) and the value's Uint8Array and ArrayBuffer objects, with the
 * heap's own slack. Measured on Node 20 after a full GC (heap total per entry, 300k entries): 480.
 */
const ENTRY_OVERHEAD_BYTES = 480;
/** A string's header; ids are one-byte strings (storageId), one byte per character. */
const STRING_HEADER_BYTES = 16;
/** A value kept on V8's heap (SMALL_VALUE_BYTES at most): its bytes' object header, rounded. */
const ON_HEAP_VALUE_OVERHEAD_BYTES = 48;
/**
 * A value off V8's heap besides its buffer's bytes: the malloc'd block and its rounding, V8's
 * BackingStore and the ArrayBuffer's tracking extension. Measured (RSS less heap total per entry,
 * values of 65 to 4000 bytes): 230 to 310.
 */
const OFF_HEAP_VALUE_OVERHEAD_BYTES = 288;
/** What hasRoomFor charges an entry besides its value's bytes (its id unknown: a typical one). */
const TYPICAL_ENTRY_BYTES = ENTRY_OVERHEAD_BYTES + STRING_HEADER_BYTES + 32 + OFF_HEAP_VALUE_OVERHEAD_BYTES;

/** The bytes an entry of this id costs with its value kept in a buffer of heldBytes (null: known absent). */
export function entryCost(id: string, heldBytes: number | null): number {
  const base = ENTRY_OVERHEAD_BYTES + STRING_HEADER_BYTES + id.length;
  if (heldBytes === null) return base;
  return base + heldBytes + (heldBytes <= SMALL_VALUE_BYTES ? ON_HEAP_VALUE_OVERHEAD_BYTES : OFF_HEAP_VALUE_OVERHEAD_BYTES);
}

/**
 * A node of the recency list. The list is linked by hand: evicting from the front of a Map in
 * insertion order leaves holes its iterator scans again on every eviction (measured: 1.5 us per
 * insert while filling, 250 us once evicting, and growing).
 */
interface Node {
  id: string;
  entry: StoredRecord | null;
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
    return node.entry;
  }

  /**
   * Caches a key's record (null: known absent). The record must not be mutated afterwards. A key
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
    const { entry, cost } = record === null ? { entry: null, cost: entryCost(id, null) } : compact(id, record);
    const old = this.nodes.get(id);
    if (old !== undefined) {
      this.bytes += cost - old.cost;
      if (old.entry === null) this.absent--;
      if (entry === null) this.absent++;
      old.entry = entry;
      old.cost = cost;
      // Not moved to the newest end: a write looked its key up (and moved it) while it was
      // prepared, a moment ago; relinking again touches three nodes for nothing.
    } else {
      const node: Node = { id, entry, cost, older: undefined, newer: undefined };
      this.nodes.set(id, node);
      this.pushNewest(node);
      this.bytes += cost;
      if (entry === null) this.absent++;
    }
    this.evict();
  }

  delete(id: string): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    this.unlink(node);
    this.bytes -= node.cost;
    if (node.entry === null) this.absent--;
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
      if (node.entry !== null) this.isComplete = false;
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

/** A value viewing a buffer larger than this many bytes beyond itself is copied out of it. */
const MAX_SHARED_SLACK_BYTES = 512;
/**
 * V8 keeps typed arrays up to this size on its own heap: copying such a value costs little and
 * pins nothing, and asking one for its `.buffer` would move it off the heap (see allocBytes).
 */
const SMALL_VALUE_BYTES = 64;

/** The record as the cache keeps it, and what it costs: its value in its own buffer unless sharing costs little. */
function compact(id: string, record: StoredRecord): { entry: StoredRecord; cost: number } {
  const v = record.value;
  if (v.byteLength > SMALL_VALUE_BYTES) {
    // The whole buffer the value keeps alive, not only the value's own bytes.
    const held = v.buffer.byteLength;
    if (held - v.byteLength <= MAX_SHARED_SLACK_BYTES) return { entry: record, cost: entryCost(id, held) };
  }
  const entry = { ts: record.ts, tombstone: record.tombstone, expiresAtMs: record.expiresAtMs, value: new Uint8Array(v) };
  return { entry, cost: entryCost(id, v.byteLength) };
}
