// Moves data when the membership changes (docs/design.md "Membership and epochs"):
// - a joining node pulls every partition it will own from the current holders, then asks to be
//   activated (normal); until then coordinators also send it every write (pending replica);
// - a leaving node's partitions are pulled by the nodes that will own them (as a joiner pulls); it
//   waits until each holds them, then asks to be removed, stops serving, and hands its hints over
//   (to their targets, or to a live member that keeps them for a target that is down) before it
//   reports that it has left;
// - a normal node that gains partitions at a new epoch (a dead member was removed) pulls them from
//   the previous holders, and while a member leaves, what the target ring gives it;
// - a node removed while alive (`cluster remove` of a node that was only cut off) stops serving and
//   hands its hints over, as a leaving one does.
// Several partitions at once (parallelPartitions), throttled (pulls and the chunks served alike), resumable after a crash of either side; progress is visible in /cluster and the logs. A
// pull carries a checksum manifest (stream-pull.ts, stream-source.ts) and applies in bulk where
// the partition holds nothing else yet (replica/bulk-guard.ts). One move runs at a time; a
// membership change during a move re-plans it. A partition counts as received only once a source
// that holds it has streamed it: with no live source the pull keeps retrying (shown in /cluster as
// waitingForSource), and a node never serves a partition it is still missing.
import type { MembershipCommand } from '@ringkv/core';
import { isRingkvError, RECORD_MIN_SIZE, RingkvError } from '@ringkv/core';
import type { PartitionReader } from '../replica/partition-reader.js';
import type { MetaStore } from '../meta-store.js';
import { sleepOn, type Clock } from '../clock.js';
import type { ClusterState } from '../membership/cluster-state.js';
import type { Liveness } from '../liveness/liveness.js';
import { mayPull, mayPush } from '../membership/partition-access.js';
import type { ReplicaStore } from '../replica/replica-store.js';
import type { TopologyStatus } from '../membership/removal-guard.js';
import type { Logger } from '../observability/logger.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerIdentity } from '../peer/transport.js';
import type { ReplyOf, RequestOf } from '../protocol/peer-messages.js';
import type { PeerRouter } from '../protocol/peer-router.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import { RECORD_OVERHEAD_BYTES, STREAM_MANIFEST_CHUNKS_MAX } from '../protocol/peer-messages.js';
import { applyChunk, chunkReply, readChunk, type ApplyChunkDeps } from './partition-stream.js';
import { AppliedChunks, pullPartition, type PullDeps } from './stream-pull.js';
import { ListedChunks, manifestOf, readListedChunk, readManifestChunks } from './stream-source.js';
import { PartitionNotHeldError } from './handoff-errors.js';
import { StreamProgress } from './stream-progress.js';
import { TokenBucket } from '../time/token-bucket.js';
import type { Pace } from '../time/background-pacer.js';

export { PartitionNotHeldError } from './handoff-errors.js';

/** Chunks of lately served manifests kept for their fetches, in chunkBytes (ListedChunks). */
const LISTED_CHUNKS = 32;
/** How often a leaving node asks its partitions' new owners whether they hold them. */
const RECEIVER_POLL_MS = 250;

export type TopologyPhase = 'idle' | 'receiving' | 'sending' | 'catching-up' | 'handing-over-hints' | 'left';

export interface TopologyProgress {
  phase: TopologyPhase;
  partitionsTotal: number;
  partitionsDone: number;
  keys: number;
  bytes: number;
  startedAtMs?: number;
  finishedAtMs?: number;
  lastError?: string;
  /** While handing over hints: how many the last pass could not place. */
  hintsPending?: number;
  /** Partitions whose pull waits for a live source that holds them (none answered yet). */
  waitingForSource?: number[];
  /** Chunks not fetched from a source because another source's identical chunk was applied. */
  chunksSkipped?: number;
}

/** A partition stream in progress (GET /cluster/transfers). */
export interface ActiveStream {
  partition: number;
  source: string;
  destination: string;
  bytesDone: number;
  startedAtMs: number;
  /** When the last chunk moved (a stream silent for long is stalled). */
  lastProgressAtMs: number;
}

