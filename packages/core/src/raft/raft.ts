// The Raft protocol proper: state, role transitions, ticks and the generic part of step().
// Leader-side replication lives in leader.ts, follower-side log handling in follower.ts.
// Everything is synchronous; outputs accumulate in `msgs` and in the log's unstable part, and
// RaftNode turns them into Ready batches.
import { applyConfChange, copyConfState, decodeConfChange } from './conf-change.js';
import { handleAppend, handleHeartbeat, handleSnapshot } from './follower.js';
import { bcastAppend, becomeLeaderSendAppends, stepLeader, tickLeader } from './leader.js';
import type { RaftMessage } from './messages.js';
import { MessageType, isLeaderMessage, isVoteRequest, voteRespType } from './messages.js';
import { Progress } from './progress.js';
import { voteResult } from './quorum.js';
import type { ResolvedRaftOptions } from './raft-config.js';
import { RaftLog } from './raft-log.js';
import type { ConfChange, ConfState, Entry, HardState, Role, Snapshot, SoftState } from './types.js';

export class Raft {
  readonly id: string;
  readonly opts: ResolvedRaftOptions;
  term = 0;
  vote: string | null = null;
  lead: string | null = null;
  role: Role = 'follower';
  readonly log: RaftLog;
  conf: ConfState;
  prs = new Map<string, Progress>();
  votes = new Map<string, boolean>();
  msgs: RaftMessage[] = [];
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: string | null = null;
  /** Index of the latest conf change (or of the leader's first entry); a new one waits for its commit. */
  pendingConfIndex = 0;

  constructor(opts: ResolvedRaftOptions) {
    this.opts = opts;
    this.id = opts.id;
    const hs = opts.storage.hardState();
    const snap = opts.storage.snapshot();
    this.log = new RaftLog(snap, opts.storage.entries(), hs.commit, opts.applied ?? snap.metadata.index);
    // Conf changes take effect at commit: replay the committed ones after the snapshot.
    this.conf = copyConfState(snap.metadata.confState);
    for (const e of this.log.slice(this.log.firstIndex(), this.log.committed + 1) ?? []) this.applyConfEntry(e);
    this.term = hs.term;
    this.vote = hs.vote;
    this.becomeFollower(this.term, null);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  promotable(): boolean {
    return this.conf.voters.includes(this.id);
  }

  send(m: RaftMessage): void {
    this.msgs.push(m);
  }

  // ---- transitions ----

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.opts.electionTicks + Math.floor(this.opts.rng() * this.opts.electionTicks);
    this.leadTransferee = null;
    this.votes = new Map();
    this.pendingConfIndex = 0;
    this.prs = new Map();
    this.syncProgress(false);
  }

  /**
   * Makes `prs` track exactly the current voters and learners. New peers count as recently active
   * when added by a conf change (so check-quorum gives them a full timeout to answer), not after an
   * election (the first check-quorum round comes a whole timeout later anyway).
   */
  syncProgress(newPeersActive: boolean): void {
    const members = [...this.conf.voters, ...this.conf.learners];
    for (const id of [...this.prs.keys()]) if (!members.includes(id)) this.prs.delete(id);
    for (const id of members) {
      const isLearner = this.conf.learners.includes(id);
      const old = this.prs.get(id);
      if (old) {
        old.isLearner = isLearner;
        continue;
      }
      const pr = new Progress(this.log.lastIndex() + 1, isLearner);
      pr.recentActive = newPeersActive || id === this.id;
      if (id === this.id) pr.match = this.log.lastIndex();
      this.prs.set(id, pr);
    }
  }

  becomeFollower(term: number, lead: string | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    // No term bump and no vote: a pre-vote changes nothing anywhere until it would win.
    this.votes = new Map();
    this.lead = null;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.prs.get(this.id)?.becomeReplicate();
    // An empty entry of our term commits everything before it (Figure 8); no conf change until then.
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    this.pendingConfIndex = this.log.lastIndex();
    becomeLeaderSendAppends(this);
  }

  // ---- elections ----

