// Everything a node is apart from its client HTTP server: storage, the cluster view, the peer
// handler, the coordinator, liveness and hinted handoff. Time, network and disk come in as
// components, so the same code runs in a real process and in the deterministic simulator.
import {
  bootstrapRaftSnapshot, decodeMembershipState, desiredVoters, emptyRaftSnapshot, encodeMembershipState, EMPTY_RAFT_HARD_STATE,
  HybridLogicalClock, initialMembership, type Prng, isRingkvError, nodeTag, type MembershipCommand, type MembershipState,
} from '@ringkv/core';
import { keyspaceRange, type Engine } from '@ringkv/storage';
import { MembershipChangeRefusedError } from './membership/membership-errors.js';
import { attachAntiEntropy, type AntiEntropy } from './anti-entropy/index.js';
import type { Clock } from './clock.js';
import { discoverSeedMembership, selfMember } from './membership/bootstrap.js';
import { BackgroundPacer } from './time/background-pacer.js';
import { LOOP_LAG_SAMPLE_MS } from './time/loop-lag.js';
import { ClockGate } from './time/clock-gate.js';
import { registerClockMetrics } from './time/clock-metrics.js';
import { ClockOffsets } from './time/clock-offsets.js';
import { ClusterState } from './membership/cluster-state.js';
import { inlineRingAssigner, type RingAssigner } from './membership/ring-assigner.js';
import { GossipService } from './liveness/gossip-service.js';
import type { NodeConfig } from './config/config.js';
import { ReplicaStore } from './replica/replica-store.js';
import { PartitionReader } from './replica/partition-reader.js';
import { MetaStore } from './meta-store.js';
import type { Logger } from './observability/logger.js';
import type { NodeMetrics } from './observability/metrics.js';
import type { PeerIdentity, PeerTransport } from './peer/transport.js';
import type { RemoteIdentity } from './peer/handshake.js';
import type { PeerStanding } from './peer/ws-transport-options.js';
import { PeerMessageType } from './peer/message-types.js';
import { PeerProtocol } from './protocol/peer-protocol.js';
import { PeerRouter } from './protocol/peer-router.js';
import { PeerRpc } from './protocol/peer-rpc.js';
import { registerMembershipHandlers } from './membership/membership-handlers.js';
import { MembershipService } from './membership/membership-service.js';
import { checkRemoval } from './membership/removal-guard.js';
import { RaftDriver } from './membership/raft-driver.js';
import { loadRaftState, saveBootstrap } from './membership/raft-persistence.js';
import { Coordinator } from './coordinator/coordinator.js';
import { HintStore } from './handoff/hint-store.js';
import { HintedHandoff } from './handoff/hint-handoff.js';
import { ceilingStepMs, HlcCeiling } from './coordinator/hlc-ceiling.js';
import { RecordAdmission } from './replica/record-admission.js';
import { registerReplicaHandlers } from './replica/replica-handlers.js';
import { ReplicationMetrics } from './observability/replication-metrics.js';
import type { RaftMetrics } from './observability/raft-metrics.js';
import { registerRuntimeMetrics } from './observability/runtime-metrics.js';
import { registerRecordCacheMetrics } from './replica/record-cache-metrics.js';
import { TopologyManager } from './handoff/topology-manager.js';
import { immediateTurn, sleepOn, type NextTurn } from './clock.js';
import { NodeConsole } from './console/node-console.js';

export interface RuntimeComponents {
  clock: Clock;
  engine: Engine;
  transport: PeerTransport;
  logger: Logger;
  metrics: NodeMetrics;
  /** This node's seeded generator: every random choice forks from it (the simulator seeds it from the run's seed). */
  prng: Prng;
  /** Where batching components take their next turn (default setImmediate; the simulator passes its own). */
  nextTurn?: NextTurn;
  /** Overrides of anti-entropy options (tools and the simulator's checker self-tests). */
  antiEntropy?: Partial<import('./anti-entropy/anti-entropy-options.js').AntiEntropyOptions>;
  /** The engine's bytes on disk, for the console (absent: not measured, e.g. the memory engine). */
  diskBytes?: () => Promise<number>;
  /** The event loop's lag, sampled (absent, as in the simulator: background work is not paced). */
  loopLag?: { onSample(fn: (lagMs: number) => void): void };
  /** Computes the ring of each epoch (default: on the spot; a node passes one with a worker thread). */
  ringAssigner?: RingAssigner;
}

