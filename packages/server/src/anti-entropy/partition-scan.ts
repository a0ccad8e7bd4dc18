// Paged reads of one partition's data in key order. Each page is its own engine iteration (its
// own snapshot), so no iterator stays open across awaits and other work runs between pages.
import { bucketOfKey } from '@ringkv/core';
import { dataKey, partitionRange, type Engine } from '@ringkv/storage';

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

/**
 * Up to limit entries of partition with a key in (after, upTo] (null: from the first key / to the
 * last). done is true when the range holds no more entries after the last one returned.
 */
export async function readPage(
  engine: Engine, partition: number, after: Uint8Array | null, upTo: Uint8Array | null, limit: number,
): Promise<{ entries: ScannedEntry[]; done: boolean }> {
  const whole = partitionRange('data', partition);
  const gte = after ? keyAfter(partition, after) : whole.gte;
  const lt = upTo ? keyAfter(partition, upTo) : whole.lt;
  const entries: ScannedEntry[] = [];
  for await (const [k, v] of engine.iterate({ gte, lt, limit })) entries.push({ key: k.subarray(3), value: v });
  return { entries, done: entries.length < limit };
}

export interface BucketScanLimits {
  /** Stop after this many keys were read (whatever their bucket). */
  scanKeys: number;
  /** Stop once this many matching entries were collected. */
  entries: number;
  /** Stop once the matching entries hold this many bytes. */
  bytes: number;
  /** Entries per storage read. */
  pageEntries: number;
}

export interface BucketScan {
  entries: ScannedEntry[];
  /** The last key read (null if none): the next scan resumes after it. */
  last: Uint8Array | null;
  /** The range has nothing after `last`. */
  done: boolean;
  /** Keys read (for the scan budget). */
  scanned: number;
}

/**
 * The entries in (after, upTo] whose bucket is set in `table` (one byte per bucket), stopping at
 * the first limit reached. beforePage runs before each storage read (the scan budget waits there).
 */
export async function scanBuckets(
  engine: Engine, partition: number, table: Uint8Array, after: Uint8Array | null, upTo: Uint8Array | null,
  limits: BucketScanLimits, beforePage: (entries: number) => Promise<void> = async () => undefined,
): Promise<BucketScan> {
  const entries: ScannedEntry[] = [];
  let bytes = 0;
  let scanned = 0;
  let cursor = after;
  for (;;) {
    const want = Math.min(limits.pageEntries, limits.scanKeys - scanned);
    await beforePage(want);
    const page = await readPage(engine, partition, cursor, upTo, want);
    for (let i = 0; i < page.entries.length; i++) {
      const e = page.entries[i];
      scanned++;
      cursor = e.key;
      if (table[bucketOfKey(e.key, table.length)] !== 1) continue;
      entries.push(e);
      bytes += e.key.length + e.value.length;
      if (entries.length >= limits.entries || bytes >= limits.bytes) {
        const rest = i < page.entries.length - 1 || !page.done;
        return { entries, last: cursor, done: !rest, scanned };
      }
    }
    if (page.done) return { entries, last: cursor, done: true, scanned };
    if (scanned >= limits.scanKeys) return { entries, last: cursor, done: false, scanned };
  }
}
