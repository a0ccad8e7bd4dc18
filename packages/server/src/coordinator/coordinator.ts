// The coordinator: any node takes any request and runs it against the key's replicas.
// Writes go to every replica of the preference list (down ones replaced by hinted stand-ins) and
// answer once W count; reads ask every live replica, answer with the newest once R replied, and
// write the newest back to the stale ones (read repair: those that made up R before answering,
// the rest in the background). The decisions are core/quorum's; this file does the sending.
import {
  ReadQuorum, WriteQuorum, isLive, isRingkvError, resolveConsistency,
  type HybridLogicalClock, type StoredRecord, type Timestamp, type WriteTarget,
} from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { Liveness } from '../cluster/liveness.js';
import type { NodeConfig } from '../config/config.js';
import { NotReadyError, QuorumUnavailableError, RequestTimeoutError, TimestampAheadError, type ClockSkewError } from '../errors.js';
import type { KvService, ReadOptions, WriteOptions } from '../kv/kv-service.js';
import type { ReplicaStore } from '../kv/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { AnyRequest, ReplyOf } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { HintStore } from './hint-store.js';
import type { HlcCeiling } from './hlc-ceiling.js';
import type { RecordAdmission } from './record-admission.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import { readReplyRecord, replicaRead, replicaWrite } from './wire.js';

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
  /** Replica writes and hint stores still running after their request was answered. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Timeouts of every request this node coordinates (one timer for all of them). */
  private readonly deadlines: DeadlineQueue;

  constructor(private readonly deps: CoordinatorDeps) {
    this.deadlines = new DeadlineQueue(deps.clock, deps.config.requestTimeoutMs);
  }

  /** Waits for every background replica write and hint store (before the engine closes). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
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

  /**
   * A client write: a new timestamp, then the record made with it goes to the replicas. Written
   * without async/await: on the local path this is the one promise of the request.
   */
  private writeNew(key: Uint8Array, options: WriteOptions, make: (ts: Timestamp) => StoredRecord): Promise<{ ts: Timestamp }> {
    let w: number;
    let stamp: { ts: Timestamp; durable?: Promise<void> };
    try {
      w = resolveConsistency(options.w, this.deps.config.replicas, this.deps.config.w, 'w');
      // A timestamp from a clock the cluster disagrees with could shadow later writes of the key.
      const refusal = this.deps.writeGate();
      if (refusal) {
        this.deps.metrics.countCoordinated('write', 'clock-skew');
        throw refusal;
      }
      stamp = this.deps.stamps.issue();
    } catch (err) {
      return Promise.reject(err);
    }
    const { ts, durable } = stamp;
    const result = { ts };
    const go = () => this.writeFor(key, make(ts), w, options.strict ?? false, result);
    return durable ? durable.then(go) : go();
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
    this.requireReady();
    return this.deps.store.read(this.deps.cluster.ring.partitionOf(key), key);
  }

  /** Writes a record to the key's replicas; resolves once W count. */
  write(key: Uint8Array, record: StoredRecord, w: number, strict: boolean): Promise<void> {
    return this.writeFor(key, record, w, strict, undefined);
  }

  /** write(), resolving with `result`. Never throws: every failure rejects. */
  private writeFor<T>(key: Uint8Array, record: StoredRecord, w: number, strict: boolean, result: T): Promise<T> {
    try {
      this.requireReady();
      const { cluster } = this.deps;
      const partition = cluster.ring.partitionOf(key);
      const owners = cluster.ring.preferenceList(partition);
      if (owners.length === 1 && owners[0] === cluster.selfId && cluster.pendingReplicas(partition).length === 0) {
        // This node is the key's only replica (a one-node cluster, or N=1): nothing to coordinate,
        // same answers (a failed local write is the same 503, a stuck one the same 504).
        return this.writeLocal(partition, key, record, strict, result);
      }
      return this.writeReplicas(partition, owners, key, record, w, strict).then(() => result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private writeReplicas(partition: number, owners: readonly string[], key: Uint8Array, record: StoredRecord, w: number, strict: boolean): Promise<void> {
    const { cluster, liveness, config } = this.deps;
    const ring = cluster.ring;
    const isUp = (id: string) => liveness.isUp(id);
    const hintsOn = config.hintWindowMs > 0;
    const targets: WriteTarget[] = hintsOn
      ? ring.fallbackTargets(partition, isUp)
      : owners.filter(isUp).map((node) => ({ node, hinted: false }));
    // A key has min(N, members) replicas; W counts among those (see effectiveQuorum).
    w = effectiveQuorum(w, owners.length);
    const quorum = new WriteQuorum({ targets, w, strict });
    const upfront = quorum.outcome();
    if (upfront.state === 'failed') {
      // Too few live replicas to ever reach W: refuse without writing anything (as Cassandra's
      // Unavailable), rather than leave a partial write behind a 503.
      this.deps.metrics.countCoordinated('write', 'unavailable');
      const alive = targets.filter((t) => !strict || !t.hinted).length;
      return Promise.reject(new QuorumUnavailableError('write', upfront.required, 0, { alive, replicas: owners.length, strict }));
    }
    if (hintsOn) {
      // Owners that are down with no stand-in: the coordinator keeps their hint (it does not count toward W).
      for (const owner of owners) {
        if (!isUp(owner) && !targets.some((t) => t.forNode === owner)) this.keepHint(partition, owner, key, record);
      }
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const deadline = this.deadlines.add(() => {
        if (settled) return;
        settled = true;
        this.deps.metrics.countCoordinated('write', 'timeout');
        reject(new RequestTimeoutError(config.requestTimeoutMs, { required: w, acked: quorum.acked() }));
      });
      const check = () => {
        if (settled) return;
        const outcome = quorum.outcome();
        if (outcome.state === 'pending') return;
        settled = true;
        deadline.done();
        this.deps.metrics.countCoordinated('write', outcome.state);
        if (outcome.state === 'succeeded') resolve();
        else reject(new QuorumUnavailableError('write', outcome.required, outcome.acked, { replicas: owners.length, strict }));
      };
      check();
      // Replicas a join or leave is moving this partition to: they get the write too, uncounted.
      for (const pending of cluster.pendingReplicas(partition)) {
        if (targets.some((t) => t.node === pending)) continue;
        this.track(this.sendWrite(partition, key, record, { node: pending, hinted: false }).catch(() => {
          if (hintsOn && pending !== cluster.selfId) return this.keepHint(partition, pending, key, record);
          return undefined;
        }));
      }
      for (const target of targets) {
        this.track(this.sendWrite(partition, key, record, target).then(
          () => {
            quorum.ack(target.node);
            check();
          },
          (err: unknown) => {
            quorum.fail(target.node, (err as Error).message);
            check();
            if (hintsOn) {
              const owner = target.forNode ?? target.node;
              if (owner !== cluster.selfId) return this.keepHint(partition, owner, key, record);
            }
            return undefined;
          },
        ));
      }
    });
  }

  private async sendWrite(partition: number, key: Uint8Array, record: StoredRecord, target: WriteTarget): Promise<void> {
    const { cluster, store, hints, clock } = this.deps;
    if (target.node === cluster.selfId) {
      if (target.hinted) {
        await hints.store(partition, target.forNode!, key, record, clock.nowMs());
        this.deps.metrics.hintsStored.inc();
      } else {
        await store.apply(partition, key, record);
      }
      return;
    }
    await this.peerRequest(target.node, replicaWrite(partition, key, record, target.hinted ? target.forNode : undefined));
  }

  private keepHint(partition: number, owner: string, key: Uint8Array, record: StoredRecord): Promise<void> {
    return this.track(this.deps.hints.store(partition, owner, key, record, this.deps.clock.nowMs())).then(
      () => this.deps.metrics.hintsStored.inc(),
      (err: unknown) => this.deps.log.error({ err, owner }, 'could not store hint'),
    );
  }

  /** Reads a key from its replicas: the newest once R replied, with read repair. */
  read(key: Uint8Array, r: number): Promise<StoredRecord | undefined> {
    this.requireReady();
    const { cluster, liveness, config } = this.deps;
    const ring = cluster.ring;
    const partition = ring.partitionOf(key);
    const owners = ring.preferenceList(partition);
    if (owners.length === 1 && owners[0] === cluster.selfId) {
      // The only replica is this node's: nothing to wait for, nothing to repair. A cache hit is
      // the answer as it stands: no deadline, no trip through the store.
      const cached = this.deps.store.readCached(partition, key);
      if (cached !== undefined) {
        this.deps.metrics.countCoordinated('read', 'succeeded');
        return Promise.resolve(cached ?? undefined);
      }
      return this.local<StoredRecord | undefined>('read', (done) => this.deps.store.read(partition, key).then((rec) => done(undefined, rec), (err: unknown) => done(err ?? new Error('local read failed'))), { replicas: 1 });
    }
    r = effectiveQuorum(r, owners.length);
    const quorum = new ReadQuorum({ targets: owners, r });
    const repaired = new Map<string, StoredRecord>();
    let outstanding = owners.length;
    const backgroundRepair = () => {
      if (--outstanding > 0) return;
      for (const fix of quorum.repairsNeeded()) {
        if (repaired.get(fix.node) === fix.record) continue;
        repaired.set(fix.node, fix.record);
        void this.track(this.repair(partition, key, fix.node, fix.record)).catch(() => undefined);
      }
    };
    return new Promise<StoredRecord | undefined>((resolve, reject) => {
      let settled = false;
      const deadline = this.deadlines.add(() => {
        if (settled) return;
        settled = true;
        this.deps.metrics.countCoordinated('read', 'timeout');
        reject(new RequestTimeoutError(config.requestTimeoutMs, { required: r }));
      });
      const check = () => {
        if (settled) return;
        const outcome = quorum.outcome();
        if (outcome.state === 'pending') return;
        settled = true;
        if (outcome.state === 'failed') {
          deadline.done();
          this.deps.metrics.countCoordinated('read', 'failed');
          reject(new QuorumUnavailableError('read', outcome.required, outcome.acked, { replicas: owners.length }));
          return;
        }
        // Repair the replicas that made up R before answering, so quorum reads never go backwards.
        const inR = new Set(outcome.replied);
        const now = quorum.repairsNeeded().filter((fix) => inR.has(fix.node));
        for (const fix of now) repaired.set(fix.node, fix.record);
        Promise.all(now.map((fix) => this.repair(partition, key, fix.node, fix.record))).then(
          () => {
            deadline.done();
            this.deps.metrics.countCoordinated('read', 'succeeded');
            resolve(outcome.winner);
          },
          (err: unknown) => {
            deadline.done();
            this.deps.metrics.countCoordinated('read', 'failed');
            reject(isRingkvError(err) && err.code === 'TIMEOUT' ? err : new QuorumUnavailableError('read', r, r - 1, { repairFailed: true }));
          },
        );
      };
      check();
      for (const owner of owners) {
        if (!liveness.isUp(owner)) {
          quorum.fail(owner);
          check();
          backgroundRepair();
          continue;
        }
        this.readReplica(partition, key, owner).then(
          (rec) => {
            quorum.reply(owner, rec);
            check();
            backgroundRepair();
          },
          () => {
            quorum.fail(owner);
            check();
            backgroundRepair();
          },
        );
      }
    });
  }

  /** A write this node's replica alone takes: one promise from here to the engine batch. */
  private writeLocal<T>(partition: number, key: Uint8Array, record: StoredRecord, strict: boolean, result: T): Promise<T> {
    return this.local<T>('write', (done) => this.deps.store.applyThen(partition, key, record, (err) => done(err, result)), { replicas: 1, strict });
  }

  /**
   * A request answered by this node's replica alone: bounded by the request timeout, counted, and
   * failing as a coordinated one would (503 with the details given, 504 on timeout). `start`
   * begins the work and reports its end through a callback, so no promise sits below this one.
   */
  private local<T>(op: 'read' | 'write', start: (done: (err: unknown, value?: T) => void) => void, details: Record<string, unknown>): Promise<T> {
    const { config, metrics } = this.deps;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const deadline = this.deadlines.add(() => {
        if (settled) return;
        settled = true;
        metrics.countCoordinated(op, 'timeout');
        reject(new RequestTimeoutError(config.requestTimeoutMs, { required: 1, acked: 0 }));
      });
      start((err, value) => {
        if (settled) return;
        settled = true;
        deadline.done();
        metrics.countCoordinated(op, err === undefined ? 'succeeded' : 'failed');
        if (err === undefined) resolve(value as T);
        else reject(new QuorumUnavailableError(op, 1, 0, details));
      });
    });
  }

  private async readReplica(partition: number, key: Uint8Array, node: string): Promise<StoredRecord | undefined> {
    if (node === this.deps.cluster.selfId) return this.deps.store.read(partition, key);
    const reply = await this.peerRequest(node, replicaRead(partition, key));
    const record = readReplyRecord(reply);
    // A reply from the future counts as a failed replica: not the winner, not a repair source.
    if (record && !this.deps.admission.admits(record, 'read-reply', node)) {
      throw new TimestampAheadError(this.deps.admission.aheadMs(record), this.deps.admission.maxSkewMs);
    }
    return record;
  }

  private async repair(partition: number, key: Uint8Array, node: string, record: StoredRecord): Promise<void> {
    this.deps.metrics.readRepairs.inc();
    await this.sendWrite(partition, key, record, { node, hinted: false });
  }

  private async peerRequest<B extends AnyRequest>(node: string, body: B): Promise<ReplyOf<B['type']>> {
    const { cluster, rpc, liveness, config } = this.deps;
    try {
      const reply = await rpc.request(cluster.peerOf(node), body, config.requestTimeoutMs);
      liveness.report(node, true);
      return reply;
    } catch (err) {
      if (isRingkvError(err) && (err.code === 'PEER_UNAVAILABLE' || err.code === 'PEER_HANDSHAKE_REFUSED')) liveness.report(node, false);
      throw err;
    }
  }

  private requireReady(): void {
    if (!this.deps.cluster.ready) throw new NotReadyError('cluster membership not known yet (waiting for seeds)');
  }
}

/**
 * A cluster with fewer members than N keeps min(N, members) replicas of each key, and R or W above
 * that count is capped to it (every replica answers), so a one- or two-node cluster serves with the
 * default N=3, R=W=2. The node logs a warning when its membership is smaller than N.
 */
export function effectiveQuorum(requested: number, replicasOfKey: number): number {
  return Math.max(1, Math.min(requested, replicasOfKey));
}