  /** Start an election if allowed; `transfer` skips pre-vote and voters' leases. */
  hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    this.campaign(this.opts.preVote && !transfer ? 'pre' : 'election', transfer);
  }

  private campaign(kind: 'pre' | 'election', transfer: boolean): void {
    let type: MessageType;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      type = MessageType.PreVote;
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single voter wins at once.
      if (kind === 'pre') this.campaign('election', transfer);
      else this.becomeLeader();
      return;
    }
    for (const v of this.conf.voters) {
      if (v === this.id) continue;
      this.send({
        type, term, from: this.id, to: v,
        index: this.log.lastIndex(), logTerm: this.log.lastTerm(),
        ...(transfer ? { transfer: true } : {}),
      });
    }
  }

  private poll(from: string, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.conf.voters, this.votes);
  }

  // ---- inputs ----

  tick(): void {
    if (this.role === 'leader') {
      tickLeader(this);
      return;
    }
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  step(m: RaftMessage): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (isVoteRequest(m.type)) {
        // checkQuorum lease: while we hear from a leader, a disruptive candidate is ignored.
        const inLease = this.opts.checkQuorum && this.lead !== null && this.electionElapsed < this.opts.electionTicks;
        if (!m.transfer && inLease) return;
      }
      if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResp && !m.reject)) {
        // Pre-votes carry a future term; they never change ours.
      } else {
        this.becomeFollower(m.term, isLeaderMessage(m.type) ? m.from : null);
      }
    } else if (m.term < this.term) {
      if ((this.opts.checkQuorum || this.opts.preVote) && (m.type === MessageType.App || m.type === MessageType.Heartbeat)) {
        // Tell a stale leader about the newer term so it steps down (it would otherwise keep
        // its followers' leases alive and never learn).
        this.send({ type: MessageType.AppResp, term: this.term, from: this.id, to: m.from });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResp, term: this.term, from: this.id, to: m.from, reject: true });
      }
      return;
    }

    if (isVoteRequest(m.type)) {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
      default:
        this.stepCandidate(m);
    }
  }

  private handleVoteRequest(m: RaftMessage): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === MessageType.PreVote && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      this.send({ type: voteRespType(m.type), term: m.term, from: this.id, to: m.from });
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: voteRespType(m.type), term: this.term, from: this.id, to: m.from, reject: true });
    }
  }

  private stepFollower(m: RaftMessage): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleLeaderMessage(m);
        return;
      case MessageType.TimeoutNow:
        this.hup(true);
        return;
      default:
    }
  }

  private stepCandidate(m: RaftMessage): void {
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        this.becomeFollower(m.term, m.from);
        this.handleLeaderMessage(m);
        return;
      case MessageType.PreVoteResp:
      case MessageType.VoteResp: {
        const mine = this.role === 'preCandidate' ? MessageType.PreVoteResp : MessageType.VoteResp;
        if (m.type !== mine) return;
        const res = this.poll(m.from, !m.reject);
        if (res === 'won') {
          if (this.role === 'preCandidate') this.campaign('election', false);
          else this.becomeLeader();
        } else if (res === 'lost') {
          this.becomeFollower(this.term, null);
        }
        return;
      }
      default:
    }
  }

  private handleLeaderMessage(m: RaftMessage): void {
    if (m.type === MessageType.App) handleAppend(this, m);
    else if (m.type === MessageType.Heartbeat) handleHeartbeat(this, m);
    else handleSnapshot(this, m);
  }

  // ---- log and configuration ----

  /** Leader-side append: stamps term and index, counts our own ack. */
  appendEntries(ents: Entry[]): void {
    let index = this.log.lastIndex();
    const stamped = ents.map((e) => ({ ...e, term: this.term, index: ++index }));
    this.log.append(stamped);
    this.prs.get(this.id)?.maybeUpdate(this.log.lastIndex());
  }

  /** Advances commit, applying conf changes that become committed. */
  commitTo(i: number): boolean {
    const old = this.log.committed;
    if (i <= old) return false;
    if (i > this.log.lastIndex()) throw new Error(`raft: commit ${i} beyond last index ${this.log.lastIndex()}`);
    this.log.committed = i;
    for (const e of this.log.slice(old + 1, i + 1) ?? []) this.applyConfEntry(e);
    return true;
  }

  private applyConfEntry(e: Entry): void {
    if (e.type === 'confChange') this.applyConf(decodeConfChange(e.data));
  }

  applyConf(cc: ConfChange): void {
    this.conf = applyConfChange(this.conf, cc);
    this.syncProgress(true);
    if (this.role !== 'leader') return;
    if (!this.conf.voters.includes(this.id)) {
      // Removed: stop leading; the remaining voters elect among themselves.
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.leadTransferee !== null && !this.conf.voters.includes(this.leadTransferee)) this.leadTransferee = null;
  }

  /** Installs a snapshot from the leader; false if it is stale or we already have its index. */
  restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already have the log up to it: just learn it is committed.
      this.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.conf = copyConfState(s.metadata.confState);
    this.syncProgress(true);
    return true;
  }

  /** Re-broadcast after a change the followers must hear about at once. */
  broadcastAppend(): void {
    bcastAppend(this);
  }
}
