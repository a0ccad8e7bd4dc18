// Everything a node is apart from its client HTTP server: storage, the cluster view, the peer
// handler, the coordinator, liveness and hinted handoff. Time, network and disk come in as
// components, so the same code runs in a real process and in the deterministic simulator.
import { HybridLogicalClock, nodeTag } from '@ringkv/core';
import type { Engine } from '@ringkv/storage';
import type { Clock } from './clock.js';
import { discoverSeedMembership, loadMembership, saveMembership, selfMember } from './cluster/bootstrap.js';
import { ClusterState } from './cluster/cluster-state.js';
import { PeerLiveness } from './cluster/peer-liveness.js';
import type { NodeConfig } from './config/config.js';
import { ReplicaStore } from './kv/replica-store.js';
import type { Logger } from './observability/logger.js';
import type { NodeMetrics } from './observability/metrics.js';
import type { PeerTransport } from './peer/transport.js';
import { Coordinator } from './replication/coordinator.js';
import { HintStore } from './replication/hint-store.js';
import { HintedHandoff } from './replication/hinted-handoff.js';
import { HlcCeiling } from './replication/hlc-ceiling.js';
import { ReplicaHandler } from './replication/replica-handler.js';
import { ReplicationMetrics } from './replication/replication-metrics.js';

export interface RuntimeComponents {
  clock: Clock;
  engine: Engine;
  transport: PeerTransport;
  logger: Logger;
  metrics: NodeMetrics;
  /** Uniform [0,1): jitter only; the simulator passes a seeded one. */
  random: () => number;
}

/** Largest clock drift accepted silently from a peer's timestamps. */
const MAX_DRIFT_MS = 60_000;

export class NodeRuntime {
  readonly cluster: ClusterState;
  readonly store: ReplicaStore;
  readonly hints: HintStore;
  readonly hlc: HybridLogicalClock;
  readonly stamps: HlcCeiling;
  readonly liveness: PeerLiveness;
  readonly coordinator: Coordinator;
  readonly handler: ReplicaHandler;
  readonly handoff: HintedHandoff;
  readonly replicationMetrics: ReplicationMetrics;
  private stopped = false;
  private bootstrapping?: Promise<void>;

  constructor(readonly config: NodeConfig, readonly components: RuntimeComponents) {
    const { clock, engine, transport, logger, metrics, random } = components;
    const sync = config.durability === 'sync';
    this.cluster = new ClusterState(config.id);
    this.store = new ReplicaStore(engine, { sync });
    this.hints = new HintStore(engine, sync);
    this.hlc = new HybridLogicalClock({ node: nodeTag(config.id), maxDriftMs: MAX_DRIFT_MS });
    this.stamps = new HlcCeiling(this.hlc, engine, clock);
    this.replicationMetrics = new ReplicationMetrics(metrics.registry);
    this.liveness = new PeerLiveness({
      cluster: this.cluster, transport, clock, intervalMs: config.gossipIntervalMs,
      timeoutMs: Math.min(config.requestTimeoutMs, config.gossipIntervalMs), random,
    });
    const shared = { config, cluster: this.cluster, store: this.store, hints: this.hints, hlc: this.hlc, clock, log: logger, metrics: this.replicationMetrics };
    this.handler = new ReplicaHandler(shared);
    this.coordinator = new Coordinator({ ...shared, liveness: this.liveness, transport, stamps: this.stamps });
    this.handoff = new HintedHandoff({
      hints: this.hints, store: this.store, cluster: this.cluster, liveness: this.liveness, transport, clock,
      log: logger, metrics: this.replicationMetrics, windowMs: config.hintWindowMs,
      intervalMs: Math.max(1000, config.gossipIntervalMs), requestTimeoutMs: config.requestTimeoutMs,
    });
    transport.setHandler(this.handler.handle);
  }

  get ready(): boolean {
    return this.cluster.ready && !this.stopped;
  }

  /** Starts the transport and the background work; membership comes from disk or the seeds. */
  async start(): Promise<void> {
    const { transport, engine, logger } = this.components;
    await this.stamps.restore();
    await transport.start();
    const saved = await loadMembership(engine);
    if (saved) {
      this.cluster.apply(saved);
      logger.info({ epoch: saved.epoch, members: saved.members.map((m) => m.id) }, 'membership loaded');
    } else if (this.config.seeds.length === 0) {
      await this.adopt({ epoch: 1, partitions: this.config.partitions, replicas: this.config.replicas, members: [selfMember(this.config)] });
    } else {
      this.bootstrapping = this.bootstrap();
    }
    this.liveness.start();
    this.handoff.start();
  }

  /** Resolves once the membership is known (tests). */
  async whenBootstrapped(): Promise<void> {
    await this.bootstrapping;
  }

  private async bootstrap(): Promise<void> {
    const { transport, clock, logger } = this.components;
    try {
      const membership = await discoverSeedMembership({ config: this.config, transport, clock, log: logger, cancelled: () => this.stopped });
      if (membership) await this.adopt(membership);
    } catch (err) {
      logger.fatal({ err }, 'cannot form the cluster from the seeds');
      this.onFatal?.(err);
    }
  }

  /** Called when the node cannot go on (the process exits). */
  onFatal?: (err: unknown) => void;

  private async adopt(membership: Parameters<ClusterState['apply']>[0]): Promise<void> {
    await saveMembership(this.components.engine, membership);
    this.cluster.apply(membership);
    this.components.logger.info({ epoch: membership.epoch, members: membership.members.map((m) => m.id) }, 'membership formed');
    if (membership.members.length < membership.replicas) {
      this.components.logger.warn(
        { members: membership.members.length, replicas: membership.replicas },
        'fewer members than replicas: each key lives on every member, and r/w above the member count are capped to it',
      );
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.liveness.stop();
    await this.handoff.stop();
    await this.bootstrapping?.catch(() => undefined);
    await this.components.transport.stop();
    // Replica sends rejected by the stopped transport turn into hints: let them land first.
    await this.coordinator.drain();
    await this.store.drain();
  }

  /** The cluster as GET /cluster shows it. */
  clusterView(): unknown {
    const c = this.config;
    if (!this.cluster.ready) {
      return { node: c.id, epoch: 0, leader: null, partitions: c.partitions, replicas: c.replicas, members: [], ready: false };
    }
    const m = this.cluster.membership;
    const ring = this.cluster.ring;
    return {
      node: c.id,
      epoch: m.epoch,
      leader: null,
      partitions: m.partitions,
      replicas: m.replicas,
      members: m.members.map((member) => {
        const owned = ring.partitionsOf(member.id);
        return {
          id: member.id, peer: member.peer, http: member.http, zone: member.zone ?? null, status: member.status,
          alive: this.liveness.isUp(member.id), partitions: owned.primary.length + owned.replica.length,
          primaries: owned.primary.length,
        };
      }),
    };
  }
}