export interface TopologyDeps {
  selfId: string;
  cluster: ClusterState;
  change: (cmd: MembershipCommand) => Promise<unknown>;
  store: ReplicaStore;
  /** This replica's data, read only (what streaming sends). */
  reader: PartitionReader;
  /** Where stream progress is kept across restarts. */
  meta: MetaStore;
  rpc: PeerRpc;
  /** Where StreamPartition, StreamPush (from a leaving node of the version before) and TopologyStatus are answered. */
  router: PeerRouter;
  admission: RecordAdmission;
  liveness: Liveness;
  clock: Clock;
  log: Logger;
  bytesPerSec: number;
  /** Streams wait their turn by it before each chunk, on top of bytesPerSec (default: never). */
  pace?: Pace;
  chunkBytes: number;
  /** Partitions pulled at once (streamParallelPartitions). */
  parallelPartitions: number;
  /** Chunks of a pull requested ahead of the one being applied (streamWindowChunks). */
  windowChunks: number;
  /** The node's limits: what a streamed entry may hold. */
  maxKeyBytes: number;
  maxValueBytes: number;
  requestTimeoutMs: number;
  /** One hand-over pass of this node's hints (see HintedHandoff.handOver); resolves with those still held. */
  handOverHints: () => Promise<number>;
}

export class TopologyManager {
  private readonly progressStore: StreamProgress;
  private readonly throttle: TokenBucket;
  /** The chunks this node serves to pulling peers share one budget of their own. */
  private readonly serveThrottle: TokenBucket;
  private readonly applyDeps: ApplyChunkDeps;
  /** Packings of manifests served lately, for the chunk fetches that follow (read once). */
  private readonly listed: ListedChunks;
  private running?: Promise<void>;
  private rerun = false;
  private stopped = false;
  /** Seen in the membership by this process: missing from it later means removed (not yet joined). */
  private wasMember = false;
  progress: TopologyProgress = { phase: 'idle', partitionsTotal: 0, partitionsDone: 0, keys: 0, bytes: 0 };
  /** Stream payload bytes since start, received (pulled or pushed to this node) and sent (served or pushed): for metrics. */
  readonly streamed = { received: 0, sent: 0 };
  /** The partition streams this node runs now (pulls and pushes), by partition, source and destination: the console's. */
  private readonly active = new Map<string, ActiveStream>();

  constructor(private readonly deps: TopologyDeps) {
    this.progressStore = new StreamProgress(deps.meta);
    // A second's worth of burst, as the byte rate a config sets.
    this.throttle = new TokenBucket(deps.clock, deps.bytesPerSec, deps.bytesPerSec, deps.pace);
    this.serveThrottle = new TokenBucket(deps.clock, deps.bytesPerSec, deps.bytesPerSec, deps.pace);
    // Room for several pullers' windows: past it a fetch reads its chunk again.
    this.listed = new ListedChunks(deps.clock, LISTED_CHUNKS * deps.chunkBytes);
    this.applyDeps = {
      store: deps.store, admission: deps.admission, partitions: deps.cluster.ready ? deps.cluster.ring.partitions : 0,
      onBadEntry: (from, why) => this.deps.log.warn({ from, why }, 'skipped a streamed entry'),
    };
    deps.router.on(PeerMessageType.StreamPartition, 'member', (from, msg) => this.serveChunk(from, msg));
    deps.router.on(PeerMessageType.StreamManifest, 'member', (from, msg) => this.serveManifest(from, msg));
    deps.router.on(PeerMessageType.StreamChunk, 'member', (from, msg) => this.serveListedChunk(from, msg));
    deps.router.on(PeerMessageType.StreamPush, 'member', (from, msg) => this.acceptPush(from, msg));
    deps.router.on(PeerMessageType.TopologyStatus, 'member', () => ({ type: PeerMessageType.TopologyStatusReply, ...this.status() }));
  }

  /** The streams running now (one pull or push each; a move runs them one at a time). */
  activeStreams(): ActiveStream[] {
    return [...this.active.values()].map((s) => ({ ...s }));
  }

