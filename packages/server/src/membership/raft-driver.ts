// Runs the Raft state machine of the membership group: ticks it on the Clock, steps it with
// messages from peers, and handles each Ready in the order Raft requires: persist (one synced
// batch), then send, then apply committed entries, then advance. One Ready is handled at a time.
// Only a failed persist stops Raft on this node: applying a committed entry never does (the
// application records an entry it cannot apply as refused, the same way on every node).
import {
  RaftNode, type RaftConfChange, type RaftEntry, type RaftMessage, type RaftProposeResult, type RaftSnapshot, type RaftStatus,
} from '@ringkv/core';
import type { Engine } from '@ringkv/storage';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import { persistCompaction, persistReady, type PersistedRaft } from './raft-persistence.js';

export interface RaftDriverDeps {
  selfId: string;
  engine: Engine;
  rpc: PeerRpc;
  clock: Clock;
  log: Logger;
  random: () => number;
  /** Peer address of a member id, if known. */
  addressOf: (id: string) => string | undefined;
  tickMs: number;
  electionTicks: number;
  /** Committed normal entries and snapshots, in order. */
  /** Awaited: the next entry applies after this one has. */
  onCommitted: (entry: RaftEntry) => void | Promise<void>;
  onSnapshot: (snapshot: RaftSnapshot) => void | Promise<void>;
  /** After each Ready (role or configuration may have changed). */
  onAfterReady: () => void;
  /** Compact the log once this many entries are applied beyond the snapshot. */
  compactEvery: number;
  /** Proposals the leader holds uncommitted before refusing more. */
  maxUncommitted: number;
  snapshotData: () => Uint8Array;
}

export class RaftDriver {
  private node?: RaftNode;
  private timer?: TimerHandle;
  private processing = false;
  private again = false;
  private stopped = false;
  private lastPersisted = 0;
  private snapshotIndex = 0;
  private appliedIndex = 0;

  constructor(private readonly deps: RaftDriverDeps) {}

  start(storage: PersistedRaft): void {
    this.lastPersisted = storage.lastIndex();
    this.snapshotIndex = storage.snapshot().metadata.index;
    this.appliedIndex = this.snapshotIndex;
    this.node = new RaftNode({
      id: this.deps.selfId, electionTicks: this.deps.electionTicks, heartbeatTicks: 1,
      preVote: true, checkQuorum: true, rng: this.deps.random, storage, maxUncommittedEntries: this.deps.maxUncommitted,
    });
    this.schedule();
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Forgets the running state machine (before this node joins another cluster from scratch). */
  reset(): void {
    this.timer?.cancel();
    this.node = undefined;
    this.stopped = false;
    this.lastPersisted = 0;
    this.snapshotIndex = 0;
    this.appliedIndex = 0;
  }

  get started(): boolean {
    return this.node !== undefined;
  }

  status(): RaftStatus | undefined {
    return this.node?.status();
  }

  leader(): string | null {
    return this.node?.basicStatus().leader ?? null;
  }

  isLeader(): boolean {
    return this.node?.basicStatus().role === 'leader';
  }

  propose(data: Uint8Array): RaftProposeResult {
    const res = this.requireNode().propose(data);
    this.kick();
    return res;
  }

  proposeConfChange(change: RaftConfChange): RaftProposeResult {
    const res = this.requireNode().proposeConfChange(change);
    this.kick();
    return res;
  }

  transferLeadership(to: string): ReturnType<RaftNode['transferLeadership']> {
    const res = this.requireNode().transferLeadership(to);
    this.kick();
    return res;
  }

  /** A Raft message from a peer. */
  step(msg: RaftMessage): void {
    if (!this.node || this.stopped) return;
    this.node.step(fixMessage(msg));
    this.kick();
  }

  private requireNode(): RaftNode {
    if (!this.node) throw new Error('raft not started');
    return this.node;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(this.deps.tickMs, () => {
      this.node?.tick();
      this.kick();
      this.schedule();
    });
  }

  /** Handles Readies until there are none; re-entrant calls just ask for another pass. */
  private kick(): void {
    if (this.processing) {
      this.again = true;
      return;
    }
    this.processing = true;
    void this.drain().catch((err: unknown) => {
      // A Ready we cannot persist must not be acted on: stop Raft on this node (the others go on).
      this.deps.log.fatal({ err }, 'raft: cannot persist its state; membership changes stop on this node');
      this.stop();
    }).finally(() => {
      this.processing = false;
    });
  }

  private async drain(): Promise<void> {
    const node = this.requireNode();
    do {
      this.again = false;
      while (!this.stopped && node.hasReady()) {
        const rd = node.ready();
        this.lastPersisted = await persistReady(this.deps.engine, rd, this.lastPersisted);
        if (rd.snapshot) {
          this.snapshotIndex = rd.snapshot.metadata.index;
          this.appliedIndex = Math.max(this.appliedIndex, this.snapshotIndex);
          await this.applySafely('installing a snapshot', () => this.deps.onSnapshot(rd.snapshot!));
        }
        for (const msg of rd.messages) this.send(msg);
        let confChanged = false;
        for (const entry of rd.committedEntries) {
          if (entry.type === 'normal' && entry.data.length > 0) await this.applyEntry(entry);
          if (entry.type === 'confChange') confChanged = true;
          this.appliedIndex = entry.index;
        }
        node.advance();
        // A node added to the group can only install a snapshot whose configuration names it (as
        // in etcd): compact right after a configuration change, so the snapshot it gets does.
        await this.maybeCompact(node, confChanged);
        await this.applySafely('reconciling the voter set', () => this.deps.onAfterReady());
      }
    } while (this.again && !this.stopped);
  }

  /** The application's apply is total; should it ever throw, Raft still goes on (logged). */
  private async applyEntry(entry: RaftEntry): Promise<void> {
    await this.applySafely(`applying entry ${entry.index}`, () => this.deps.onCommitted(entry));
  }

  private async applySafely(what: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.log.error({ err }, `raft: ${what} failed; raft goes on`);
    }
  }

  private async maybeCompact(node: RaftNode, force: boolean): Promise<void> {
    if (this.appliedIndex <= this.snapshotIndex) return;
    if (!force && this.appliedIndex - this.snapshotIndex < this.deps.compactEvery) return;
    const previous = this.snapshotIndex;
    const snap = node.compact(this.appliedIndex, this.deps.snapshotData());
    this.snapshotIndex = snap.metadata.index;
    await persistCompaction(this.deps.engine, snap, previous);
  }

  private send(msg: RaftMessage): void {
    const address = this.deps.addressOf(msg.to);
    if (!address) return;
    // Raft tolerates loss: a failed send is simply retried by the protocol (heartbeats, probes).
    this.deps.rpc.request(address, { type: PeerMessageType.Raft, msg }, Math.max(1000, this.deps.tickMs * this.deps.electionTicks))
      .catch(() => undefined);
  }
}

/** msgpackr hands byte fields back as Buffers; Raft wants plain Uint8Array (copies, unshared). */
function fixMessage(msg: RaftMessage): RaftMessage {
  if (msg.entries) msg.entries = msg.entries.map((e) => ({ ...e, data: new Uint8Array(e.data) }));
  if (msg.snapshot) msg.snapshot = { metadata: msg.snapshot.metadata, data: new Uint8Array(msg.snapshot.data) };
  return msg;
}
