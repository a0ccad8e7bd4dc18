// Moves data when the membership changes (DESIGN.md "Membership and epochs"):
// - a joining node pulls every partition it will own from the current holders, then asks to be
//   activated (normal); until then coordinators also send it every write (pending replica);
// - a leaving node pushes every partition it holds to the nodes that will own it, then asks to be
//   removed, stops serving, and hands its hints over (to their targets, or to a live member that
//   keeps them for a target that is down) before it reports that it has left;
// - a normal node that gains partitions at a new epoch (a dead member was removed) pulls them from
//   the previous holders;
// - a node removed while alive (`cluster remove` of a node that was only cut off) stops serving and
//   hands its hints over, as a leaving one does.
// Partition by partition, throttled, resumable after a crash of either side; progress is visible in
// /cluster and the logs. One move runs at a time; a membership change during a move re-plans it.
import type { MembershipCommand } from '@ringkv/core';
import { isRingkvError } from '@ringkv/core';
import type { Engine } from '@ringkv/storage';
import { sleepOn, type Clock } from '../clock.js';
import type { ClusterState } from '../cluster/cluster-state.js';
import type { Liveness } from '../cluster/liveness.js';
import type { ReplicaStore } from '../kv/replica-store.js';
import type { Logger } from '../observability/logger.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody, PeerTransport } from '../peer/transport.js';
import { applyChunk, chunkReply, readChunk } from './partition-stream.js';
import { StreamProgress } from './stream-progress.js';
import { ByteThrottle } from './throttle.js';

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
}

export interface TopologyDeps {
  selfId: string;
  cluster: ClusterState;
  change: (cmd: MembershipCommand) => Promise<unknown>;
  store: ReplicaStore;
  engine: Engine;
  transport: PeerTransport;
  liveness: Liveness;
  clock: Clock;
  log: Logger;
  bytesPerSec: number;
  chunkBytes: number;
  requestTimeoutMs: number;
  /** One hand-over pass of this node's hints (see HintedHandoff.handOver); resolves with those still held. */
  handOverHints: () => Promise<number>;
}

export class TopologyManager {
  private readonly progressStore: StreamProgress;
  private readonly throttle: ByteThrottle;
  private running?: Promise<void>;
  private rerun = false;
  private stopped = false;
  /** Seen in the membership by this process: missing from it later means removed (not yet joined). */
  private wasMember = false;
  progress: TopologyProgress = { phase: 'idle', partitionsTotal: 0, partitionsDone: 0, keys: 0, bytes: 0 };

