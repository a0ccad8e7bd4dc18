// Leader side: replication to each peer (probe / replicate / snapshot), commit by quorum,
// heartbeats, check-quorum and leadership transfer.
import type { RaftMessage } from './messages.js';
import { MessageType } from './messages.js';
import { committedIndex, voteResult } from './quorum.js';
import type { Raft } from './raft.js';

/** Sends the next append (or the snapshot) to `to`; false if nothing went out. */
export function sendAppend(r: Raft, to: string, sendIfEmpty = true): boolean {
  const pr = r.prs.get(to);
  if (!pr || to === r.id || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  const ents = r.log.slice(pr.next, pr.next + r.opts.maxEntriesPerMsg);
  if (prevTerm === undefined || ents === undefined) {
    // What the follower needs was compacted away: send the snapshot instead.
    const snap = r.log.snapshot;
    pr.becomeSnapshot(snap.metadata.index);
    r.send({ type: MessageType.Snapshot, term: r.term, from: r.id, to, snapshot: snap });
    return true;
  }
  if (ents.length === 0 && !sendIfEmpty) return false;
  r.send({
    type: MessageType.App, term: r.term, from: r.id, to,
    index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed,
  });
  pr.sentEntries(ents.length > 0 ? ents[ents.length - 1].index : prevIndex);
  return true;
}

export function bcastAppend(r: Raft): void {
  for (const id of r.prs.keys()) if (id !== r.id) sendAppend(r, id);
}

export function becomeLeaderSendAppends(r: Raft): void {
  // A single voter commits its first entry at once.
  maybeCommit(r);
  if (r.role === 'leader') bcastAppend(r);
}

function bcastHeartbeat(r: Raft): void {
  for (const [id, pr] of r.prs) {
    if (id === r.id) continue;
    // Never tell a follower a commit index beyond what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    r.send({ type: MessageType.Heartbeat, term: r.term, from: r.id, to: id, commit });
  }
}

/**
 * Commits what a quorum of voters holds, if it is of the current term (older entries commit only
 * underneath one of ours: Raft's Figure 8). Loops because a committed conf change can change the
 * quorum. Returns true if commit moved.
 */
export function maybeCommit(r: Raft): boolean {
  let moved = false;
  while (r.role === 'leader') {
    const mci = committedIndex(r.conf.voters, (id) => r.prs.get(id)?.match);
    if (mci <= r.log.committed || r.log.term(mci) !== r.term) break;
    r.commitTo(mci);
    moved = true;
  }
  return moved;
}

export function tickLeader(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.opts.electionTicks) {
    r.electionElapsed = 0;
    if (r.opts.checkQuorum) checkQuorum(r);
    if (r.role !== 'leader') return;
    // A transfer that did not finish within an election timeout is abandoned.
    r.leadTransferee = null;
  }
  if (r.heartbeatElapsed >= r.opts.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r);
  }
}

function checkQuorum(r: Raft): void {
  const active = new Map<string, boolean>();
  for (const v of r.conf.voters) active.set(v, v === r.id || (r.prs.get(v)?.recentActive ?? false));
  if (voteResult(r.conf.voters, active) !== 'won') {
    r.becomeFollower(r.term, null);
    return;
  }
  for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
}

export function stepLeader(r: Raft, m: RaftMessage): void {
  const pr = r.prs.get(m.from);
  if (!pr) return;
  if (m.type === MessageType.AppResp) {
    pr.recentActive = true;
    if (m.reject) {
      handleReject(r, m);
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index ?? 0)) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
    if (maybeCommit(r)) {
      if (r.role !== 'leader') return;
      bcastAppend(r);
    } else if (wasPaused) {
      sendAppend(r, m.from);
    }
    sendAppend(r, m.from, false);
    if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
    return;
  }
  if (m.type === MessageType.HeartbeatResp) {
    pr.recentActive = true;
    pr.paused = false;
    // If a snapshot was lost, probing again after it finds out (and resends it if needed).
    if (pr.state === 'snapshot') pr.becomeProbe();
    if (pr.match < r.log.lastIndex() || pr.state === 'probe') sendAppend(r, m.from);
  }
}

function handleReject(r: Raft, m: RaftMessage): void {
  const pr = r.prs.get(m.from);
  if (!pr) return;
  let hint = m.rejectHint ?? 0;
  // Fast backtracking: skip every entry of ours whose term is above the follower's at `hint`.
  if ((m.logTerm ?? 0) > 0) hint = r.log.findConflictByTerm(hint, m.logTerm ?? 0).index;
  if (pr.maybeDecrTo(m.index ?? 0, hint)) {
    if (pr.state === 'replicate') pr.becomeProbe();
    sendAppend(r, m.from);
  }
}

export function sendTimeoutNow(r: Raft, to: string): void {
  r.send({ type: MessageType.TimeoutNow, term: r.term, from: r.id, to });
}

/** Starts handing leadership to `to` (a voter); returns false if it cannot. */
export function transferLeadership(r: Raft, to: string): boolean {
  if (r.role !== 'leader' || !r.conf.voters.includes(to)) return false;
  if (to === r.id) return true;
  if (r.leadTransferee === to) return true;
  r.leadTransferee = to;
  // The transfer must finish within one election timeout (tickLeader aborts it).
  r.electionElapsed = 0;
  const pr = r.prs.get(to);
  if (pr && pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else sendAppend(r, to);
  return true;
}
