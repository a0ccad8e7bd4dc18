// The public face of the Raft state machine, in the manner of etcd's RawNode: inputs are tick(),
// step(), propose*(), transferLeadership(); outputs come as a Ready, handled by the caller and
// acknowledged with advance().
//
// Ready/advance contract (the server must follow it exactly):
//   1. `if (node.hasReady()) { const rd = node.ready(); ... }`: at most one Ready is outstanding;
//      ready() throws until advance() acknowledges the previous one.
//   2. Persist, atomically if possible and in this order: rd.snapshot (replaces the whole log),
//      rd.entries (delete persisted entries at index >= rd.entries[0].index, then append),
//      rd.hardState.
//   3. Only then send rd.messages (a vote or an ack must never go out before what it promises
//      is durable), and apply rd.snapshot then rd.committedEntries to the state machine.
//   4. Call advance(). Between ready() and advance() it is fine to keep calling step()/tick()/
//      propose(): their effects go into the next Ready.
// If the process crashes before step 2 completes, the Ready is simply lost, as is everything that
// was never persisted; restart with a new RaftNode on the persisted storage.
import { copyConfState, applyConfChange, decodeConfChange, encodeConfChange, validateConfChange } from './conf-change.js';
import { maybeCommit, bcastAppend, transferLeadership } from './leader.js';
import type { RaftMessage } from './messages.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import type { RaftOptions } from './raft-config.js';
import { resolveRaftOptions } from './raft-config.js';
import { RaftProposalError } from './raft-errors.js';
import type { Ready } from './ready.js';
import type { ConfChange, ConfState, Entry, HardState, Role, Snapshot, SoftState } from './types.js';
import { hardStateEqual } from './types.js';

export type ProposeResult = { ok: true; index: number; term: number } | { ok: false; error: RaftProposalError };

export interface PeerStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
}

/** The cheap part of RaftStatus (no configuration or progress copies), for per-tick metrics. */
export interface RaftBasicStatus {
  id: string;
  term: number;
  vote: string | null;
  role: Role;
  leader: string | null;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  snapshotIndex: number;
}

export interface RaftStatus extends RaftBasicStatus {
  config: ConfState;
  leadTransferee: string | null;
  /** Per peer (self included), on the leader only. */
  progress?: Record<string, PeerStatus>;
}

export class RaftNode {
  private readonly r: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | null = null;

  constructor(options: RaftOptions) {
    this.r = new Raft(resolveRaftOptions(options));
    this.prevSoft = this.r.softState();
    this.prevHard = options.storage.hardState();
  }

  get id(): string {
    return this.r.id;
  }

  tick(): void {
    this.r.tick();
  }

  step(msg: RaftMessage): void {
    this.r.step(msg);
  }

  /** Appends `data` to the log if we lead; else says who does, so the caller can forward. */
  propose(data: Uint8Array): ProposeResult {
    return this.appendAsLeader({ term: 0, index: 0, type: 'normal', data });
  }

  /**
   * One server at a time. Refused while a previous change (or this leader's first entry) is not
   * committed. The change takes effect on each node when that node learns it is committed.
   */
  proposeConfChange(change: ConfChange): ProposeResult {
    const r = this.r;
    const denied = this.refusal();
    if (denied) return { ok: false, error: denied };
    if (r.pendingConfIndex > r.log.committed) {
      return { ok: false, error: new RaftProposalError('RAFT_CONF_CHANGE_PENDING', 'a configuration change is not committed yet', r.lead) };
    }
    const why = validateConfChange(r.conf, change);
    if (why) return { ok: false, error: new RaftProposalError('RAFT_INVALID_CONF_CHANGE', why, r.lead) };
    const res = this.appendAsLeader({ term: 0, index: 0, type: 'confChange', data: encodeConfChange(change) });
    if (res.ok) r.pendingConfIndex = res.index;
    return res;
  }

  /** Hands leadership to voter `to` once it has our whole log (MsgTimeoutNow). Proposals wait meanwhile. */
  transferLeadership(to: string): { ok: true } | { ok: false; error: RaftProposalError } {
    const r = this.r;
    if (r.role !== 'leader') return { ok: false, error: notLeader(r.lead) };
    if (!transferLeadership(r, to)) {
      return { ok: false, error: new RaftProposalError('RAFT_INVALID_TRANSFER_TARGET', `${to} is not a voter`, r.lead) };
    }
    return { ok: true };
  }

  private refusal(): RaftProposalError | null {
    const r = this.r;
    if (r.role !== 'leader') return notLeader(r.lead);
    if (r.leadTransferee !== null) {
      return new RaftProposalError('RAFT_LEADER_TRANSFER_IN_PROGRESS', `leadership is moving to ${r.leadTransferee}`, r.lead);
    }
    return null;
  }

