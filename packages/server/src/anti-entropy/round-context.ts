// What both sides of a round work with, and the applying of a peer's entries: each record is
// checked on its own (checksum, clock), so one bad entry costs only itself.
import { ClockDriftError, decodeRecord, type HybridLogicalClock, type StoredRecord } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import type { AntiEntropyMetrics } from './ae-metrics.js';
import type { AntiEntropyOptions } from './anti-entropy-options.js';
import type { PartitionTrees } from './partition-trees.js';
import type { TokenBucket } from '../time/token-bucket.js';

export interface RoundContext {
  /** This replica's data, read only: writes go through the store. */
  reader: PartitionReader;
  store: ReplicaStore;
  trees: PartitionTrees;
  cluster: ClusterState;
  rpc: PeerRpc;
  /** Records stamped too far ahead of this node's clock are not applied. */
  admission: RecordAdmission;
  clock: Clock;
  hlc: HybridLogicalClock;
  options: AntiEntropyOptions;
  /** Entry bytes sent and received. */
  wireBudget: TokenBucket;
  /** Entries read from storage. */
  scanBudget: TokenBucket;
  metrics: AntiEntropyMetrics;
  /** Told of a peer's record that failed to decode (skipped). */
  onBadRecord?: (from: string, err: unknown) => void;
}

/** A stored record of this node, or undefined when its bytes fail to decode (counted as absent). */
export function storedRecord(bytes: Uint8Array): StoredRecord | undefined {
  try {
    return decodeRecord(bytes);
  } catch {
    return undefined;
  }
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
 * Skipped: records that fail to decode, records stamped too far ahead of this node's clock
 * (RecordAdmission), keys of another partition, and purgeable tombstones of keys absent here (see
 * purgeable). The local HLC moves past the timestamps, as for any replica write.
 */
export async function applyEntries(ctx: RoundContext, partition: number, keys: readonly Uint8Array[], records: readonly Uint8Array[], from: string): Promise<number> {
  const decoded: (StoredRecord | undefined)[] = records.map((bytes, i) => {
    let record: StoredRecord;
    try {
      record = decodeRecord(bytes);
    } catch (err) {
      ctx.onBadRecord?.(from, err);
      return undefined;
    }
    if (ctx.cluster.ring.partitionOf(keys[i]) !== partition) return undefined;
    return ctx.admission.admits(record, 'anti-entropy', from) ? record : undefined;
  });
  const absent = await Promise.all(decoded.map(async (rec, i) => rec !== undefined && purgeable(rec, ctx) && (await ctx.store.readRaw(partition, keys[i])) === undefined));
  const results = await Promise.all(keys.map((key, i) => {
    const record = decoded[i];
    if (record === undefined || absent[i]) return { applied: false };
    try {
      ctx.hlc.observe(record.ts, ctx.clock.nowMs());
    } catch (err) {
      if (!(err instanceof ClockDriftError)) throw err; // admitted already: within the bound
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