export class NodeRuntime {
  readonly cluster: ClusterState;
  readonly store: ReplicaStore;
  /** Where batching and long scans take their next turn. */
  readonly nextTurn: NextTurn;
  /** This replica's data, read only, by partition (anti-entropy and streaming read here). */
  readonly partitions: PartitionReader;
  /** The node's named metadata (HLC ceiling, stream progress). */
  readonly meta: MetaStore;
  readonly hints: HintStore;
  readonly hlc: HybridLogicalClock;
  readonly stamps: HlcCeiling;
  readonly liveness: GossipService;
  readonly coordinator: Coordinator;
  /** The peer protocol: every request is decoded against its schema before a handler runs. */
  readonly protocol: PeerProtocol;
  readonly router: PeerRouter;
  readonly rpc: PeerRpc;
  readonly admission: RecordAdmission;
  readonly clockOffsets: ClockOffsets;
  readonly clockGate: ClockGate;
  readonly handoff: HintedHandoff;
  /** Paces streams, anti-entropy and hint hand-off by the event loop's lag. */
  readonly pacer: BackgroundPacer;
  readonly replicationMetrics: ReplicationMetrics;
  readonly raft: RaftDriver;
  readonly membership: MembershipService;
  readonly antiEntropy: AntiEntropy;
  readonly topology: TopologyManager;
  /** The console's server side: this node's own part, its traffic history and the cluster views. */
  readonly console: NodeConsole;
  private readonly raftMetrics: RaftMetrics;
  /** Hints dropped per target since start (the console's), bounded like the targets' own map. */
  private readonly hintsDroppedTo = new Map<string, number>();
  private stopped = false;
  private bootstrapping?: Promise<void>;
  /** Addresses of Raft peers as they identified themselves in the handshake. */
  private readonly raftPeers = new Map<string, string>();