  /** Registers a stream until `run` ends; `run` reports the bytes it moved. */
  private async streaming<T>(partition: number, source: string, destination: string, run: (moved: (bytes: number) => void) => Promise<T>): Promise<T> {
    const key = `${partition} ${source} ${destination}`;
    const now = this.deps.clock.nowMs();
    const s: ActiveStream = { partition, source, destination, bytesDone: 0, startedAtMs: now, lastProgressAtMs: now };
    this.active.set(key, s);
    try {
      return await run((bytes) => {
        s.bytesDone += bytes;
        s.lastProgressAtMs = this.deps.clock.nowMs();
      });
    } finally {
      if (this.active.get(key) === s) this.active.delete(key);
    }
  }

  /** Where this node is in its moves (the removal guard asks every live member). */
  status(): TopologyStatus {
    const { cluster, selfId } = this.deps;
    const epoch = cluster.epoch;
    const self = cluster.ready ? cluster.member(selfId) : undefined;
    const moving = this.progress.phase === 'receiving' || this.progress.phase === 'catching-up';
    const pendingPartitions = this.progressStore.missingCount + (moving ? Math.max(0, this.progress.partitionsTotal - this.progress.partitionsDone) : 0);
    // Only a normal member catches up; any other holds nothing it still waits for.
    const caughtUpEpoch = self?.status === 'normal' ? this.progressStore.caughtUpEpoch : epoch;
    return { epoch, caughtUpEpoch, pendingPartitions };
  }

  /** Whether this node holds a partition it owns (it is not still waiting to receive it). */
  holds(partition: number): boolean {
    return !this.progressStore.isMissing(partition);
  }

  private partitionsOfCluster(): number {
    return this.deps.cluster.ring.partitions;
  }

  async start(): Promise<void> {
    await this.progressStore.load();
    // Removed before a restart: still not serving, and the hand-over resumes (or it has left).
    const removed = this.progressStore.removed;
    if (removed) this.progress = { ...this.progress, phase: removed };
    this.deps.cluster.onChange(() => this.kick());
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running?.catch(() => undefined);
  }

  /** True once this node has been removed after leaving: it must not serve any more. */
  get removed(): boolean {
    return this.progress.phase === 'handing-over-hints' || this.progress.phase === 'left';
  }

  /** True once this node has left and handed everything over: it can be stopped and its data deleted. */
  get left(): boolean {
    return this.progress.phase === 'left';
  }

  /** Serves a chunk of a partition to a node pulling it (a pending owner, or one catching up). */
  async serveChunk(from: PeerIdentity, msg: RequestOf<typeof PeerMessageType.StreamPartition>): Promise<ReplyOf<typeof PeerMessageType.StreamPartition>> {
    const { cluster, router } = this.deps;
    if (!cluster.ready || !mayPull(cluster, from.id, msg.partition)) {
      router.refuse(from, PeerMessageType.StreamPartition, `${from.id} is not gaining partition ${msg.partition} at epoch ${cluster.epoch}`);
    }
    if (!this.holds(msg.partition)) throw new PartitionNotHeldError(msg.partition);
    const chunk = await readChunk(this.deps.reader, msg.partition, msg.after, Math.min(msg.maxBytes, this.deps.chunkBytes));
    await this.serveThrottle.take(chunk.bytes);
    this.streamed.sent += chunk.bytes;
    return chunkReply(chunk);
  }

  /** Refuses a pull from a member not gaining the partition; throws while this node still misses it. */
  private checkPull(from: PeerIdentity, type: number, partition: number): void {
    const { cluster, router } = this.deps;
    if (!cluster.ready || !mayPull(cluster, from.id, partition)) {
      router.refuse(from, type, `${from.id} is not gaining partition ${partition} at epoch ${cluster.epoch}`);
    }
    if (!this.holds(partition)) throw new PartitionNotHeldError(partition);
  }

  /** The checksum manifest of the next chunks of a partition (stream-source.ts). */
  async serveManifest(from: PeerIdentity, msg: RequestOf<typeof PeerMessageType.StreamManifest>): Promise<ReplyOf<typeof PeerMessageType.StreamManifest>> {
    this.checkPull(from, PeerMessageType.StreamManifest, msg.partition);
    const maxChunks = Math.min(msg.maxChunks, STREAM_MANIFEST_CHUNKS_MAX);
    const { chunks, done } = await readManifestChunks(this.deps.reader, msg.partition, msg.after, Math.min(msg.chunkBytes, this.deps.chunkBytes), maxChunks);
    this.listed.keep(msg.partition, chunks);
    return { type: PeerMessageType.StreamManifestReply, ...manifestOf(chunks, done) };
  }

