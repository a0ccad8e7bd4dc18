// Reading this node's replica by partition, in key order, without being able to write it: what
// anti-entropy (bucket scans, tree rebuilds, the tombstone purger) and partition streaming get
// instead of the engine. The replica store is the one writer of data keys (its record cache is
// exact only because of that), and this type is why that holds. Reads go through the engine's
// batched iteration (one call into the engine per batch, not one promise per entry); each page or
// batch iteration is its own engine snapshot, and none is left open once its caller is done.
import { BATCH_BYTES_MAX, dataKey, keyspaceRange, parseDataKey, partitionRange, type Engine, type KeyRange } from '@ringkv/storage';

export interface ScannedEntry {
  /** The user key (without the partition prefix). */
  key: Uint8Array;
  /** The stored record encoding. */
  value: Uint8Array;
}

/** [user key, stored record encoding], as batches() hands them out. */
export type ScannedPair = [key: Uint8Array, value: Uint8Array];

/** Bytes of the partition prefix in front of a user key in a data key (keys.ts). */
const DATA_PREFIX_BYTES = 3;

/** Entries a page reads per call into the engine, at most (the engine's own bound is higher). */
const PAGE_BATCH_ENTRIES = 4096;

/** The first storage key after userKey within its partition: userKey followed by a zero byte. */
function keyAfter(partition: number, userKey: Uint8Array): Uint8Array {
  const k = dataKey(partition, userKey);
  const out = new Uint8Array(k.length + 1);
  out.set(k, 0);
  return out;
}

export class PartitionReader {
  constructor(private readonly engine: Pick<Engine, 'iterate' | 'iterateBatches'>) {}

  /**
   * The entries of partition with a key in (after, upTo] (null: from the first key / to the
   * last), in key order, in batches of about batchBytes (each ends with the entry that reaches
   * it; never empty), at most `limit` entries in all when given. One engine snapshot throughout.
   * The arrays are the caller's (the engine made them for this call).
   */
  async *batches(partition: number, after: Uint8Array | null, upTo: Uint8Array | null, batchBytes: number, limit?: number): AsyncGenerator<ScannedPair[]> {
    const range = this.range(partition, after, upTo);
    const batchEntries = limit !== undefined && limit > 0 ? Math.min(limit, PAGE_BATCH_ENTRIES) : PAGE_BATCH_ENTRIES;
    for await (const batch of this.engine.iterateBatches({ ...range, batchBytes, batchEntries, ...(limit !== undefined ? { limit } : {}) })) {
      // In place: the engine's pair arrays become [user key, value].
      for (const entry of batch) entry[0] = entry[0].subarray(DATA_PREFIX_BYTES);
      yield batch;
    }
  }

  /**
   * The entries of (after, upTo] one at a time, at most `limit` when given; for callers that
   * stop early after few entries (batches() reads ahead).
   */
  async *entries(partition: number, after: Uint8Array | null, upTo: Uint8Array | null, limit?: number): AsyncGenerator<ScannedEntry> {
    for await (const [k, v] of this.engine.iterate({ ...this.range(partition, after, upTo), ...(limit !== undefined ? { limit } : {}) })) {
      yield { key: k.subarray(DATA_PREFIX_BYTES), value: v };
    }
  }

  /** Up to `limit` entries of (after, upTo]; done when the range holds nothing after them. */
  async page(partition: number, after: Uint8Array | null, upTo: Uint8Array | null, limit: number): Promise<{ entries: ScannedEntry[]; done: boolean }> {
    const entries: ScannedEntry[] = [];
    if (limit !== 0) {
      // Bounded by the count: a page is as many entries as asked, whatever their size.
      for await (const batch of this.batches(partition, after, upTo, BATCH_BYTES_MAX, limit)) {
        for (const [key, value] of batch) entries.push({ key, value });
      }
    }
    return { entries, done: entries.length < limit };
  }

  /**
   * The first partition from `from` on that holds a key, or null when none does: one engine
   * iteration of a single entry, however many partitions are empty.
   */
  async firstPartitionWithData(from: number): Promise<number | null> {
    const range = { gte: partitionRange('data', from).gte, lt: keyspaceRange('data').lt, limit: 1 };
    for await (const [k] of this.engine.iterate(range)) return parseDataKey(k).partition;
    return null;
  }

  /** Whether the replica holds no data at all. */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.engine.iterate({ ...keyspaceRange('data'), limit: 1 })) return false;
    return true;
  }

  private range(partition: number, after: Uint8Array | null, upTo: Uint8Array | null): KeyRange {
    const whole = partitionRange('data', partition);
    return { gte: after ? keyAfter(partition, after) : whole.gte, lt: upTo ? keyAfter(partition, upTo) : whole.lt };
  }
}
