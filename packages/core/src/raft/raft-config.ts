// Options of a RaftNode: user settings with a reason per default, apart from injected parts
// (the seeded PRNG and the storage view).
import type { RaftStorageView } from './storage.js';

export interface RaftOptions {
  id: string;
  /** Ticks without a leader before campaigning; the real timeout is random in [n, 2n). */
  electionTicks?: number;
  /** Ticks between leader heartbeats; must be below electionTicks. */
  heartbeatTicks?: number;
  /** Pre-vote (Raft thesis 9.6): a partitioned node rejoining does not bump terms and depose. */
  preVote?: boolean;
  /** A leader steps down without a quorum's word for an election timeout, followers keep a lease. */
  checkQuorum?: boolean;
  /** Most entries in one append message, so catching up a follower stays in small messages. */
  maxEntriesPerMsg?: number;
  /** Most entries a leader holds uncommitted; proposals beyond it are refused (etcd's MaxUncommittedEntriesSize). */
  maxUncommittedEntries?: number;
  /** Seeded PRNG in [0, 1), for the randomized election timeout. */
  rng: () => number;
  /** Persisted state to start from; read once, at construction. */
  storage: RaftStorageView;
  /** Last index the application has applied already (default: the snapshot index). */
  applied?: number;
}

export interface ResolvedRaftOptions extends Required<Omit<RaftOptions, 'applied'>> {
  applied: number | undefined;
}

export function resolveRaftOptions(o: RaftOptions): ResolvedRaftOptions {
  const r: ResolvedRaftOptions = {
    id: o.id,
    electionTicks: o.electionTicks ?? 10, // as etcd: 10 ticks, with 1 heartbeat tick
    heartbeatTicks: o.heartbeatTicks ?? 1,
    preVote: o.preVote ?? true,
    checkQuorum: o.checkQuorum ?? true,
    maxEntriesPerMsg: o.maxEntriesPerMsg ?? 64, // membership entries are a few hundred bytes
    // Membership changes are rare and one at a time; a flood of proposals without a quorum to
    // commit them must not grow the log (and every follower's) without bound.
    maxUncommittedEntries: o.maxUncommittedEntries ?? 256,
    rng: o.rng,
    storage: o.storage,
    applied: o.applied,
  };
  if (typeof r.id !== 'string' || r.id === '') throw new TypeError('raft: id must be a non-empty string');
  if (!Number.isInteger(r.heartbeatTicks) || r.heartbeatTicks < 1) throw new TypeError('raft: heartbeatTicks must be >= 1');
  if (!Number.isInteger(r.electionTicks) || r.electionTicks <= r.heartbeatTicks) {
    throw new TypeError('raft: electionTicks must be an integer above heartbeatTicks');
  }
  if (!Number.isInteger(r.maxEntriesPerMsg) || r.maxEntriesPerMsg < 1) throw new TypeError('raft: maxEntriesPerMsg must be >= 1');
  if (!Number.isInteger(r.maxUncommittedEntries) || r.maxUncommittedEntries < 1) throw new TypeError('raft: maxUncommittedEntries must be >= 1');
  if (typeof r.rng !== 'function') throw new TypeError('raft: rng is required');
  return r;
}
