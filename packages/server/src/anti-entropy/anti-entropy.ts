// Anti-entropy (docs/design.md "Anti-entropy", issue #6): one Merkle tree per partition this node
// replicates, kept current from the store's change listener and rebuilt from storage in the
// background after a start; rounds with each other replica of each partition at the configured
// interval (jittered, at most a few at once, within a byte and a scan budget), and also when a peer
// comes back up or a non-empty tree finishes its rebuild; tombstone purge once every replica has
// the tombstone. Everything comes in through the runtime's components: no global state.
import type { HybridLogicalClock, Prng } from '@ringkv/core';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { Registry } from 'prom-client';
import type { Clock, NextTurn } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { Logger } from '../observability/logger.js';
import { PeerMessageType } from '../peer/message-types.js';
import { PeerRemoteError, PeerUnknownMessageError } from '../peer/peer-errors.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import { AntiEntropyMetrics } from './ae-metrics.js';
import type { AntiEntropyOptions } from './anti-entropy-options.js';
import { PartitionTrees } from './partition-trees.js';
import type { RoundContext } from './round-context.js';
import { runRound, type RoundResult } from './round-initiator.js';
import { answerBucketEntries, answerMerkleLevel } from './round-responder.js';
import { MERKLE_ROOTS_MAX, answerMerkleRoots, checkRoots, type RootVerdict } from './root-check.js';
import { RoundScheduler, type RoundJob } from './round-scheduler.js';
import { TombstonePurger } from './tombstone-purger.js';
import type { Pace } from '../time/background-pacer.js';
import { TokenBucket } from '../time/token-bucket.js';
import { rebuildTree } from './tree-rebuild.js';
import type { PartitionStatus, AntiEntropyStatus } from './ae-status.js';

export interface AntiEntropyDeps {
  selfId: string;
  /** This replica's data, read only: writes go through the store. */
  reader: PartitionReader;
  /** Where long scans yield (the simulator drives these turns). */
  nextTurn: NextTurn;
  /** The jitter of round timers: this node's generator, forked for anti-entropy. */
  prng: Prng;
  store: ReplicaStore;
  cluster: ClusterState;
  liveness: Liveness;
  rpc: PeerRpc;
  /** Where the MerkleLevel and BucketEntries handlers are registered. */
  router: PeerRouter;
  admission: RecordAdmission;
  /** Told of a peer's record that failed to decode. */
  onBadRecord?: (from: string, err: unknown) => void;
  /** Told of a stored record that failed to decode (left out of its tree, not purged: absent). */
  onCorrupt?: (partition: number, key: Uint8Array, err: unknown) => void;
  clock: Clock;
  hlc: HybridLogicalClock;
  log: Logger;
  registry: Registry;
  /** Rounds, rebuilds and purges wait their turn by it before each budgeted step (default: never). */
  pace?: Pace;
}

/** How long a peer that did not know the root check gets full rounds before it is asked again (an upgrade). */
const OLDER_PEER_RECHECK_MS = 10 * 60_000;
/** Peers remembered as older at most (members; the bound only guards the map). */
const OLDER_PEERS_MAX = 4096;

interface PeerRecord {
  last?: RoundResult;
  /** The last successful round: its sequence number and start time. */
  success?: { seq: number; atMs: number };
}

export class AntiEntropy {
  readonly trees: PartitionTrees;
  readonly metrics: AntiEntropyMetrics;
  readonly wireBudget: TokenBucket;
  readonly scanBudget: TokenBucket;
  private readonly scheduler: RoundScheduler;
  private readonly purger: TombstonePurger;
  private readonly ctx: RoundContext;
  private readonly peers = new Map<number, Map<string, PeerRecord>>();
  private readonly rebuildQueue: number[] = [];
  /** Peers that did not know the root check (the version before), until when they are not asked. */
  private readonly olderPeers = new Map<string, number>();
  private rebuilding?: Promise<void>;
  private seq = 0;
  private started = false;
  private stopped = false;