  /** A chunk a manifest listed, if its range still hashes to the leaf (else stale). */
  async serveListedChunk(from: PeerIdentity, msg: RequestOf<typeof PeerMessageType.StreamChunk>): Promise<ReplyOf<typeof PeerMessageType.StreamChunk>> {
    this.checkPull(from, PeerMessageType.StreamChunk, msg.partition);
    const packed = this.listed.take(msg.partition, msg.leaf)
      ?? await readListedChunk(this.deps.reader, msg.partition, msg.after, msg.last, msg.leaf, Math.min(msg.chunkBytes, this.deps.chunkBytes));
    if (packed === undefined) return { type: PeerMessageType.StreamChunkReply, stale: true };
    await this.serveThrottle.take(packed.length);
    this.streamed.sent += packed.length;
    return { type: PeerMessageType.StreamChunkReply, stale: false, packed };
  }

  /** Applies a chunk pushed by a leaving owner to this node, a pending owner of the partition. */
  async acceptPush(from: PeerIdentity, msg: RequestOf<typeof PeerMessageType.StreamPush>): Promise<ReplyOf<typeof PeerMessageType.StreamPush>> {
    const { cluster, router, selfId } = this.deps;
    const { partition } = msg;
    if (!cluster.ready || !mayPush(cluster, from.id, selfId, partition)) {
      router.refuse(from, PeerMessageType.StreamPush, `${from.id} is not a leaving owner of partition ${partition} handing it to ${selfId}`);
    }
    const n = await applyChunk({ ...this.applyDeps, partitions: this.partitionsOfCluster() }, partition, msg.entries, from.id);
    for (const [k, v] of msg.entries) this.streamed.received += k.length + v.length;
    if (msg.last && !this.progressStore.isDone('receive', partition)) await this.progressStore.finish('receive', partition);
    return { type: PeerMessageType.StreamPushAck, applied: n };
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.run()
      .catch((err: unknown) => {
        this.progress.lastError = (err as Error).message;
        this.deps.log.warn({ err: (err as Error).message }, 'topology move interrupted; retrying');
        return sleepOn(this.deps.clock, 1000).then(() => { this.rerun = true; });
      })
      .finally(() => {
        this.running = undefined;
        if (this.rerun && !this.stopped) {
          this.rerun = false;
          this.kick();
        }
      });
  }

  private async run(): Promise<void> {
    const { cluster, selfId } = this.deps;
    if (!cluster.ready) return;
    const self = cluster.member(selfId);
    if (self?.status === 'joining' && this.removed) {
      // Added again after it was removed (a new join): the old removal no longer holds.
      await this.progressStore.markRemoved(undefined);
      this.progress = { ...this.progress, phase: 'idle' };
    }
    // Removed: after its own leave, or by `cluster remove` while it was alive (cut off, say). A
    // removal seen before a restart holds even if the restored view still lists this node: its
    // Raft log may not have replayed the removal, and a removed node is sent no more entries.
    if (!self || this.removed) {
      const leaving = this.progress.phase === 'sending' || this.progress.phase === 'handing-over-hints';
      if (leaving || (this.wasMember && this.progress.phase !== 'left')) await this.finishLeaving();
      return;
    }
    this.wasMember = true;
    if (self.status === 'joining') await this.join();
    else if (self.status === 'leaving') await this.leave();
    else if (self.status === 'normal') await this.catchUp();
  }

  private async join(): Promise<void> {
    const { cluster, selfId } = this.deps;
    const target = cluster.targetRing;
    if (!target) return;
    const ring = cluster.ring;
    const wanted = target.partitionsOf(selfId);
    const partitions = [...wanted.primary, ...wanted.replica].sort((a, b) => a - b);
    this.begin('receiving', partitions.length);
    if (!(await this.pullAll(partitions, (p) => ring.preferenceList(p).filter((id) => id !== selfId), 'receive'))) return;
    this.deps.log.info({ partitions: partitions.length, keys: this.progress.keys, bytes: this.progress.bytes }, 'join: holds every partition it will own; activating');
    await this.deps.change({ op: 'activate', id: selfId });
    this.end();
  }

