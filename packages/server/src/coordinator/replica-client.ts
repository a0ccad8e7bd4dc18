// How the coordinator reaches one replica, its own or a peer's: a replica write (or a hint kept
// for an owner that is down), a replica read (a reply stamped too far ahead is refused), and the
// background work still running after a request was answered, which drain() waits for.
import { type StoredRecord, type WriteTarget } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import type { NodeConfig } from '../config/config.js';
import { TimestampAheadError } from '../errors.js';
import { isPeerUnreachable } from '../peer/peer-errors.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import type { AnyRequest, ReplyOf } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { HintStore } from '../handoff/hint-store.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';
import { readReplyRecord, replicaRead, replicaWrite } from '../replica/replica-wire.js';

export interface ReplicaClientDeps {
  config: NodeConfig;
  cluster: ClusterState;
  liveness: Liveness & { report(id: string, ok: boolean): void };
  rpc: PeerRpc;
  /** Read replies stamped too far ahead of this node's clock are not used. */
  admission: RecordAdmission;
  store: ReplicaStore;
  hints: HintStore;
  clock: Clock;
  log: Logger;
  metrics: ReplicationMetrics;
}

export class ReplicaClient {
  /** Replica writes and hint stores still running after their request was answered. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: ReplicaClientDeps) {}

  /** Waits for every background replica write and hint store (before the engine closes). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Keeps `p` in the work drain() waits for. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Writes `record` to the target: its replica, or a hint for the owner it stands in for. */
  async write(partition: number, key: Uint8Array, record: StoredRecord, target: WriteTarget): Promise<void> {
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
    await this.request(target.node, replicaWrite(partition, key, record, target.hinted ? target.forNode : undefined));
  }

  /** Keeps a hint here for an owner that missed the write (never rejects: a failure is logged). */
  keepHint(partition: number, owner: string, key: Uint8Array, record: StoredRecord): Promise<void> {
    return this.track(this.deps.hints.store(partition, owner, key, record, this.deps.clock.nowMs())).then(
      () => this.deps.metrics.hintsStored.inc(),
      (err: unknown) => this.deps.log.error({ err, owner }, 'could not store hint'),
    );
  }

  /** A replica's record of the key; a peer's reply from the future rejects (a failed replica). */
  async read(partition: number, key: Uint8Array, node: string): Promise<StoredRecord | undefined> {
    if (node === this.deps.cluster.selfId) return this.deps.store.read(partition, key);
    const record = readReplyRecord(await this.request(node, replicaRead(partition, key)));
    if (record && !this.deps.admission.admits(record, 'read-reply', node)) {
      throw new TimestampAheadError(this.deps.admission.aheadMs(record), this.deps.admission.maxSkewMs);
    }
    return record;
  }

  /** A peer request; its success or unreachability is evidence for liveness. */
  private async request<B extends AnyRequest>(node: string, body: B): Promise<ReplyOf<B['type']>> {
    const { cluster, rpc, liveness, config } = this.deps;
    try {
      const reply = await rpc.request(cluster.peerOf(node), body, config.requestTimeoutMs);
      liveness.report(node, true);
      return reply;
    } catch (err) {
      if (isPeerUnreachable(err)) liveness.report(node, false);
      throw err;
    }
  }
}