  constructor(private readonly deps: AntiEntropyDeps, readonly options: AntiEntropyOptions) {
    const { clock } = deps;
    this.trees = new PartitionTrees({ buckets: options.buckets, fanout: options.fanout });
    this.metrics = new AntiEntropyMetrics(deps.registry);
    // One second's worth of burst: a round starts at once after a quiet period.
    this.wireBudget = new TokenBucket(clock, options.bytesPerSecond, options.bytesPerSecond, deps.pace);
    this.scanBudget = new TokenBucket(clock, options.scanEntriesPerSecond, options.scanEntriesPerSecond, deps.pace);
    this.ctx = {
      reader: deps.reader, store: deps.store, trees: this.trees, cluster: deps.cluster, rpc: deps.rpc, admission: deps.admission,
      ...(deps.onBadRecord ? { onBadRecord: deps.onBadRecord } : {}),
      clock, hlc: deps.hlc, options, wireBudget: this.wireBudget, scanBudget: this.scanBudget, metrics: this.metrics,
    };
    this.purger = new TombstonePurger({
      reader: deps.reader, nextTurn: deps.nextTurn, store: deps.store, trees: this.trees, clock, scanBudget: this.scanBudget, metrics: this.metrics,
      graceMs: options.tombstoneGraceMs, rearmMs: options.intervalMs, pageEntries: options.pageEntries,
      maxCandidates: options.maxPurgeCandidates,
      ...(deps.onCorrupt ? { onCorrupt: deps.onCorrupt } : {}),
    });
    this.scheduler = new RoundScheduler({
      clock, random: () => deps.prng.next(), intervalMs: options.intervalMs,
      maxConcurrent: options.maxConcurrentRounds, maxRootBatch: MERKLE_ROOTS_MAX, peersOf: (p) => this.peersOf(p),
      checkRoots: (peer, partitions) => this.checkRootsJob(peer, partitions), run: (job) => this.runJob(job),
    });
    deps.store.onChange(this.trees.onChange);
    deps.router.on(PeerMessageType.MerkleLevel, 'member', (from, body) => answerMerkleLevel(this.ctx, from, body));
    deps.router.on(PeerMessageType.BucketEntries, 'member', (from, body) => answerBucketEntries(this.ctx, from, body));
    deps.router.on(PeerMessageType.MerkleRoots, 'member', (from, body) => answerMerkleRoots(this.ctx, from, body));
    deps.cluster.onChange(() => this.syncPartitions());
    deps.liveness.onUp((peer) => this.onPeerUp(peer));
  }

  /** Starts tracking this node's partitions: rebuilds their trees, then rounds. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (!this.options.manual) this.scheduler.start();
    this.syncPartitions();
  }

  /** Stops scheduling (rounds in flight end with the transport and the store). */
  stop(): void {
    this.stopped = true;
    this.scheduler.stop();
  }

