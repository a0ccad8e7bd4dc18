// The coordinator: any node takes any client request and runs it against the key's replicas.
// This file is the KvService the HTTP edge calls: it checks the request (consistency level,
// readiness, the clock for writes), stamps writes, and hands them to the write path or the read
// path (write-path.ts, read-path.ts), which end through one quorum request (quorum-request.ts)
// and reach replicas through the replica client (replica-client.ts).
//
// Calling convention: every method returns a promise and never throws (a failure rejects).
import { isLive, resolveConsistency, type HybridLogicalClock, type StoredRecord, type Timestamp } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import type { NodeConfig } from '../config/config.js';
import { NotReadyError, type ClockSkewError } from '../errors.js';
import type { KvService, ReadOptions, WriteOptions } from './kv-service.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { HintStore } from '../handoff/hint-store.js';
import type { HlcCeiling } from './hlc-ceiling.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';
import { QuorumRequests } from './quorum-request.js';
import { ReplicaClient } from './replica-client.js';
import { ReadPath } from './read-path.js';
import { WritePath } from './write-path.js';

export interface CoordinatorDeps {
  config: NodeConfig;
  cluster: ClusterState;
  liveness: Liveness & { report(id: string, ok: boolean): void };
  rpc: PeerRpc;
  /** Read replies stamped too far ahead of this node's clock are not used. */
  admission: RecordAdmission;
  /** Why this node may not coordinate writes now (its clock), or undefined when it may. */
  writeGate: () => ClockSkewError | undefined;
  store: ReplicaStore;
  hints: HintStore;
  hlc: HybridLogicalClock;
  /** Issues write timestamps that never go back across a restart. */
  stamps: HlcCeiling;
  clock: Clock;
  log: Logger;
  metrics: ReplicationMetrics;
}

export class Coordinator implements KvService {
  private readonly replicas: ReplicaClient;
  private readonly writes: WritePath;
  private readonly reads: ReadPath;
  /** Reads and writes coordinated here, per partition (wrapping counters; the console takes rates of them). */
  readonly opsByPartition: Uint32Array;

  constructor(private readonly deps: CoordinatorDeps) {
    this.opsByPartition = new Uint32Array(deps.config.partitions);
    const requests = new QuorumRequests(new DeadlineQueue(deps.clock, deps.config.requestTimeoutMs), deps.metrics);
    this.replicas = new ReplicaClient(deps);
    const paths = { cluster: deps.cluster, liveness: deps.liveness, requests, replicas: this.replicas, metrics: deps.metrics };
    this.writes = new WritePath({ ...paths, hintsOn: deps.config.hintWindowMs > 0 });
    const speculativeMs = deps.config.readSpeculativeRetryMs;
    this.reads = new ReadPath({ ...paths, speculation: speculativeMs > 0 ? new DeadlineQueue(deps.clock, speculativeMs) : undefined });
  }

  /** Waits for every background replica write and hint store (before the engine closes). */
  drain(): Promise<void> {
    return this.replicas.drain();
  }

  put(key: Uint8Array, value: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }> {
    return this.writeNew(key, options, (ts) => {
      const expiresAtMs = options.ttlSeconds ? this.deps.clock.nowMs() + options.ttlSeconds * 1000 : 0;
      return { ts, tombstone: false, expiresAtMs, value };
    });
  }

  delete(key: Uint8Array, options: WriteOptions): Promise<{ ts: Timestamp }> {
    return this.writeNew(key, options, (ts) => ({ ts, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) }));
  }

  get(key: Uint8Array, options: ReadOptions): Promise<StoredRecord | undefined> {
    try {
      const r = resolveConsistency(options.r, this.deps.config.replicas, this.deps.config.r, 'r');
      return this.read(key, r).then((rec) => (rec && isLive(rec, this.deps.clock.nowMs()) ? rec : undefined));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  getLocal(key: Uint8Array): Promise<StoredRecord | undefined> {
    try {
      this.requireReady();
      return this.deps.store.read(this.deps.cluster.ring.partitionOf(key), key);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes a record as it is (timestamp included) to the key's replicas; resolves once W acked. */
  write(key: Uint8Array, record: StoredRecord, w: number, strict: boolean): Promise<void> {
    try {
      this.requireReady();
      const p = this.deps.cluster.ring.partitionOf(key);
      this.opsByPartition[p]++;
      return this.writes.write(p, key, record, w, strict);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Reads a key from its replicas (tombstones included): the newest once R replied, with read repair. */
  read(key: Uint8Array, r: number): Promise<StoredRecord | undefined> {
    try {
      this.requireReady();
      const p = this.deps.cluster.ring.partitionOf(key);
      this.opsByPartition[p]++;
      return this.reads.read(p, key, r);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A client write: a new timestamp (after its ceiling is synced, when it must be), then the record made with it. */
  private writeNew(key: Uint8Array, options: WriteOptions, make: (ts: Timestamp) => StoredRecord): Promise<{ ts: Timestamp }> {
    try {
      const w = resolveConsistency(options.w, this.deps.config.replicas, this.deps.config.w, 'w');
      // A timestamp from a clock the cluster disagrees with could shadow later writes of the key.
      const refusal = this.deps.writeGate();
      if (refusal) {
        this.deps.metrics.countCoordinated('write', 'clock-skew');
        throw refusal;
      }
      const { ts, durable } = this.deps.stamps.issue();
      const go = () => this.write(key, make(ts), w, options.strict ?? false).then(() => ({ ts }));
      return durable ? durable.then(go) : go();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private requireReady(): void {
    if (!this.deps.cluster.ready) throw new NotReadyError('cluster membership not known yet (waiting for seeds)');
  }
}