  constructor(readonly config: NodeConfig, readonly components: RuntimeComponents) {
    const { clock, engine, transport, logger, metrics, prng } = components;
    const nextTurn = (this.nextTurn = components.nextTurn ?? immediateTurn);
    const sync = config.durability === 'sync';
    const assigner = components.ringAssigner ?? inlineRingAssigner;
    this.cluster = new ClusterState(config.id, assigner);
    this.replicationMetrics = new ReplicationMetrics(metrics.registry);
    const corrupt = (keyspace: 'data' | 'hints') => (err: unknown) => {
      this.replicationMetrics.corruptEntries.inc({ keyspace });
      this.rateLimitedWarn(`corrupt-${keyspace}`, { err: (err as Error)?.message ?? String(err) }, `a stored ${keyspace === 'data' ? 'record' : 'hint'} failed its checksum or format: it counts as absent (the next write replaces it)`);
    };
    this.store = new ReplicaStore(engine, {
      sync, cacheBytes: config.cacheMb * 1024 * 1024, maxQueueBytes: config.maxApplyQueueBytes,
      onCorrupt: (_p, _k, err) => corrupt('data')(err), nextTurn,
    });
    this.partitions = new PartitionReader(engine);
    this.meta = new MetaStore(engine);
    this.hints = new HintStore(engine, {
      sync, maxBytesPerTarget: config.maxHintBytesPerTarget,
      onCorrupt: (_key, err) => corrupt('hints')(err),
      onDropped: (target, reason) => {
        this.replicationMetrics.hintsDropped.inc({ reason });
        if (target !== undefined && (this.hintsDroppedTo.has(target) || this.hintsDroppedTo.size < 4096)) {
          this.hintsDroppedTo.set(target, (this.hintsDroppedTo.get(target) ?? 0) + 1);
        }
        if (reason === 'quota') this.rateLimitedWarn(`hint-quota-${target}`, { target, maxBytes: config.maxHintBytesPerTarget }, 'hints for this target passed their byte quota: new ones are dropped (anti-entropy repairs them)');
      },
    });
    // Remote timestamps are admitted only within the bound, so the HLC never runs further ahead.
    this.hlc = new HybridLogicalClock({ node: nodeTag(config.id), maxDriftMs: config.maxClockSkewMs });
    this.stamps = new HlcCeiling(this.hlc, this.meta, clock, ceilingStepMs(config.maxClockSkewMs));
    registerRecordCacheMetrics(metrics.registry, this.store.cache);
    this.protocol = new PeerProtocol({ partitions: config.partitions, maxKeyBytes: config.maxKeyBytes, maxValueBytes: config.maxValueBytes });
    this.router = new PeerRouter({
      protocol: this.protocol, isMember: (from) => this.isMember(from), log: logger.child({ component: 'peer' }),
      onRefused: (code) => this.replicationMetrics.peerRequestsRefused.inc({ code }),
    });
    this.rpc = new PeerRpc(transport, this.protocol);
    this.admission = new RecordAdmission({ clock, maxSkewMs: config.maxClockSkewMs, log: logger, refused: this.replicationMetrics.recordsRefused });
    this.clockOffsets = new ClockOffsets(clock, config.maxClockSkewMs);
    registerReplicaHandlers(this.router, {
      config, cluster: this.cluster, store: this.store, hints: this.hints, hlc: this.hlc, clock, admission: this.admission, metrics: this.replicationMetrics,
    });
    const shared = { config, cluster: this.cluster, store: this.store, hints: this.hints, hlc: this.hlc, clock, log: logger, metrics: this.replicationMetrics };
    // Liveness by gossip; it never adds members (the Raft log does) and never changes ownership.
    this.liveness = new GossipService({
      selfId: config.id,
      self: { peer: config.advertisePeer, http: config.advertiseHttp, ...(config.zone ? { zone: config.zone } : {}) },
      clock, rpc: this.rpc, router: this.router, protocol: this.protocol, offsets: this.clockOffsets,
      members: () => (this.cluster.ready ? this.cluster.membership.members : []),
      epoch: () => this.cluster.epoch,
      // A peer is ahead (this node missed Raft traffic, e.g. behind a partition): fetch its
      // membership and serve with it now; the assignment travels with it, so the ring matches.
      onHigherEpoch: (fromId, epoch, hint) => void this.fetchEpoch(fromId, epoch, hint.peer),
      onRefusedAsNonMember: () => void this.membership.checkOwnRemoval(),
      intervalMs: config.gossipIntervalMs, fanout: config.gossipFanout, phiThreshold: config.phiThreshold,
      timeoutMs: Math.min(config.requestTimeoutMs, config.gossipIntervalMs),
      prng: prng.fork('gossip'), logger: logger.child({ component: 'gossip' }),
    });
    this.clockGate = new ClockGate({
      clock, offsets: this.clockOffsets, hlc: this.hlc,
      livePeers: () => this.cluster.others().map((m) => m.id).filter((id) => this.liveness.isUp(id)),
    });
    registerClockMetrics(metrics.registry, this.clockOffsets, this.clockGate, () => this.cluster.others().map((m) => m.id), config.maxClockSkewMs);
    this.cluster.onChange((m) => {
      this.clockOffsets.retain(new Set(m.members.map((x) => x.id)));
      if (m.members.length === 1 && m.members[0]!.id === config.id) this.clockOffsets.markAlone();
    });
    this.coordinator = new Coordinator({
      ...shared, liveness: this.liveness, rpc: this.rpc, stamps: this.stamps, admission: this.admission,
      writeGate: () => this.clockGate.refusal(),
    });
    this.pacer = new BackgroundPacer({ clock, targetLagMs: config.backgroundLagTargetMs, sampleMs: LOOP_LAG_SAMPLE_MS });
    components.loopLag?.onSample((lagMs) => this.pacer.observe(lagMs));
    this.handoff = new HintedHandoff({
      hints: this.hints, store: this.store, cluster: this.cluster, liveness: this.liveness, rpc: this.rpc, clock, pace: this.pacer,
      log: logger, metrics: this.replicationMetrics, windowMs: config.hintWindowMs,
      intervalMs: Math.max(1000, config.gossipIntervalMs), requestTimeoutMs: config.requestTimeoutMs,
    });
    this.membership = new MembershipService({
      selfId: config.id, cluster: this.cluster, driver: () => this.raft, rpc: this.rpc, clock, log: logger,
      changeTimeoutMs: config.membershipChangeTimeoutMs, assigner,
    });
    this.raft = new RaftDriver({
      selfId: config.id, engine, rpc: this.rpc, clock, log: logger.child({ component: 'raft' }), random: prng.forkedRandom('raft'),
      // A joining node has no membership yet: it answers the leader at the address it heard it from.
      addressOf: (id) => this.cluster.member(id)?.peer ?? this.raftPeers.get(id),
      tickMs: config.raftTickMs, electionTicks: config.raftElectionTicks, compactEvery: 100, maxUncommitted: config.raftMaxUncommitted,
      onCommitted: (e) => this.membership.onCommitted(e),
      onSnapshot: (snap) => this.membership.onSnapshot(snap),
      onAfterReady: () => {
        this.membership.afterReady();
        this.raftMetrics.sawLeader(this.raft.leader());
      },
      snapshotData: () => this.membership.snapshotData(),
    });
    registerMembershipHandlers(this.router, {
      selfId: config.id, cluster: this.cluster, membership: this.membership, raft: this.raft,
      isMember: (from) => this.isMember(from), raftPeers: this.raftPeers, maxRaftPeers: config.maxRaftPeerAddresses,
    });
    this.topology = new TopologyManager({
      selfId: config.id, cluster: this.cluster, change: (cmd) => this.membership.change(cmd, { force: true }), store: this.store, reader: this.partitions, meta: this.meta,
      rpc: this.rpc, router: this.router, admission: this.admission,
      liveness: this.liveness, clock, log: logger.child({ component: 'topology' }),
      bytesPerSec: config.streamBytesPerSec, pace: this.pacer, chunkBytes: config.streamChunkBytes, requestTimeoutMs: config.requestTimeoutMs,
      parallelPartitions: config.streamParallelPartitions, windowChunks: config.streamWindowChunks, maxKeyBytes: config.maxKeyBytes, maxValueBytes: config.maxValueBytes,
      handOverHints: () => this.handoff.handOver(),
    });
    this.antiEntropy = attachAntiEntropy(this, components.antiEntropy);
    this.console = new NodeConsole({
      selfId: config.id, clock, cluster: this.cluster, liveness: this.liveness, clockOffsets: this.clockOffsets, hints: this.hints, assigner,
      handoff: this.handoff, hintsDropped: () => this.hintsDroppedTo, topology: this.topology, antiEntropy: this.antiEntropy,
      antiEntropyActive: config.antiEntropy === 'active' && this.antiEntropy.options.manual !== true,
      antiEntropyIntervalMs: this.antiEntropy.options.intervalMs, rpc: this.rpc, router: this.router, config,
      leader: () => this.raft.status()?.leader ?? null, kvLatency: metrics.kvLatency.histogram,
      opsByPartition: this.coordinator.opsByPartition, hintsDelivered: () => this.handoff.deliveredTo,
      ...(components.diskBytes ? { diskBytes: components.diskBytes } : {}),
    });
    this.raftMetrics = registerRuntimeMetrics(this, metrics.registry).raft;
    transport.setHandler(this.router.handle);
  }

