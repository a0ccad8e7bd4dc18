// Purging tombstones without letting a deleted key come back. A tombstone may go once it is older
// than the grace period AND every other replica is known to hold it (or something newer): then no
// replica can hand the deleted value back. This node knows that for the tombstones it held when it
// "armed" the partition (scanned it for tombstones past grace, into a bounded candidate list):
// once a round with every other replica has completed successfully after the arming, each of
// those replicas has been compared with (and given) every record this node held then. Rounds and
// arming are ordered by a sequence number, not the wall clock, so a clock that steps back cannot
// make an earlier round look later.
//
// A tombstone past grace is not handed to a replica that holds nothing for the key (round-context
// purgeable()): otherwise the first replica to purge would get it back from the others, forever.
//
// Why not "ts older than the last round with every replica": a replica can receive a tombstone
// long after its timestamp (a late hint, read repair, another replica's round); if the rounds
// before that arrival counted, it would purge a tombstone the others never got from it.
import { decodeRecordHeader, type RecordHeader, type StoredRecord } from '@ringkv/core';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { Clock } from '../clock.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { AntiEntropyMetrics } from './ae-metrics.js';
import type { PartitionTrees } from './partition-trees.js';
import type { TokenBucket } from '../time/token-bucket.js';
import { afterTurn, type NextTurn } from '../clock.js';

export interface PurgeDeps {
  reader: PartitionReader;
  nextTurn: NextTurn;
  store: ReplicaStore;
  trees: PartitionTrees;
  clock: Clock;
  scanBudget: TokenBucket;
  metrics: AntiEntropyMetrics;
  graceMs: number;
  /** Time between two arming scans of one partition. */
  rearmMs: number;
  pageEntries: number;
  maxCandidates: number;
  /** Told of each stored record that fails to decode (skipped: it counts as absent). */
  onCorrupt?: (partition: number, key: Uint8Array, err: unknown) => void;
}

interface Armed {
  /** Sequence number taken once the scan had finished. */
  seq: number;
  atMs: number;
  candidates: { key: Uint8Array; record: StoredRecord }[];
}

export class TombstonePurger {
  private readonly armed = new Map<number, Armed>();
  private readonly lastScanMs = new Map<number, number>();

  constructor(private readonly deps: PurgeDeps) {}

  /** The armed state of a partition (status). */
  armedOf(partition: number): { candidates: number; atMs: number } | undefined {
    const a = this.armed.get(partition);
    return a && { candidates: a.candidates.length, atMs: a.atMs };
  }

  forget(partition: number): void {
    this.armed.delete(partition);
    this.lastScanMs.delete(partition);
  }

  /**
   * Scans a partition for tombstones past grace unless it is armed already, holds no tombstone, or
   * was scanned less than rearmMs ago. nextSeq gives the sequence number once the scan is done.
   */
  async arm(partition: number, nextSeq: () => number): Promise<void> {
    const { deps } = this;
    if (this.armed.has(partition) || deps.trees.tombstones(partition) === 0) return;
    const last = this.lastScanMs.get(partition);
    if (last !== undefined && deps.clock.nowMs() - last < deps.rearmMs) return;
    const token = deps.trees.token(partition);
    const cutoffMs = deps.clock.nowMs() - deps.graceMs;
    const candidates: Armed['candidates'] = [];
    let after: Uint8Array | null = null;
    for (;;) {
      await deps.scanBudget.take(deps.pageEntries);
      const page = await deps.reader.page(partition, after, null, deps.pageEntries);
      for (const e of page.entries) {
        let h: RecordHeader;
        try {
          h = decodeRecordHeader(e.value);
        } catch (err) {
          deps.onCorrupt?.(partition, e.key, err); // absent: not a tombstone to purge
          continue;
        }
        if (h.tombstone && h.ts.wallMs <= cutoffMs && candidates.length < deps.maxCandidates) {
          candidates.push({ key: e.key, record: { ts: h.ts, tombstone: true, expiresAtMs: h.expiresAtMs, value: new Uint8Array(0) } });
        }
      }
      if (page.done || candidates.length >= deps.maxCandidates) break;
      after = page.entries[page.entries.length - 1].key;
      await afterTurn(deps.nextTurn);
    }
    if (deps.trees.token(partition) !== token) return; // dropped meanwhile
    this.lastScanMs.set(partition, deps.clock.nowMs());
    if (candidates.length > 0) this.armed.set(partition, { seq: nextSeq(), atMs: deps.clock.nowMs(), candidates });
  }

  /**
   * Purges the armed candidates of a partition if syncedAfter(seq) holds (every other replica has
   * completed a round since the arming). Returns how many were deleted (a candidate rewritten since
   * is kept: purge deletes only the exact record).
   */
  async purgeIfSynced(partition: number, syncedAfter: (seq: number) => boolean): Promise<number> {
    const a = this.armed.get(partition);
    if (!a || !syncedAfter(a.seq)) return 0;
    this.armed.delete(partition);
    this.lastScanMs.delete(partition); // more may be waiting beyond the candidate cap
    let purged = 0;
    // Issued a page at a time so the store batches them, without flooding its queue.
    for (let i = 0; i < a.candidates.length; i += this.deps.pageEntries) {
      const page = a.candidates.slice(i, i + this.deps.pageEntries);
      const done = await Promise.all(page.map((c) => this.deps.store.purge(partition, c.key, c.record)));
      purged += done.filter(Boolean).length;
    }
    if (purged > 0) this.deps.metrics.tombstonesPurged.inc(purged);
    return purged;
  }
}