  constructor(private readonly deps: TopologyDeps) {
    this.progressStore = new StreamProgress(deps.engine);
    this.throttle = new ByteThrottle(deps.clock, deps.bytesPerSec);
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

  /** Serves a chunk of a partition to a node pulling it. */
  async serveChunk(body: PeerBody): Promise<PeerBody> {
    const after = body.after instanceof Uint8Array ? body.after : undefined;
    const chunk = await readChunk(this.deps.engine, Number(body.partition), after, Math.min(Number(body.maxBytes) || this.deps.chunkBytes, 8 * 1024 * 1024));
    return chunkReply(chunk);
  }

  /** Applies a chunk pushed by a leaving node. */
  async acceptPush(body: PeerBody): Promise<PeerBody> {
    const partition = Number(body.partition);
    const n = await applyChunk(this.deps.store, partition, body.entries as [Uint8Array, Uint8Array][]);
    if (body.last === true && !this.progressStore.isDone('receive', partition)) await this.progressStore.finish('receive', partition);
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
    for (const p of partitions) {
      if (this.stopped || this.rerun) return;
      await this.pull(p, ring.preferenceList(p).filter((id) => id !== selfId), 'receive');
    }
    this.deps.log.info({ partitions: partitions.length, keys: this.progress.keys, bytes: this.progress.bytes }, 'join: holds every partition it will own; activating');
    await this.deps.change({ op: 'activate', id: selfId });
    this.end();
  }

  private async leave(): Promise<void> {
    const { cluster, selfId } = this.deps;
    const target = cluster.targetRing;
    if (!target) return;
    const ring = cluster.ring;
    const held = ring.partitionsOf(selfId);
    const jobs: { p: number; to: string }[] = [];
    for (const p of [...held.primary, ...held.replica].sort((a, b) => a - b)) {
      for (const to of target.preferenceList(p)) if (!ring.preferenceList(p).includes(to)) jobs.push({ p, to });
    }
    this.begin('sending', jobs.length);
    for (const { p, to } of jobs) {
      if (this.stopped || this.rerun) return;
      await this.push(p, to);
    }
    this.deps.log.info({ moves: jobs.length, keys: this.progress.keys, bytes: this.progress.bytes }, 'decommission: every partition handed over; removing this node');
    await this.deps.change({ op: 'remove', id: selfId });
    await this.finishLeaving();
  }

  /** Partitions gained at this epoch (not received by a join) come from their previous holders. */
  private async catchUp(): Promise<void> {
    const { cluster, selfId } = this.deps;
    const epoch = cluster.epoch;
    const before = cluster.ringBefore;
    // Epochs replayed at a restart were caught up on before it.
    if (!before || before.partitions !== cluster.ring.partitions || epoch <= this.progressStore.caughtUpEpoch) {
      await this.progressStore.clear('receive');
      await this.progressStore.markCaughtUp(epoch);
      return;
    }
    const now = cluster.ring.partitionsOf(selfId);
    const gained = [...now.primary, ...now.replica]
      .filter((p) => !before.preferenceList(p).includes(selfId) && !this.progressStore.isDone('receive', p))
      .sort((a, b) => a - b);
    if (gained.length > 0) {
      this.begin('catching-up', gained.length);
      for (const p of gained) {
        if (this.stopped || this.rerun) return;
        await this.pull(p, before.preferenceList(p).filter((id) => id !== selfId && cluster.member(id)), 'receive');
      }
      this.deps.log.info({ partitions: gained.length, keys: this.progress.keys }, 'caught up on partitions gained at the new epoch');
      this.end();
    }
    await this.progressStore.clear('receive');
    await this.progressStore.markCaughtUp(epoch);
  }

  /**
   * Pulls a partition from every live holder and merges them (last write wins): replicas may
   * briefly disagree (a write acknowledged by two of three, its hint for the third not handed off
   * yet), and a copy of one replica alone could miss it.
   */
  private async pull(partition: number, sources: string[], purpose: string): Promise<void> {
    if (this.progressStore.isDone(purpose, partition)) {
      this.progress.partitionsDone++;
      return;
    }
    const live = sources.filter((s) => this.deps.liveness.isUp(s));
    let pulled = 0;
    for (let attempt = 0; pulled === 0 && live.length > 0; attempt++) {
      for (const source of live) {
        if (this.stopped) return;
        if (await this.pullFrom(partition, source, `${purpose}@${source}`)) pulled++;
      }
      if (pulled === 0) await sleepOn(this.deps.clock, Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
    }
    await this.progressStore.finish(purpose, partition);
    this.progress.partitionsDone++;
  }

  /** One holder's copy of a partition, resumably; false if the holder failed a few times. */
  private async pullFrom(partition: number, source: string, cursorKey: string): Promise<boolean> {
    let after = this.progressStore.cursor(cursorKey, partition);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const address = this.deps.cluster.member(source)?.peer;
        if (!address) return false;
        for (;;) {
          const reply = await this.deps.transport.request(address, {
            type: PeerMessageType.StreamPartition, partition, maxBytes: this.deps.chunkBytes, ...(after ? { after } : {}),
          }, this.deps.requestTimeoutMs * 5);
          const entries = reply.entries as [Uint8Array, Uint8Array][];
          const bytes = entries.reduce((sum, [k, v]) => sum + k.length + v.length, 0);
          await this.throttle.take(bytes);
          await applyChunk(this.deps.store, partition, entries);
          this.progress.keys += entries.length;
          this.progress.bytes += bytes;
          if (entries.length > 0) {
            after = new Uint8Array(entries[entries.length - 1][0]);
            await this.progressStore.advance(cursorKey, partition, after);
          }
          if (reply.done) return true;
          if (this.stopped) return false;
        }
      } catch (err) {
        if (this.stopped) return false;
        this.deps.log.warn({ partition, source, err: isRingkvError(err) ? err.code : (err as Error).message }, 'stream source failed; retrying');
        await sleepOn(this.deps.clock, 200 * 2 ** attempt);
      }
    }
    return false;
  }

  private async push(partition: number, to: string): Promise<void> {
    const purpose = `send:${to}`;
    if (this.progressStore.isDone(purpose, partition)) {
      this.progress.partitionsDone++;
      return;
    }
    let after = this.progressStore.cursor(purpose, partition);
    for (let attempt = 0; ; attempt++) {
      try {
        const address = this.deps.cluster.member(to)?.peer;
        if (!address) throw new Error(`no address for ${to}`);
        for (;;) {
          const chunk = await readChunk(this.deps.engine, partition, after, this.deps.chunkBytes);
          await this.throttle.take(chunk.bytes);
          if (chunk.entries.length > 0 || chunk.done) {
            // `last` lets the receiver record the partition as received (no second pull at removal).
            await this.deps.transport.request(address, { type: PeerMessageType.StreamPush, partition, entries: chunk.entries, last: chunk.done }, this.deps.requestTimeoutMs * 5);
            this.progress.keys += chunk.entries.length;
            this.progress.bytes += chunk.bytes;
            if (chunk.entries.length > 0) {
              after = chunk.entries[chunk.entries.length - 1][0];
              await this.progressStore.advance(purpose, partition, after);
            }
          }
          if (chunk.done) break;
          if (this.stopped) return;
        }
        await this.progressStore.finish(purpose, partition);
        this.progress.partitionsDone++;
        return;
      } catch (err) {
        if (this.stopped) return;
        this.deps.log.warn({ partition, to, err: isRingkvError(err) ? err.code : (err as Error).message }, 'push to new owner failed; retrying');
        await sleepOn(this.deps.clock, Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
      }
    }
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
