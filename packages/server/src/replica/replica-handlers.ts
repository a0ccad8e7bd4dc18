// What a node answers on the replication path: pings (its self-description and wall clock),
// replica writes (stored, or kept as a hint for another member) and replica reads. Each request
// arrives decoded; here the rules that need the cluster view are checked: the key belongs to the
// partition it claims, this node replicates that partition (or the write is a hint for a member),
// and the record is not stamped from the future (RecordAdmission).
import { decodeRecord, type HybridLogicalClock } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import { replicates } from '../membership/partition-access.js';
import type { NodeConfig } from '../config/config.js';
import { NotReadyError } from '../errors.js';
import type { ReplicaStore } from './replica-store.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerIdentity } from '../peer/transport.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { RequestOf } from '../protocol/peer-messages.js';
import type { HintStore } from '../handoff/hint-store.js';
import type { RecordAdmission } from './record-admission.js';
import type { ReplicationMetrics } from '../observability/replication-metrics.js';

export interface ReplicaHandlerDeps {
  config: NodeConfig;
  cluster: ClusterState;
  store: ReplicaStore;
  hints: HintStore;
  hlc: HybridLogicalClock;
  clock: Clock;
  admission: RecordAdmission;
  metrics: ReplicationMetrics;
}

export function registerReplicaHandlers(router: PeerRouter, deps: ReplicaHandlerDeps): void {
  const { config, cluster } = deps;

  router.on(T.Ping, 'anyone', () => ({
    type: T.Pong, id: config.id, peer: config.advertisePeer, http: config.advertiseHttp,
    ...(config.zone ? { zone: config.zone } : {}),
    partitions: config.partitions, replicas: config.replicas, epoch: cluster.epoch, nowMs: deps.clock.nowMs(),
  }));

  /** The partition, checked against the key and against what this node replicates. */
  const partitionFor = (from: PeerIdentity, type: number, partition: number, key: Uint8Array, hint: boolean): number => {
    if (!cluster.ready) throw new NotReadyError('the membership is not known yet');
    const actual = cluster.ring.partitionOf(key);
    if (actual !== partition) router.refuse(from, type, `the key belongs to partition ${actual}, not ${partition}`);
    if (!hint && !replicates(cluster, config.id, partition)) {
      router.refuse(from, type, `${config.id} does not replicate partition ${partition} at epoch ${cluster.epoch}`);
    }
    return partition;
  };

  // A member removed lately still hands its hints over (they may be the only copy of a write).
  const memberOrFormer = (from: PeerIdentity) => !cluster.ready || cluster.member(from.id)?.peer === from.address || cluster.wasMember(from.id, from.address);
  router.on(T.ReplicaWrite, memberOrFormer, async (from, msg: RequestOf<typeof T.ReplicaWrite>) => {
    const hintFor = msg.hintFor;
    const hint = hintFor !== undefined && hintFor !== config.id;
    const partition = partitionFor(from, T.ReplicaWrite, msg.partition, msg.key, hint);
    if (hint && !cluster.member(hintFor)) router.refuse(from, T.ReplicaWrite, `hint for ${hintFor}, which is not a member`);
    const record = decodeRecord(msg.record);
    deps.admission.require(record, hint ? 'hint' : 'replica-write', from.id);
    // Admitted, so at most maxClockSkewMs ahead: the HLC moves past it without drifting far.
    deps.hlc.observe(record.ts, Math.max(deps.clock.nowMs(), 0));
    if (hint) {
      await deps.hints.store(partition, hintFor, msg.key, record, deps.clock.nowMs());
      deps.metrics.hintsStored.inc();
    } else {
      await deps.store.apply(partition, msg.key, record);
    }
    return { type: T.ReplicaWriteAck };
  });

  router.on(T.ReplicaRead, 'member', async (from, msg: RequestOf<typeof T.ReplicaRead>) => {
    const partition = partitionFor(from, T.ReplicaRead, msg.partition, msg.key, false);
    const bytes = await deps.store.readRaw(partition, msg.key);
    return bytes ? { type: T.ReplicaReadReply, record: bytes } : { type: T.ReplicaReadReply };
  });
}
