// Reading this node's replica by partition, in key order, without being able to write it: what
// anti-entropy (bucket scans, tree rebuilds, the tombstone purger) and partition streaming get
// instead of the engine. The replica store is the one writer of data keys (its record cache is
// exact only because of that), and this type is why that holds. Each page is its own engine
// iteration (its own snapshot), so no iterator stays open across awaits.
import { dataKey, keyspaceRange, partitionRange, type Engine } from '@ringkv/storage';

export interface ScannedEntry {
  /** The user key (without the partition prefix). */
  key: Uint8Array;
  /** The stored record encoding. */
  value: Uint8Array;
}

/** The first storage key after userKey within its partition: userKey followed by a zero byte. */
function keyAfter(partition: number, userKey: Uint8Array): Uint8Array {
  const k = dataKey(partition, userKey);
  const out = new Uint8Array(k.length + 1);
  out.set(k, 0);
  return out;
}

export class PartitionReader {
  constructor(private readonly engine: Pick<Engine, 'iterate'>) {}

  /**
   * The entries of partition with a key in (after, upTo] (null: from the first key / to the
   * last), in key order, at most `limit` when given.
   */
  async *entries(partition: number, after: Uint8Array | null, upTo: Uint8Array | null, limit?: number): AsyncGenerator<ScannedEntry> {
    const whole = partitionRange('data', partition);
    const gte = after ? keyAfter(partition, after) : whole.gte;
    const lt = upTo ? keyAfter(partition, upTo) : whole.lt;
    for await (const [k, v] of this.engine.iterate({ gte, lt, ...(limit !== undefined ? { limit } : {}) })) {
      yield { key: k.subarray(3), value: v };
    }
  }

  /** Up to `limit` entries of (after, upTo]; done when the range holds nothing after them. */
  async page(partition: number, after: Uint8Array | null, upTo: Uint8Array | null, limit: number): Promise<{ entries: ScannedEntry[]; done: boolean }> {
    const entries: ScannedEntry[] = [];
    for await (const e of this.entries(partition, after, upTo, limit)) entries.push(e);
    return { entries, done: entries.length < limit };
  }

  /** Whether the replica holds no data at all. */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.engine.iterate({ ...keyspaceRange('data'), limit: 1 })) return false;
    return true;
  }
}