  /**
   * Decommission: the new owners pull what they gain from this node as a joiner does (manifests,
   * bulk applies, several partitions at once: catchUp below), while this node serves the chunks and
   * polls each new owner until it holds all of it at this epoch; then it asks to be removed.
   */
  private async leave(): Promise<void> {
    const { cluster, selfId } = this.deps;
    const target = cluster.targetRing;
    if (!target) return;
    const ring = cluster.ring;
    const epoch = cluster.epoch;
    const held = ring.partitionsOf(selfId);
    const gains = new Map<string, number>();
    for (const p of [...held.primary, ...held.replica]) {
      for (const to of target.preferenceList(p)) if (!ring.preferenceList(p).includes(to)) gains.set(to, (gains.get(to) ?? 0) + 1);
    }
    const total = [...gains.values()].reduce((a, b) => a + b, 0);
    this.begin('sending', total);
    for (let poll = 0; ; poll++) {
      if (this.stopped || this.rerun) return;
      const waiting = await this.receiversWaiting(gains, epoch);
      this.progress.partitionsDone = total - [...waiting.values()].reduce((a, b) => a + b, 0);
      if (waiting.size === 0) break;
      if (poll % 40 === 39) this.deps.log.info({ waiting: Object.fromEntries(waiting) }, 'decommission: new owners still pulling their partitions from this node');
      await sleepOn(this.deps.clock, RECEIVER_POLL_MS);
    }
    this.deps.log.info({ moves: total, receivers: [...gains.keys()] }, 'decommission: every new owner holds its partitions; removing this node');
    await this.deps.change({ op: 'remove', id: selfId });
    await this.finishLeaving();
  }

  /**
   * The new owners that do not hold their gains yet, with at most how many partitions each still
   * waits for: one holds them once it has caught up on this epoch (catchUp pulls a target ring's
   * gains before it marks the epoch) with nothing pending. One that does not answer is waiting.
   */
  private async receiversWaiting(gains: ReadonlyMap<string, number>, epoch: number): Promise<Map<string, number>> {
    const waiting = new Map<string, number>();
    await Promise.all([...gains].map(async ([id, count]) => {
      const peer = this.deps.cluster.member(id)?.peer;
      try {
        if (!peer) throw new Error(`no address for ${id}`);
        const s = await this.deps.rpc.request(peer, { type: PeerMessageType.TopologyStatus }, this.deps.requestTimeoutMs);
        if (s.epoch >= epoch && s.caughtUpEpoch >= epoch && s.pendingPartitions === 0) return;
        waiting.set(id, Math.min(count, Math.max(1, s.pendingPartitions)));
      } catch {
        waiting.set(id, count);
      }
    }));
    return waiting;
  }

  /** Partitions gained at this epoch (not received by a join) come from their previous holders. */
  private async catchUp(): Promise<void> {
    const { cluster, selfId } = this.deps;
    const epoch = cluster.epoch;
    const ring = cluster.ring;
    // The epoch before is known in this process only; epochs replayed at a restart were caught up
    // on before it, except what is still recorded missing (a crash in the middle of a catch-up).
    const before = cluster.ringBefore && cluster.ringBefore.partitions === ring.partitions && epoch > this.progressStore.caughtUpEpoch
      ? cluster.ringBefore : undefined;
    const now = ring.partitionsOf(selfId);
    const owned = new Set([...now.primary, ...now.replica]);
    const gained = before ? [...owned].filter((p) => !before.preferenceList(p).includes(selfId) && !this.progressStore.isDone('receive', p)) : [];
    // While a member leaves: what the target ring gives this node, pulled now from the current
    // owners (the leaver among them), which waits for this node's catch-up before it goes.
    const target = cluster.targetRing;
    const coming = target ? target.partitionsOf(selfId) : undefined;
    const incoming = coming ? [...coming.primary, ...coming.replica].filter((p) => !owned.has(p) && !this.progressStore.isDone('receive', p)) : [];
    const missing = [...new Set([...gained, ...incoming, ...[...owned].filter((p) => this.progressStore.isMissing(p))])].sort((a, b) => a - b);
    await this.progressStore.setMissing(missing);
    if (missing.length > 0) {
      this.begin('catching-up', missing.length);
      // Previous holders first, then the other current owners (they may hold it from before).
      const sourcesOf = (p: number) => [...new Set([...(before?.preferenceList(p) ?? []), ...ring.preferenceList(p)])].filter((id) => id !== selfId && cluster.member(id));
      const remaining = new Set(missing);
      const received = async (p: number) => {
        remaining.delete(p);
        await this.progressStore.setMissing([...remaining]);
      };
      if (!(await this.pullAll(missing, sourcesOf, 'receive', received))) return;
      this.deps.log.info({ partitions: missing.length, keys: this.progress.keys }, 'caught up on partitions gained at the new epoch');
      this.end();
    }
    // What the target ring gave stays marked received: once the leaver is removed, this node
    // owns it and must not pull it again.
    if (!target) await this.progressStore.clear('receive');
    await this.progressStore.markCaughtUp(epoch);
  }

