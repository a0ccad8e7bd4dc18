// Anti-entropy's scan of one partition for the keys of some buckets (those whose hashes differ),
// page by page through the partition reader, within the scan budget and the round's limits.
import { bucketOfKey } from '@ringkv/core';
import type { PartitionReader, ScannedEntry } from '../replica/partition-reader.js';

export type { ScannedEntry } from '../replica/partition-reader.js';

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
  reader: PartitionReader, partition: number, table: Uint8Array, after: Uint8Array | null, upTo: Uint8Array | null,
  limits: BucketScanLimits, beforePage: (entries: number) => Promise<void> = async () => undefined,
): Promise<BucketScan> {
  const entries: ScannedEntry[] = [];
  let bytes = 0;
  let scanned = 0;
  let cursor = after;
  for (;;) {
    const want = Math.min(limits.pageEntries, limits.scanKeys - scanned);
    await beforePage(want);
    const page = await reader.page(partition, cursor, upTo, want);
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
