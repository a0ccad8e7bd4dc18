// Raft as a deterministic state machine (etcd-style): RaftNode with tick/step/propose, Ready/advance.
// Names are prefixed with Raft here because core/src/index.ts re-exports every area with `export *`
// and generic names (Entry, Snapshot, MessageType, Role) would collide with other areas.
export { RaftNode } from './raft-node.js';
export type { ProposeResult as RaftProposeResult, RaftStatus, RaftBasicStatus, PeerStatus as RaftPeerStatus } from './raft-node.js';
export type { RaftOptions } from './raft-config.js';
export type { Ready as RaftReady } from './ready.js';
export { isEmptyReady as isEmptyRaftReady } from './ready.js';
export { MessageType as RaftMessageType } from './messages.js';
export type { RaftMessage } from './messages.js';
export type {
  ConfChange as RaftConfChange,
  ConfState as RaftConfState,
  Entry as RaftEntry,
  HardState as RaftHardState,
  Role as RaftRole,
  Snapshot as RaftSnapshot,
  SnapshotMetadata as RaftSnapshotMetadata,
  SoftState as RaftSoftState,
} from './types.js';
export { EMPTY_HARD_STATE as EMPTY_RAFT_HARD_STATE, emptySnapshot as emptyRaftSnapshot } from './types.js';
export { MemoryRaftStorage, bootstrapSnapshot as bootstrapRaftSnapshot } from './storage.js';
export type { RaftStorageView } from './storage.js';
export {
  encodeConfChange as encodeRaftConfChange,
  decodeConfChange as decodeRaftConfChange,
  applyConfChange as applyRaftConfChange,
  validateConfChange as validateRaftConfChange,
} from './conf-change.js';
export {
  committedIndex as raftCommittedIndex,
  voteResult as raftVoteResult,
  majoritySize as raftMajoritySize,
} from './quorum.js';
export type { VoteResult as RaftVoteResult } from './quorum.js';
export type { ProgressState as RaftProgressState } from './progress.js';
export { RaftProposalError } from './raft-errors.js';
export type { RaftErrorCode } from './raft-errors.js';