  /**
   * Pulls a partition from every live holder and merges them (last write wins): replicas may
   * briefly disagree (a write acknowledged by two of three, its hint for the third not handed off
   * yet), and a copy of one replica alone could miss it.
   */
  /**
   * Pulls every partition, in passes: each pass tries each partition not received yet with its
   * live sources, so one without a source does not hold the others up. Never received without a
   * source: a partition no live holder streamed stays missing (waitingForSource) and is tried
   * again next pass, until the move is stopped or re-planned by a new epoch (false then).
   */
  private async pullAll(partitions: readonly number[], sourcesOf: (p: number) => string[], purpose: string, onReceived?: (p: number) => Promise<void>): Promise<boolean> {
    let left = partitions.filter((p) => {
      if (!this.progressStore.isDone(purpose, p)) return true;
      this.progress.partitionsDone++;
      return false;
    });
    for (const p of partitions) if (this.progressStore.isDone(purpose, p)) await onReceived?.(p);
    for (let pass = 0; left.length > 0; pass++) {
      const next: number[] = [];
      // parallelPartitions workers take the partitions in order; progress records are per partition.
      const queue = [...left];
      const worker = async (): Promise<void> => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          if (this.stopped || this.rerun) return;
          if (await this.pullOnce(p, sourcesOf(p), purpose)) {
            this.waitingForSource(p, false);
            await this.progressStore.finish(purpose, p);
            this.progress.partitionsDone++;
            await onReceived?.(p);
          } else {
            if (this.stopped || this.rerun) return;
            this.waitingForSource(p, true);
            next.push(p);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(this.deps.parallelPartitions, left.length)) }, worker));
      if (this.stopped || this.rerun) return false;
      left = next.sort((a, b) => a - b);
      if (left.length === 0) break;
      if (pass % 10 === 0) {
        this.deps.log.warn({ partitions: left.slice(0, 16), count: left.length }, 'no live source holds these partitions yet; retrying (they are not marked received)');
      }
      await sleepOn(this.deps.clock, Math.min(5000, 200 * 2 ** Math.min(pass, 5)));
    }
    return !this.stopped && !this.rerun;
  }

  /**
   * One pass over a partition's live sources; true once at least one holder streamed it. A chunk
   * a later source lists exactly as an earlier one sent it is not fetched again (AppliedChunks).
   */
  private async pullOnce(partition: number, sources: string[], purpose: string): Promise<boolean> {
    let pulled = 0;
    const applied = new AppliedChunks();
    for (const source of sources.filter((s) => this.deps.liveness.isUp(s))) {
      if (this.stopped) return false;
      if (await this.pullFrom(partition, source, `${purpose}@${source}`, applied)) pulled++;
    }
    this.progress.chunksSkipped = (this.progress.chunksSkipped ?? 0) + applied.skipped;
    return pulled > 0;
  }

  private waitingForSource(partition: number, waiting: boolean): void {
    const list = (this.progress.waitingForSource ?? []).filter((p) => p !== partition);
    if (waiting) list.push(partition);
    if (list.length > 0) this.progress.waitingForSource = list.slice(-64);
    else delete this.progress.waitingForSource;
  }

  /** One holder's copy of a partition, resumably; false if the holder failed a few times. */
  private pullFrom(partition: number, source: string, cursorKey: string, applied: AppliedChunks): Promise<boolean> {
    return this.streaming(partition, source, this.deps.selfId, (moved) => this.pullStream(partition, source, cursorKey, moved, applied));
  }

  private async pullStream(partition: number, source: string, cursorKey: string, moved: (bytes: number) => void, appliedChunks: AppliedChunks): Promise<boolean> {
    const deps: PullDeps = {
      rpc: this.deps.rpc, store: this.deps.store, admission: this.deps.admission, partitions: this.partitionsOfCluster(),
      limits: { maxKeyBytes: this.deps.maxKeyBytes, minRecordBytes: RECORD_MIN_SIZE, maxRecordBytes: this.deps.maxValueBytes + RECORD_OVERHEAD_BYTES },
      chunkBytes: this.deps.chunkBytes, maxChunks: Math.min(STREAM_MANIFEST_CHUNKS_MAX, 2 * this.deps.windowChunks), window: this.deps.windowChunks,
      timeoutMs: this.deps.requestTimeoutMs * 5, take: (bytes) => this.throttle.take(bytes),
      applied: async (keys, bytes, last) => {
        this.progress.keys += keys;
        this.progress.bytes += bytes;
        this.streamed.received += bytes;
        moved(bytes);
        await this.progressStore.advance(cursorKey, partition, last);
      },
      onBadEntry: this.applyDeps.onBadEntry!,
      onMismatch: (what) => this.deps.log.warn({ partition, source, what }, 'a streamed chunk failed its checksum; fetching it again'),
      stopped: () => this.stopped,
      appliedChunks,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const address = this.deps.cluster.member(source)?.peer;
        if (!address) return false;
        // Resumes after the last key recorded (a chunk applies whole before its key is).
        return await pullPartition(deps, address, source, partition, this.progressStore.cursor(cursorKey, partition));
      } catch (err) {
        if (this.stopped) return false;
        const code = isRingkvError(err) ? (err as { remoteCode?: string }).remoteCode ?? err.code : (err as Error).message;
        // A source still missing the partition itself is not a failure of the source: ask another.
        if (code === PartitionNotHeldError.code) return false;
        this.progress.lastError = `${code}: partition ${partition} from ${source}`;
        this.deps.log.warn({ partition, source, err: code }, 'stream source failed; retrying');
        await sleepOn(this.deps.clock, 200 * 2 ** attempt);
      }
    }
    return false;
  }

  private begin(phase: TopologyPhase, total: number): void {
    if (this.progress.phase !== phase || this.progress.partitionsTotal !== total) {
      this.progress = { phase, partitionsTotal: total, partitionsDone: 0, keys: 0, bytes: 0, startedAtMs: this.deps.clock.nowMs() };
      this.deps.log.info({ phase, partitions: total }, 'topology move started');
    } else {
      this.progress.partitionsDone = 0;
    }
  }

  private end(): void {
    this.progress = { ...this.progress, phase: 'idle', finishedAtMs: this.deps.clock.nowMs() };
  }

  /**
   * Removed: no partition is this node's any more, but its hints may be the only copy some down
   * replica will get. They go to their targets or to a live member before the node reports that it
   * has left (after which an operator deletes its data).
   */
  private async finishLeaving(): Promise<void> {
    if (this.progress.phase !== 'handing-over-hints') {
      this.progress = { ...this.progress, phase: 'handing-over-hints' };
      this.deps.log.info('removed from the cluster; handing hints over');
    }
    await this.progressStore.markRemoved('handing-over-hints');
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      const pending = await this.deps.handOverHints();
      this.progress.hintsPending = pending;
      if (pending === 0) break;
      this.deps.log.warn({ pending }, 'hints not handed over yet (their targets and every other member unreachable); retrying');
      await sleepOn(this.deps.clock, Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
    }
    this.progress = { ...this.progress, phase: 'left', finishedAtMs: this.deps.clock.nowMs() };
    await this.progressStore.markRemoved('left');
    await this.progressStore.clear();
    this.deps.log.info('decommissioned: this node holds no partitions and no hints any more and can be stopped');
  }
}
