// Rebuilding one partition's tree from storage after a start (or after gaining the partition):
// page by page, each page's cost taken from the scan budget and a turn of the event loop given
// back in between, so foreground requests keep their latency. See partition-trees.ts for why a
// store barrier settles each page.
//
// The pages come from one engine iteration of the whole partition, not one per page: a LevelDB
// iterator made and closed per 512 entries left ~120 MB of native memory resident after a 1M-key
// scan, one iterator ~50 MB (issue 17 item 5). One snapshot for the partition is as correct as
// one per page: the slot tracks every change notified since it was added (before the iteration
// starts), and a key changed since is skipped by the scan or corrected by its notification, with
// the barrier after each page as before (partition-trees.ts).
import { afterTurn, type NextTurn } from '../clock.js';
import { decodeRecordHeader, type EntryDigest, type StoredRecord } from '@ringkv/core';
import type { PartitionReader, ScannedPair } from '../replica/partition-reader.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { PartitionTrees } from './partition-trees.js';
import type { TokenBucket } from '../time/token-bucket.js';

/** No key is empty (keys are 1 to 1024 bytes), so a purge of it only waits for the applies before it. */
const BARRIER_KEY = new Uint8Array(0);
const BARRIER_RECORD: StoredRecord = Object.freeze({
  ts: Object.freeze({ wallMs: 0, logical: 0, node: 0 }), tombstone: true, expiresAtMs: 0, value: new Uint8Array(0),
});

/** Resolves once every apply issued before it has been stored and notified. */
export function storeBarrier(store: ReplicaStore, partition: number): Promise<unknown> {
  return store.purge(partition, BARRIER_KEY, BARRIER_RECORD);
}


export interface RebuildDeps {
  reader: PartitionReader;
  /** Between pages the rebuild lets other work run (the simulator drives these turns). */
  nextTurn: NextTurn;
  store: ReplicaStore;
  trees: PartitionTrees;
  scanBudget: TokenBucket;
  pageEntries: number;
  log: Logger;
  /** True once the node stops. */
  stopped: () => boolean;
  /** Told of each stored record that fails to decode (it is left out of the tree: absent). */
  onCorrupt?: (partition: number, key: Uint8Array, err: unknown) => void;
}

/** Bytes the engine reads ahead per call while a rebuild iterates (a few pages of small records). */
const REBUILD_BATCH_BYTES = 64 * 1024;

/** Rebuilds the tree of partition; resolves true when finished, false when abandoned. */
export async function rebuildTree(deps: RebuildDeps, partition: number): Promise<boolean> {
  const { reader, store, trees, scanBudget, pageEntries } = deps;
  const token = trees.token(partition);
  const current = (): boolean => !deps.stopped() && token !== undefined && trees.token(partition) === token;
  let skipped = 0;
  // Made after the slot (token) exists, so its snapshot is no older than the tracking.
  const batches = reader.batches(partition, null, null, REBUILD_BATCH_BYTES);
  let batch: ScannedPair[] = [];
  let at = 0;
  let exhausted = false;
  try {
    // A bound on the loop: every page but the last holds pageEntries keys.
    for (let pages = 0; pages < Number.MAX_SAFE_INTEGER; pages++) {
      await scanBudget.take(pageEntries);
      if (!current()) return false;
      const page: ScannedPair[] = [];
      while (page.length < pageEntries && !exhausted) {
        if (at === batch.length) {
          const next = await batches.next();
          if (next.done === true) exhausted = true;
          else {
            batch = next.value;
            at = 0;
          }
          continue;
        }
        const end = Math.min(batch.length, at + pageEntries - page.length);
        for (; at < end; at++) page.push(batch[at]!);
      }
      if (!current()) return false;
      const digests: { key: Uint8Array; digest: EntryDigest }[] = [];
      for (const [key, value] of page) {
        try {
          digests.push({ key, digest: decodeRecordHeader(value) });
        } catch (err) {
          // Absent, as the replica store takes it: it must not stop the whole tree, and a write or
          // a round replaces it.
          skipped++;
          deps.onCorrupt?.(partition, key, err);
        }
      }
      trees.addPage(partition, digests);
      const last = page.length > 0 ? page[page.length - 1]![0] : null;
      await storeBarrier(store, partition);
      if (!current()) return false;
      trees.settlePage(partition, last);
      if (exhausted) break;
      await afterTurn(deps.nextTurn);
    }
  } finally {
    // Closes the engine iteration when the rebuild stops early (a no-op once exhausted).
    await batches.return(undefined);
  }
  if (skipped > 0) deps.log.warn({ partition, skipped }, 'anti-entropy rebuild skipped undecodable records');
  trees.finishRebuild(partition);
  return true;
}
