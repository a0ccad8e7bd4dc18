// What both sides of a round work with, and the applying of a peer's entries.
import { ClockDriftError, decodeRecord, type HybridLogicalClock } from '@ringkv/core';
import type { Engine } from '@ringkv/storage';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { ReplicaStore } from '../kv/replica-store.js';
import type { PeerTransport } from '../peer/transport.js';
import type { AntiEntropyMetrics } from './ae-metrics.js';
import type { AntiEntropyOptions } from './anti-entropy-options.js';
import type { PartitionTrees } from './partition-trees.js';
import type { TokenBucket } from './token-bucket.js';

export interface RoundContext {
  engine: Engine;
  store: ReplicaStore;
  trees: PartitionTrees;
  cluster: ClusterState;
  transport: PeerTransport;
  clock: Clock;
  hlc: HybridLogicalClock;
  options: AntiEntropyOptions;
  /** Entry bytes sent and received. */
  wireBudget: TokenBucket;
  /** Entries read from storage. */
  scanBudget: TokenBucket;
  metrics: AntiEntropyMetrics;
}

/**
 * A tombstone past its grace period is due for purge: handing it to a replica that holds nothing
 * for the key would only make that replica keep it (and send it back to whoever purged it first),
 * while there is no older value there for it to delete.
 */
export function purgeable(record: { ts: { wallMs: number }; tombstone: boolean }, ctx: RoundContext): boolean {
  return record.tombstone && record.ts.wallMs + ctx.options.tombstoneGraceMs <= ctx.clock.nowMs();
}

/**
 * Stores a peer's entries (last-write-wins keeps the newer) and returns how many were newer here.
 * Purgeable tombstones of keys absent here are skipped (see purgeable). The local HLC moves past
 * the timestamps, as for any replica write.
 */
export async function applyEntries(ctx: RoundContext, partition: number, keys: readonly Uint8Array[], records: readonly Uint8Array[]): Promise<number> {
  const decoded = records.map((r) => decodeRecord(r));
  const absent = await Promise.all(decoded.map(async (rec, i) => purgeable(rec, ctx) && (await ctx.store.readRaw(partition, keys[i])) === undefined));
  const results = await Promise.all(keys.map((key, i) => {
    if (absent[i]) return { applied: false };
    const record = decoded[i];
    try {
      ctx.hlc.observe(record.ts, ctx.clock.nowMs());
    } catch (err) {
      if (!(err instanceof ClockDriftError)) throw err; // the replica write path logs drift; the record still counts
    }
    return ctx.store.apply(partition, key, record);
  }));
  const applied = results.filter((r) => r.applied).length;
  if (applied > 0) ctx.metrics.keysRepaired.inc(applied);
  return applied;
}

/** The scan budget as scanBuckets' beforePage hook. */
export function scanPacer(ctx: RoundContext, wait: boolean): (entries: number) => Promise<void> {
  return async (entries) => {
    if (wait) await ctx.scanBudget.take(entries);
    else ctx.scanBudget.charge(entries);
  };
}
