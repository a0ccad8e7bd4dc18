// The data path of a single node (no replication): writes and reads go to the local replica.
// Quorum parameters are still validated against the configured N, so clients see the same errors
// they will see from a cluster.
import { HybridLogicalClock, isLive, partitionOf, resolveConsistency, type StoredRecord, type Timestamp } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { KvService, ReadOptions, WriteOptions } from './kv-service.js';
import type { ReplicaStore } from './replica-store.js';

export interface LocalKvServiceDeps {
  store: ReplicaStore;
  hlc: HybridLogicalClock;
  clock: Clock;
  partitions: number;
  replicas: number;
  defaultR: number;
  defaultW: number;
}

export class LocalKvService implements KvService {
  constructor(private readonly deps: LocalKvServiceDeps) {}

  async put(key: Uint8Array, value: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }> {
    resolveConsistency(options.w, this.deps.replicas, this.deps.defaultW, 'w');
    const now = this.deps.clock.nowMs();
    const ts = this.deps.hlc.now(now);
    const expiresAtMs = options.ttlSeconds ? now + options.ttlSeconds * 1000 : 0;
    await this.deps.store.apply(partitionOf(key, this.deps.partitions), key, { ts, tombstone: false, expiresAtMs, value });
    return { ts };
  }

  async delete(key: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }> {
    resolveConsistency(options.w, this.deps.replicas, this.deps.defaultW, 'w');
    const ts = this.deps.hlc.now(this.deps.clock.nowMs());
    await this.deps.store.apply(partitionOf(key, this.deps.partitions), key, { ts, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) });
    return { ts };
  }

  async get(key: Uint8Array, options: ReadOptions): Promise<StoredRecord | undefined> {
    resolveConsistency(options.r, this.deps.replicas, this.deps.defaultR, 'r');
    const rec = await this.getLocal(key);
    return rec && isLive(rec, this.deps.clock.nowMs()) ? rec : undefined;
  }

  getLocal(key: Uint8Array): Promise<StoredRecord | undefined> {
    return this.deps.store.read(partitionOf(key, this.deps.partitions), key);
  }
}