  private readonly warnedAt = new Map<string, number>();

  /** A warning at most once a minute per key (a flood of one condition is one line a minute). */
  private rateLimitedWarn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.components.clock.nowMs();
    const last = this.warnedAt.get(key);
    if (last !== undefined && now - last < 60_000) return;
    if (this.warnedAt.size > 256) this.warnedAt.clear();
    this.warnedAt.set(key, now);
    this.components.logger.warn(fields, message);
  }

  /** A sender is a member: listed in the membership this node serves, at the address it proved. */
  isMember(from: PeerIdentity): boolean {
    // Without a membership (bootstrapping, joining) a node cannot tell: it answers anyone who
    // proved the secret, as it must to form or join the cluster.
    if (!this.cluster.ready) return true;
    // A fresh node joining another cluster (joinVia) holds its own one-member membership until the
    // leader's arrives: meanwhile it answers anyone who proved the secret too, or it would refuse
    // the leader's Raft messages that bring that membership.
    if (this.joiningVia && this.cluster.membership.members.length === 1) return true;
    return this.cluster.member(from.id)?.peer === from.address;
  }

  /** What an authenticated peer is to this node's transport (see PeerStanding). */
  classifyPeer(peer: RemoteIdentity): PeerStanding {
    return this.isMember(peer) ? 'member' : 'guest';
  }

  /** The member this node expects at a peer address it dials (undefined before a membership). */
  expectedIdAt(address: string): string | undefined {
    if (!this.cluster.ready) return undefined;
    return this.cluster.membership.members.find((m) => m.peer === address)?.id;
  }

  /**
   * A membership change an operator asked for (the admin API): a `remove` of a member that is
   * alive, or while a previous change is still being caught up on, is refused unless forced.
   */
  changeByOperator(cmd: MembershipCommand, force: boolean): Promise<{ epoch: number }> {
    return this.membership.change(cmd, {
      force,
      precheck: async (c, deadlineMs) => {
        if (c.op !== 'remove') return;
        await checkRemoval({
          selfId: this.config.id, cluster: this.cluster, liveness: this.liveness, hears: (id) => this.liveness.hears(id), rpc: this.rpc, clock: this.components.clock,
          requestTimeoutMs: this.config.requestTimeoutMs, ownStatus: () => this.topology.status(),
        }, c.id, deadlineMs);
      },
    }).then((r) => ({ epoch: r.epoch }));
  }

  /** Serving: the membership is known and this node holds what it owns (not joining, not gone). */
  get ready(): boolean {
    return this.readinessReason() === undefined;
  }

  /**
   * Why the node is not ready (undefined when it is), for /ready. Anti-entropy trees being rebuilt
   * are not a reason (a scan of the whole store: ~50 s at 10M keys): reads and writes go to the
   * store, the trees only summarise it for repair rounds, which wait for a partition's tree.
   */
  readinessReason(): string | undefined {
    if (this.stopped) return 'stopped';
    if (!this.cluster.ready) return this.joining ? 'joining the cluster through the seeds' : 'waiting for the seeds to form the cluster';
    const storeDown = this.store.unavailableReason;
    if (storeDown) return `storage: ${storeDown}`;
    if (this.topology.left) return 'decommissioned';
    if (this.topology.removed) return 'decommissioned; handing its hints over';
    const status = this.cluster.member(this.config.id)?.status;
    if (status === 'joining') return `joining: receiving partitions (${this.topology.progress.partitionsDone}/${this.topology.progress.partitionsTotal})`;
    if (status !== 'normal' && status !== 'leaving') return status ? `member status ${status}` : 'not a member of the cluster';
    const clock = this.clockGate.verdict();
    if (clock.state !== 'ok') return `clock: ${clock.reason}`;
    return undefined;
  }

  private joining = false;
  /** Set by joinVia: this fresh node is joining another cluster from a membership of its own. */
  private joiningVia = false;

  /** Starts the transport and the background work; membership comes from disk or the seeds. */
  async start(): Promise<void> {
    const { transport, engine, logger } = this.components;
    await this.store.open();
    await this.hints.open();
    await this.stamps.restore();
    await transport.start();
    const persisted = await loadRaftState(engine);
    if (persisted) {
      const snap = persisted.snapshot();
      if (snap.data.length > 0) await this.membership.restore(decodeMembershipState(snap.data));
      this.raft.start(persisted);
      logger.info({ epoch: this.membership.current?.epoch, raftIndex: persisted.lastIndex() }, 'membership restored');
    } else if (this.config.seeds.length === 0) {
      await this.found(initialMembership(this.config.partitions, this.config.replicas, [selfMember(this.config)]));
    } else if (this.config.seeds.includes(this.config.advertisePeer)) {
      this.bootstrapping = this.bootstrap();
    } else {
      this.bootstrapping = this.join(this.config.seeds);
    }
    this.liveness.start();
    this.handoff.start();
    await this.topology.start();
    this.antiEntropy.start();
    this.console.start();
  }

  /** Resolves once the membership is known (tests). */
  async whenBootstrapped(): Promise<void> {
    await this.bootstrapping;
  }

  private async bootstrap(): Promise<void> {
    const { clock, logger } = this.components;
    try {
      const m = await discoverSeedMembership({ config: this.config, rpc: this.rpc, clock, log: logger, cancelled: () => this.stopped });
      if (m && !this.stopped) await this.found(initialMembership(m.partitions, m.replicas, m.members));
    } catch (err) {
      logger.fatal({ err }, 'cannot form the cluster from the seeds');
      this.onFatal?.(err);
    }
  }

  /** Called when the node cannot go on (the process exits). */
  onFatal?: (err: unknown) => void;

  /**
   * `ringkv cluster join`: a node that formed a cluster of its own (started without seeds) and
   * holds no data joins the cluster of `seeds` instead. Anything else is refused: a node with data
   * or peers must not silently throw them away.
   */
  async joinVia(seeds: string[]): Promise<void> {
    const { engine } = this.components;
    const m = this.cluster.ready ? this.cluster.membership : undefined;
    if (!m || m.members.length !== 1 || m.members[0].id !== this.config.id) {
      throw new MembershipChangeRefusedError(`this node already belongs to a cluster of ${m?.members.length ?? 0} member(s); only a fresh single node can join another cluster`);
    }
    if (!(await this.partitions.isEmpty())) {
      throw new MembershipChangeRefusedError('this node holds data; only an empty node can join another cluster (start a fresh node with --seeds instead)');
    }
    if (seeds.length === 0 || seeds.includes(this.config.advertisePeer)) {
      throw new MembershipChangeRefusedError('give the peer addresses of the cluster to join, not this node\'s own');
    }
    this.joiningVia = true;
    this.raft.stop();
    this.raft.reset();
    await engine.deleteRange(keyspaceRange('raftstate'), { sync: true });
    await engine.deleteRange(keyspaceRange('raftlog'), { sync: true });
    this.bootstrapping = this.join(seeds);
  }

  /**
   * Joins a running cluster: Raft starts empty (the leader adds this node as a learner and sends
   * it the membership), and a seed forwards the `add` to the leader. The node is `joining` until the
   * topology manager has received every partition it will own.
   */
  private async join(seeds: readonly string[]): Promise<void> {
    const { clock, logger } = this.components;
    this.joining = true;
    this.raft.start({ hardState: () => ({ ...EMPTY_RAFT_HARD_STATE }), snapshot: () => emptyRaftSnapshot(), entries: () => [], lastIndex: () => 0 });
    const self = selfMember(this.config);
    const cmd = { op: 'add' as const, member: { id: self.id, peer: self.peer, http: self.http, ...(self.zone ? { zone: self.zone } : {}) } };
    for (let attempt = 0; !this.stopped; attempt++) {
      const seed = seeds[attempt % seeds.length];
      try {
        const reply = await this.rpc.request(seed, { type: PeerMessageType.MembershipChange, cmd }, this.config.membershipChangeTimeoutMs);
        // inEffect: an earlier attempt whose reply was lost already added this node.
        if (reply.ok || reply.inEffect === true) {
          logger.info({ seed, epoch: reply.epoch }, 'join: added to the membership; waiting for the membership log');
          return;
        }
        if (reply.code === MembershipChangeRefusedError.code) {
          const err = new Error(`the cluster refused this node: ${String(reply.reason)}`);
          logger.fatal({ err }, 'cannot join');
          this.onFatal?.(err);
          return;
        }
      } catch (err) {
        if (attempt % 5 === 0) logger.info({ seed, err: (err as Error).message }, 'join: waiting for a seed');
      }
      await sleepOn(clock, Math.min(2000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }

  /**
   * Founds the membership group at epoch 1: every founder computes the same snapshot (members,
   * voters) from the same seed list, so they agree without talking first.
   */
  private async found(state: MembershipState): Promise<void> {
    const voters = desiredVoters(state, []);
    const snapshot = bootstrapRaftSnapshot(voters, encodeMembershipState(state));
    await saveBootstrap(this.components.engine, snapshot, { term: 1, vote: null, commit: 1 });
    await this.membership.restore(state);
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
    // Its loops end at their next step (a move or hand-over resumes at the next start).
    void this.topology.stop();
    this.antiEntropy.stop();
    await this.console.stop();
    this.raft.stop();
    this.liveness.stop();
    await this.handoff.stop();
    await this.bootstrapping?.catch(() => undefined);
    await this.components.transport.stop();
    // Replica sends rejected by the stopped transport turn into hints: let them land first.
    await this.coordinator.drain();
    await this.store.drain();
    await this.components.ringAssigner?.close();
  }

  private async fetchEpoch(fromId: string, epoch: number, peer: string): Promise<void> {
    if (epoch <= this.cluster.epoch || this.stopped) return;
    try {
      // The reply's state passed its schema and core's shape check (PeerProtocol.decodeReply).
      const reply = await this.rpc.request(peer, { type: PeerMessageType.MembershipGet }, this.config.requestTimeoutMs);
      const state = reply.state as MembershipState | null;
      if (state && state.epoch > this.cluster.epoch) {
        await this.cluster.apply(state);
        this.components.logger.info({ from: fromId, epoch: state.epoch }, 'membership epoch fetched from a peer');
      }
    } catch (err) {
      this.components.logger.debug({ from: fromId, err: (err as Error).message }, 'could not fetch a newer membership epoch');
    }
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
      const r = this.raft.status();
      return {
        node: c.id, epoch: 0, leader: r?.leader ?? null, partitions: c.partitions, replicas: c.replicas, members: [], ready: false,
        raft: r ? { role: r.role, term: r.term, commit: r.commit, applied: r.applied, lastIndex: r.lastIndex } : null,
      };
    }
    const m = this.cluster.membership;
    const ring = this.cluster.ring;
    const raft = this.raft.status();
    const gossip = new Map(this.liveness.members().map((x) => [x.id, x]));
    return {
      node: c.id,
      epoch: m.epoch,
      leader: raft?.leader ?? null,
      raft: raft ? {
        role: raft.role, term: raft.term, commit: raft.commit, voters: raft.config.voters, learners: raft.config.learners,
        ...(raft.progress ? { progress: raft.progress } : {}),
      } : null,
      topology: this.topology.progress,
      partitions: m.partitions,
      replicas: m.replicas,
      members: m.members.map((member) => {
        const owned = ring.partitionsOf(member.id);
        const g = gossip.get(member.id);
        const offset = member.id === c.id ? { offsetMs: 0, rttMs: 0 } : this.clockOffsets.offsetOf(member.id);
        return {
          id: member.id, peer: member.peer, http: member.http, zone: member.zone ?? null, status: member.status,
          alive: this.liveness.isUp(member.id), partitions: owned.primary.length + owned.replica.length,
          primaries: owned.primary.length, phi: g?.phi ?? null, heartbeatAgeMs: g?.heartbeatAgeMs ?? null,
          // The member's clock minus this node's, as gossip round trips measure it (null: not measured yet).
          clockOffsetMs: offset?.offsetMs ?? null, clockRttMs: offset?.rttMs ?? null,
        };
      }),
      clock: { ...this.clockGate.verdict(), maxClockSkewMs: this.config.maxClockSkewMs },
      membershipRefusals: this.membership.refusals,
    };
  }
}

