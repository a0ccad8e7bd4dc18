// Plain data shapes of the Raft state machine. Everything here is easy to persist as-is:
// numbers, strings and Uint8Array, no classes.

/** One log entry. `confChange` entries carry an encoded ConfChange (see conf-change.ts). */
export interface Entry {
  term: number;
  index: number;
  type: 'normal' | 'confChange';
  data: Uint8Array;
}

/** What must survive a crash besides the log: current term, vote in it, and the commit index. */
export interface HardState {
  term: number;
  /** The node voted for in `term`, or null. */
  vote: string | null;
  commit: number;
}

/** The membership of the Raft group itself: who votes, who only follows. */
export interface ConfState {
  voters: string[];
  learners: string[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  /** The group configuration as of `index`. */
  confState: ConfState;
}

/** The application state at `metadata.index` (opaque bytes to Raft) plus where it sits in the log. */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state, handed out for observability when it changes; never persisted. */
export interface SoftState {
  leader: string | null;
  role: Role;
}

/** A single-server change of the group configuration. */
export interface ConfChange {
  type: 'addVoter' | 'addLearner' | 'removeNode';
  node: string;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 }) as HardState;

export function emptySnapshot(confState: ConfState = { voters: [], learners: [] }): Snapshot {
  return { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