  /** Resolves once every tree queued for a rebuild so far is built (or abandoned). */
  async whenRebuilt(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  /** Resolves when no round runs (tests). */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Runs one round of partition with peer now (outside the scheduler's concurrency limit). */
  async runRound(partition: number, peer: string): Promise<RoundResult> {
    const seq = ++this.seq;
    if (!this.deps.liveness.isUp(peer)) {
      // Not tried: the peer coming back up triggers this round again.
      const result: RoundResult = { ...this.emptyResult(partition, peer), outcome: 'peer-down' };
      this.record(result, seq);
      this.metrics.rounds.inc({ outcome: 'peer-down' });
      return result;
    }
    const result = await runRound(this.ctx, partition, peer);
    this.record(result, seq);
    if (result.outcome === 'in-sync' || result.outcome === 'exchanged') await this.afterSuccess(partition);
    return result;
  }

  /** Rounds of partition with each other replica, one after the other (tests, tools). */
  async syncPartition(partition: number): Promise<RoundResult[]> {
    const out: RoundResult[] = [];
    for (const peer of this.peersOf(partition)) out.push(await this.runRound(partition, peer));
    return out;
  }

  /** Queues a round of partition with each other replica (or with peers). */
  trigger(partition: number, peers?: readonly string[]): void {
    this.scheduler.trigger(partition, peers);
  }

  status(): AntiEntropyStatus {
    const partitions: PartitionStatus[] = this.trees.partitions().map((p) => {
      const tree = this.trees.ready(p);
      const peers = [...(this.peers.get(p)?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b)).map(([peer, rec]) => ({
        peer,
        lastRoundAtMs: rec.last?.startedAtMs ?? null,
        outcome: rec.last?.outcome ?? null,
        differingBuckets: rec.last?.differingBuckets ?? 0,
        keysRepaired: rec.last?.keysRepaired ?? 0,
        bytes: rec.last ? rec.last.bytesSent + rec.last.bytesReceived : 0,
        lastSuccessAtMs: rec.success?.atMs ?? null,
        ...(rec.last?.error ? { error: rec.last.error } : {}),
      }));
      const armed = this.purger.armedOf(p);
      return {
        partition: p, state: tree ? 'ready' : 'rebuilding', entries: tree?.size ?? null, tombstones: this.trees.tombstones(p),
        peers, purge: armed ? { candidates: armed.candidates, armedAtMs: armed.atMs } : null,
      };
    });
    return {
      node: this.deps.selfId, intervalMs: this.options.intervalMs, buckets: this.options.buckets, fanout: this.options.fanout,
      treeBytesPerPartition: PartitionTrees.bytesPerTree(this.trees.shape),
      running: this.scheduler.running, queued: this.scheduler.queued, partitions,
    };
  }

  private peersOf(partition: number): string[] {
    if (!this.deps.cluster.ready) return [];
    return this.deps.cluster.ring.preferenceList(partition).filter((id) => id !== this.deps.selfId);
  }

  /** Follows the partitions this node replicates at the current epoch. */
  private syncPartitions(): void {
    if (!this.started || this.stopped || !this.deps.cluster.ready) return;
    const owned = this.deps.cluster.ring.partitionsOf(this.deps.selfId);
    const local = [...owned.primary, ...owned.replica].sort((a, b) => a - b);
    const keep = new Set(local);
    for (const p of this.trees.partitions()) {
      if (keep.has(p)) continue;
      this.trees.remove(p);
      this.purger.forget(p);
      this.peers.delete(p);
    }
    for (const p of local) if (this.trees.add(p)) this.rebuildQueue.push(p);
    this.scheduler.setPartitions(local);
    this.startRebuilds();
  }

  /**
   * Runs the queued rebuilds unless they run already. `rebuilding` is cleared in a reaction, never
   * inside rebuildAll: a run with nothing to do returns synchronously, and clearing there, before
   * the assignment, left a settled promise behind that blocked every later rebuild (and made
   * whenRebuilt spin on microtasks). Partitions queued as a run ends start the next one.
   */
  private startRebuilds(): void {
    if (this.rebuilding || this.stopped || this.rebuildQueue.length === 0) return;
    const run = this.rebuildAll().finally(() => {
      this.rebuilding = undefined;
      this.startRebuilds();
    });
    this.rebuilding = run;
  }

  private async rebuildAll(): Promise<void> {
    const deps = {
      reader: this.deps.reader, nextTurn: this.deps.nextTurn, store: this.deps.store, trees: this.trees, scanBudget: this.scanBudget,
      pageEntries: this.options.pageEntries, log: this.deps.log, stopped: () => this.stopped,
      ...(this.deps.onCorrupt ? { onCorrupt: this.deps.onCorrupt } : {}),
    };
    for (let p = this.rebuildQueue.shift(); p !== undefined && !this.stopped; p = this.rebuildQueue.shift()) {
      // Queued twice (dropped and gained again) and rebuilt by the first: nothing left to do.
      if (!this.trees.isRebuilding(p)) continue;
      let done = false;
      try {
        done = await rebuildTree(deps, p);
      } catch (err) {
        if (!this.stopped) this.deps.log.error({ err, partition: p }, 'anti-entropy tree rebuild failed');
      }
      const size = this.trees.ready(p)?.size;
      // A restarted node reaches out itself: its peers may have seen it up before this tree was built.
      if (done && size !== undefined && size > 0) this.scheduler.trigger(p);
      if (done && size === 0 && !this.stopped) await this.finishEmptyPartitions();
    }
  }

  /**
   * After an empty partition, the queued partitions up to the next one that holds data are empty
   * too: one probe of the engine finishes them all. At Q=65536 a node with no data took 169 s to
   * rebuild its trees, one engine iteration each; where every partition holds data, no probe runs.
   * Correct as a rebuild that found nothing: the probe's snapshot is newer than every queued slot,
   * so a key it does not see was written since and is tracked from its notification.
   */
  private async finishEmptyPartitions(): Promise<void> {
    const queue = this.rebuildQueue;
    if (queue.length === 0) return;
    const seq = this.trees.addedSoFar();
    const withData = await this.deps.reader.firstPartitionWithData(queue[0]!);
    // The queue's ascending head below withData is empty (syncPartitions queues in order; one
    // queued again later may follow out of order and is left for its own rebuild), as far as slots
    // added before the probe go: a slot added since needs a snapshot of its own.
    let empty = 0;
    while (empty < queue.length && (withData === null || queue[empty]! < withData) && (empty === 0 || queue[empty]! > queue[empty - 1]!)) empty++;
    for (const p of queue.splice(0, empty)) if (this.trees.rebuildingSince(p, seq)) this.trees.finishRebuild(p);
  }

  private onPeerUp(peer: string): void {
    // `manual` means no self-started rounds at all, including those a peer coming back would start.
    if (!this.started || this.stopped || this.options.manual || !this.deps.cluster.ready) return;
    const ring = this.deps.cluster.ring;
    for (const p of this.trees.partitions()) if (ring.preferenceList(p).includes(peer)) this.scheduler.trigger(p, [peer]);
  }

  /** Whether a due round of partition with peer should run now (false: dropped, or retried later). */
  private due(partition: number, peer: string): boolean {
    // has(), not partitions().includes(): that sorted every partition per round (at Q=65536, 10 s of
    // a node's first 45 s).
    if (this.stopped || !this.peersOf(partition).includes(peer) || !this.trees.has(partition)) return false;
    if (this.trees.isRebuilding(partition)) {
      this.scheduler.retryLater({ partition, peer }, this.options.retryMs);
      return false;
    }
    return true;
  }

  /**
   * The rounds of partitions with peer, as far as their roots tell: those in sync are done here,
   * the partitions returned get a full round. A peer that cannot answer the check (an older
   * version, an error) gets full rounds, which find out for themselves.
   */
  private async checkRootsJob(peer: string, partitions: number[]): Promise<readonly number[]> {
    const due = partitions.filter((p) => this.due(p, peer));
    if (due.length === 0) return [];
    if (!this.deps.liveness.isUp(peer)) return due; // each records peer-down without a request
    const startedAtMs = this.deps.clock.nowMs();
    if ((this.olderPeers.get(peer) ?? 0) > startedAtMs) return due;
    let verdicts: Map<number, RootVerdict>;
    try {
      verdicts = await checkRoots(this.ctx, peer, due);
    } catch (err) {
      // A peer of the version before does not know the check: full rounds, as it expects. Any
      // other failure (a timeout, an error) is each partition's failed round, tried again at its
      // next due time rather than as up to MERKLE_ROOTS_MAX rounds that would meet it one by one.
      if (err instanceof PeerRemoteError && err.remoteCode === PeerUnknownMessageError.code) {
        // Not asked again for a while: each ask is a refusal the older peer counts and logs.
        if (this.olderPeers.size >= OLDER_PEERS_MAX) this.olderPeers.clear();
        this.olderPeers.set(peer, startedAtMs + OLDER_PEER_RECHECK_MS);
        return due;
      }
      const error = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
      for (const partition of due) {
        this.record({ ...this.emptyResult(partition, peer), startedAtMs, error }, ++this.seq);
        this.metrics.rounds.inc({ outcome: 'failed' });
      }
      if (!this.stopped) this.deps.log.debug({ peer, partitions: due.length, error }, 'anti-entropy root check failed');
      return [];
    }
    const full: number[] = [];
    for (const partition of due) {
      const verdict = verdicts.get(partition);
      if (verdict === 'differs') {
        full.push(partition);
        continue;
      }
      const outcome = verdict === 'in-sync' || verdict === 'not-ready' || verdict === 'peer-not-ready' ? verdict : 'failed';
      const result: RoundResult = { ...this.emptyResult(partition, peer), startedAtMs, outcome };
      if (outcome === 'failed') result.error = `${peer} does not count both nodes as replicas of partition ${partition}`;
      this.record(result, ++this.seq);
      this.metrics.rounds.inc({ outcome });
      if (outcome === 'in-sync') await this.afterSuccess(partition);
      else if (outcome !== 'failed') this.scheduler.retryLater({ partition, peer }, this.options.retryMs);
    }
    return full;
  }

  private async runJob(job: RoundJob): Promise<void> {
    const { partition, peer } = job;
    if (!this.due(partition, peer)) return;
    const result = await this.runRound(partition, peer);
    if (result.outcome === 'peer-not-ready' || result.outcome === 'not-ready') this.scheduler.retryLater(job, this.options.retryMs);
    if (result.outcome === 'failed' && !this.stopped) this.deps.log.debug({ partition, peer, error: result.error }, 'anti-entropy round failed');
  }

  private emptyResult(partition: number, peer: string): RoundResult {
    const now = this.deps.clock.nowMs();
    return { partition, peer, outcome: 'failed', startedAtMs: now, finishedAtMs: now, differingBuckets: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0 };
  }

  private record(result: RoundResult, seq: number): void {
    let byPeer = this.peers.get(result.partition);
    if (!byPeer) this.peers.set(result.partition, (byPeer = new Map()));
    const rec = byPeer.get(result.peer) ?? {};
    rec.last = result;
    if (result.outcome === 'in-sync' || result.outcome === 'exchanged') rec.success = { seq, atMs: result.startedAtMs };
    byPeer.set(result.peer, rec);
  }

  /** After a successful round: purge what every replica now has, and arm the next purge. */
  private async afterSuccess(partition: number): Promise<void> {
    if (this.stopped) return;
    const peers = this.peersOf(partition);
    const byPeer = this.peers.get(partition);
    const syncedAfter = (seq: number): boolean => peers.every((peer) => (byPeer?.get(peer)?.success?.seq ?? -1) > seq);
    try {
      await this.purger.purgeIfSynced(partition, syncedAfter);
      await this.purger.arm(partition, () => ++this.seq);
    } catch (err) {
      if (!this.stopped) this.deps.log.warn({ err, partition }, 'tombstone purge failed');
    }
  }
}
