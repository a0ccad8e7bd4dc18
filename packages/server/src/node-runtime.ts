// Everything a node is apart from its client HTTP server: storage, the cluster view, the peer
// handler, the coordinator, liveness and hinted handoff. Time, network and disk come in as
// components, so the same code runs in a real process and in the deterministic simulator.
import {
  bootstrapRaftSnapshot, decodeMembershipState, desiredVoters, encodeMembershipState, HybridLogicalClock, initialMembership, nodeTag,
  type MembershipState,
} from '@ringkv/core';
import type { Engine } from '@ringkv/storage';
import type { Clock } from './clock.js';
import { discoverSeedMembership, selfMember } from './cluster/bootstrap.js';
import { ClusterState } from './cluster/cluster-state.js';
import { PeerLiveness } from './cluster/peer-liveness.js';
import type { NodeConfig } from './config/config.js';
import { ReplicaStore } from './kv/replica-store.js';
import type { Logger } from './observability/logger.js';
import type { NodeMetrics } from './observability/metrics.js';
import type { PeerTransport } from './peer/transport.js';
import { PeerMessageType } from './peer/message-types.js';
import { MembershipService } from './membership/membership-service.js';
import { RaftDriver } from './membership/raft-driver.js';
import { loadRaftState, saveBootstrap } from './membership/raft-persistence.js';
import type { RaftMessage } from '@ringkv/core';
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
  readonly raft: RaftDriver;
  readonly membership: MembershipService;
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
    this.membership = new MembershipService({
      selfId: config.id, cluster: this.cluster, driver: () => this.raft, transport, clock, log: logger,
      changeTimeoutMs: config.membershipChangeTimeoutMs,
    });
    this.raft = new RaftDriver({
      selfId: config.id, engine, transport, clock, log: logger.child({ component: 'raft' }), random,
      addressOf: (id) => this.cluster.member(id)?.peer,
      tickMs: config.raftTickMs, electionTicks: config.raftElectionTicks, compactEvery: 100,
      onCommitted: (e) => this.membership.onCommitted(e),
      onSnapshot: (snap) => this.membership.onSnapshot(snap),
      onAfterReady: () => this.membership.afterReady(),
      snapshotData: () => this.membership.snapshotData(),
    });
    this.handler.register(PeerMessageType.Raft, (_from, body) => {
      this.raft.step(body.msg as RaftMessage);
      return { type: PeerMessageType.RaftAck };
    });
    this.handler.register(PeerMessageType.MembershipChange, (_from, body) => this.membership.handleForwarded(body));
    this.handler.register(PeerMessageType.MembershipGet, () => ({
      type: PeerMessageType.MembershipReply, state: this.membership.current ?? null,
    }));
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
    const persisted = await loadRaftState(engine);
    if (persisted) {
      const snap = persisted.snapshot();
      if (snap.data.length > 0) this.membership.restore(decodeMembershipState(snap.data));
      this.raft.start(persisted);
      logger.info({ epoch: this.membership.current?.epoch, raftIndex: persisted.lastIndex() }, 'membership restored');
    } else if (this.config.seeds.length === 0) {
      await this.found(initialMembership(this.config.partitions, this.config.replicas, [selfMember(this.config)]));
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
      const m = await discoverSeedMembership({ config: this.config, transport, clock, log: logger, cancelled: () => this.stopped });
      if (m && !this.stopped) await this.found(initialMembership(m.partitions, m.replicas, m.members));
    } catch (err) {
      logger.fatal({ err }, 'cannot form the cluster from the seeds');
      this.onFatal?.(err);
    }
  }

  /** Called when the node cannot go on (the process exits). */
  onFatal?: (err: unknown) => void;

  /**
   * Founds the membership group at epoch 1: every founder computes the same snapshot (members,
   * voters) from the same seed list, so they agree without talking first.
   */
  private async found(state: MembershipState): Promise<void> {
    const voters = desiredVoters(state, []);
    const snapshot = bootstrapRaftSnapshot(voters, encodeMembershipState(state));
    await saveBootstrap(this.components.engine, snapshot, { term: 1, vote: null, commit: 1 });
    this.membership.restore(state);
    const persisted = await loadRaftState(this.components.engine);
    this.raft.start(persisted!);
    this.components.logger.info({ epoch: state.epoch, members: state.members.map((m) => m.id), voters }, 'membership formed');
    if (state.members.length < state.replicas) {
      this.components.logger.warn(
        { members: state.members.length, replicas: state.replicas },
        'fewer members than replicas: each key lives on every member, and r/w above the member count are capped to it',
      );
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.raft.stop();
    this.liveness.stop();
    await this.handoff.stop();
    await this.bootstrapping?.catch(() => undefined);
    await this.components.transport.stop();
    // Replica sends rejected by the stopped transport turn into hints: let them land first.
    await this.coordinator.drain();
    await this.store.drain();
  }

  /** Ownership of every partition (GET /cluster/ring). */
  ringView(): unknown {
    if (!this.cluster.ready) return { epoch: 0, partitions: [] };
    const ring = this.cluster.ring;
    const partitions = Array.from({ length: ring.partitions }, (_, p) => ({ partition: p, replicas: ring.preferenceList(p) }));
    return { epoch: this.cluster.epoch, replicas: ring.replicas, partitions };
  }

  /** The cluster as GET /cluster shows it. */
  clusterView(): unknown {
    const c = this.config;
    if (!this.cluster.ready) {
      return { node: c.id, epoch: 0, leader: null, partitions: c.partitions, replicas: c.replicas, members: [], ready: false };
    }
    const m = this.cluster.membership;
    const ring = this.cluster.ring;
    const raft = this.raft.status();
    return {
      node: c.id,
      epoch: m.epoch,
      leader: raft?.leader ?? null,
      raft: raft ? { role: raft.role, term: raft.term, commit: raft.commit, voters: raft.config.voters, learners: raft.config.learners } : null,
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