  private appendAsLeader(e: Entry): ProposeResult {
    const r = this.r;
    const denied = this.refusal();
    if (denied) return { ok: false, error: denied };
    const uncommitted = r.log.lastIndex() - r.log.committed;
    if (uncommitted >= r.opts.maxUncommittedEntries) {
      return { ok: false, error: new RaftProposalError('RAFT_PROPOSALS_PENDING', `${uncommitted} proposals are not committed yet`, r.lead) };
    }
    r.appendEntries([e]);
    const index = r.log.lastIndex();
    maybeCommit(r); // a single voter commits at once
    if (r.role === 'leader') bcastAppend(r);
    return { ok: true, index, term: r.term };
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.r;
    const soft = r.softState();
    return (
      soft.leader !== this.prevSoft.leader ||
      soft.role !== this.prevSoft.role ||
      !hardStateEqual(r.hardState(), this.prevHard) ||
      r.log.pendingSnapshot !== null ||
      r.msgs.length > 0 ||
      r.log.stabled < r.log.lastIndex() ||
      r.log.committed > Math.max(r.log.applied, r.log.snapIndex)
    );
  }

  ready(): Ready {
    if (this.outstanding) throw new Error('raft: ready() called again before advance()');
    const r = this.r;
    const rd: Ready = {
      entries: r.log.unstableEntries(),
      committedEntries: r.log.nextCommitted(r.log.applied),
      messages: r.msgs,
    };
    r.msgs = [];
    const soft = r.softState();
    if (soft.leader !== this.prevSoft.leader || soft.role !== this.prevSoft.role) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hard = r.hardState();
    if (!hardStateEqual(hard, this.prevHard)) {
      rd.hardState = hard;
      this.prevHard = hard;
    }
    if (r.log.pendingSnapshot) rd.snapshot = r.log.pendingSnapshot;
    this.outstanding = rd;
    return rd;
  }

  /** The caller has persisted, sent and applied the last Ready. */
  advance(): void {
    const rd = this.outstanding;
    if (!rd) throw new Error('raft: advance() without ready()');
    this.outstanding = null;
    const log = this.r.log;
    if (rd.snapshot) {
      if (log.pendingSnapshot === rd.snapshot) log.pendingSnapshot = null;
      log.applied = Math.max(log.applied, rd.snapshot.metadata.index);
    }
    const last = rd.entries[rd.entries.length - 1];
    if (last) log.stableTo(last.index, last.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) log.applied = Math.max(log.applied, lastApplied.index);
  }

  /**
   * The application's snapshot of its state at applied index `index`: entries up to it are dropped,
   * and followers that lag behind it get this snapshot. Returns the snapshot, which the caller
   * persists (then drops its persisted entries up to index). No-op if index <= current snapshot.
   */
  compact(index: number, data: Uint8Array): Snapshot {
    const log = this.r.log;
    if (index <= log.snapIndex) return log.snapshot;
    if (index > log.applied) throw new RangeError(`raft: compact at ${index} beyond applied ${log.applied}`);
    const snap: Snapshot = {
      metadata: { index, term: log.term(index) as number, confState: this.confStateAt(index) },
      data,
    };
    log.compact(snap);
    return snap;
  }

  private confStateAt(index: number): ConfState {
    const log = this.r.log;
    let cs = copyConfState(log.snapshot.metadata.confState);
    for (const e of log.slice(log.firstIndex(), index + 1) ?? []) {
      if (e.type === 'confChange') cs = applyConfChange(cs, decodeConfChange(e.data));
    }
    return cs;
  }

  /** Entries in [lo, hi) still held (those after the snapshot), for inspection; do not mutate. */
  entries(lo: number, hi: number): Entry[] {
    const log = this.r.log;
    return log.slice(Math.max(lo, log.firstIndex()), hi) ?? [];
  }

  /** Term of the entry at `index`, or undefined if compacted away or beyond the log. */
  termAt(index: number): number | undefined {
    return this.r.log.term(index);
  }

  basicStatus(): RaftBasicStatus {
    const r = this.r;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      role: r.role,
      leader: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      snapshotIndex: r.log.snapIndex,
    };
  }

  status(): RaftStatus {
    const r = this.r;
    const s: RaftStatus = { ...this.basicStatus(), config: copyConfState(r.conf), leadTransferee: r.leadTransferee };
    if (r.role === 'leader') {
      s.progress = {};
      for (const [id, pr] of r.prs) {
        s.progress[id] = { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive, isLearner: pr.isLearner };
      }
    }
    return s;
  }
}

function notLeader(leader: string | null): RaftProposalError {
  return new RaftProposalError('RAFT_NOT_LEADER', leader ? `not the leader; ${leader} is` : 'no leader known', leader);
}
