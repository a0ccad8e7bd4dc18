// Follower side: accept the leader's appends (truncating a conflicting suffix), heartbeats and
// snapshots, and answer each so the leader can move our progress.
import type { RaftMessage } from './messages.js';
import { MessageType } from './messages.js';
import type { Raft } from './raft.js';

export function handleAppend(r: Raft, m: RaftMessage): void {
  const index = m.index ?? 0;
  const reply = (extra: Partial<RaftMessage>): void =>
    r.send({ type: MessageType.AppResp, term: r.term, from: r.id, to: m.from, ...extra });
  if (index < r.log.committed) {
    // Everything up to our commit matches the leader already; say how far we are.
    reply({ index: r.log.committed });
    return;
  }
  const lastNew = r.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
  if (lastNew !== undefined) {
    r.commitTo(Math.min(m.commit ?? 0, lastNew));
    reply({ index: lastNew });
    return;
  }
  // Reject with a hint: our last index with a term <= the leader's term at `index`, and that term,
  // so the leader can skip a whole term of mismatched entries per round trip.
  const hint = r.log.findConflictByTerm(Math.min(index, r.log.lastIndex()), m.logTerm ?? 0);
  reply({ index, reject: true, rejectHint: hint.index, logTerm: hint.term });
}

export function handleHeartbeat(r: Raft, m: RaftMessage): void {
  r.commitTo(Math.min(m.commit ?? 0, r.log.lastIndex()));
  r.send({ type: MessageType.HeartbeatResp, term: r.term, from: r.id, to: m.from });
}

export function handleSnapshot(r: Raft, m: RaftMessage): void {
  if (!m.snapshot) return;
  const index = r.restore(m.snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({ type: MessageType.AppResp, term: r.term, from: r.id, to: m.from, index });
}
