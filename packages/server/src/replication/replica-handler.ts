// What a node does with requests from its peers: answer pings with its self-description, store
// replica writes (or keep them as hints for another node), and read its own replica.
import { ClockDriftError, decodeRecord, type HybridLogicalClock } from '@ringkv/core';
import type { Clock } from '../clock.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { NodeConfig } from '../config/config.js';
import type { ReplicaStore } from '../kv/replica-store.js';
import type { Logger } from '../observability/logger.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody, PeerHandler, PeerIdentity } from '../peer/transport.js';
import type { HintStore } from './hint-store.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import { checkPartition, toBytes } from './wire.js';

export interface ReplicaHandlerDeps {
  config: NodeConfig;
  cluster: ClusterState;
  store: ReplicaStore;
  hints: HintStore;
  hlc: HybridLogicalClock;
  clock: Clock;
  log: Logger;
  metrics: ReplicationMetrics;
}

type Extension = (from: PeerIdentity, body: PeerBody) => Promise<PeerBody> | PeerBody;

export class ReplicaHandler {
  private readonly extensions = new Map<number, Extension>();
  private lastDriftWarnMs = 0;

  constructor(private readonly deps: ReplicaHandlerDeps) {}

  /** Other components (gossip, raft, anti-entropy) register the message types they answer. */
  register(type: number, handler: Extension): void {
    this.extensions.set(type, handler);
  }

  readonly handle: PeerHandler = async (from, body) => {
    switch (body.type) {
      case PeerMessageType.Ping:
        return this.pong();
      case PeerMessageType.ReplicaWrite:
        return this.write(body);
      case PeerMessageType.ReplicaRead:
        return this.read(body);
      default: {
        const ext = this.extensions.get(body.type);
        if (!ext) throw new TypeError(`unknown peer message type ${body.type}`);
        return ext(from, body);
      }
    }
  };

  private pong(): PeerBody {
    const { config } = this.deps;
    return {
      type: PeerMessageType.Pong, id: config.id, peer: config.advertisePeer, http: config.advertiseHttp,
      ...(config.zone ? { zone: config.zone } : {}),
      partitions: config.partitions, replicas: config.replicas, epoch: this.deps.cluster.epoch,
    };
  }

  private async write(body: PeerBody): Promise<PeerBody> {
    const partition = checkPartition(body.partition, this.deps.config.partitions);
    const key = toBytes(body.key, 'key');
    const record = decodeRecord(toBytes(body.record, 'record'));
    this.observe(record.ts);
    if (typeof body.hintFor === 'string' && body.hintFor !== this.deps.config.id) {
      await this.deps.hints.store(partition, body.hintFor, key, record, this.deps.clock.nowMs());
      this.deps.metrics.hintsStored.inc();
    } else {
      await this.deps.store.apply(partition, key, record);
    }
    return { type: PeerMessageType.ReplicaWriteAck };
  }

  private async read(body: PeerBody): Promise<PeerBody> {
    const partition = checkPartition(body.partition, this.deps.config.partitions);
    const bytes = await this.deps.store.readRaw(partition, toBytes(body.key, 'key'));
    return bytes ? { type: PeerMessageType.ReplicaReadReply, record: bytes } : { type: PeerMessageType.ReplicaReadReply };
  }

  /** Moves the local HLC past a timestamp seen from a peer (a clock far ahead is only logged). */
  private observe(ts: Parameters<HybridLogicalClock['observe']>[0]): void {
    try {
      this.deps.hlc.observe(ts, this.deps.clock.nowMs());
    } catch (err) {
      if (!(err instanceof ClockDriftError)) throw err;
      const now = this.deps.clock.nowMs();
      if (now - this.lastDriftWarnMs > 10_000) {
        this.lastDriftWarnMs = now;
        this.deps.log.warn({ details: err.details }, 'a peer clock is ahead of this node by more than the allowed drift; check NTP');
      }
    }
  }
}
