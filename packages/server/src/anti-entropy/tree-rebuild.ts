// Rebuilding one partition's tree from storage after a start (or after gaining the partition):
// page by page, each page's cost taken from the scan budget and a turn of the event loop given
// back in between, so foreground requests keep their latency. See partition-trees.ts for why a
// store barrier settles each page.
import { afterTurn, type NextTurn } from '../clock.js';
import { decodeRecordHeader, type EntryDigest, type StoredRecord } from '@ringkv/core';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { PartitionTrees } from './partition-trees.js';
import type { TokenBucket } from './token-bucket.js';

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

/** Rebuilds the tree of partition; resolves true when finished, false when abandoned. */
export async function rebuildTree(deps: RebuildDeps, partition: number): Promise<boolean> {
  const { reader, store, trees, scanBudget, pageEntries } = deps;
  const token = trees.token(partition);
  const current = (): boolean => !deps.stopped() && token !== undefined && trees.token(partition) === token;
  let after: Uint8Array | null = null;
  let skipped = 0;
  // A bound on the loop: every page but the last holds pageEntries keys and moves `after` forward.
  for (let pages = 0; pages < Number.MAX_SAFE_INTEGER; pages++) {
    await scanBudget.take(pageEntries);
    if (!current()) return false;
    const page = await reader.page(partition, after, null, pageEntries);
    if (!current()) return false;
    const digests: { key: Uint8Array; digest: EntryDigest }[] = [];
    for (const e of page.entries) {
      try {
        digests.push({ key: e.key, digest: decodeRecordHeader(e.value) });
      } catch (err) {
        // Absent, as the replica store takes it: it must not stop the whole tree, and a write or
        // a round replaces it.
        skipped++;
        deps.onCorrupt?.(partition, e.key, err);
      }
    }
    trees.addPage(partition, digests);
    const last = page.entries.length > 0 ? page.entries[page.entries.length - 1].key : null;
    await storeBarrier(store, partition);
    if (!current()) return false;
    trees.settlePage(partition, last);
    if (page.done) break;
    after = last;
    await afterTurn(deps.nextTurn);
  }
  if (skipped > 0) deps.log.warn({ partition, skipped }, 'anti-entropy rebuild skipped undecodable records');
  trees.finishRebuild(partition);
  return true;
}
