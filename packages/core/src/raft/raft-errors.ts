// Why a proposal was refused. Returned (not thrown) by RaftNode.propose/proposeConfChange/
// transferLeadership, so the caller can forward to `leader` or retry after an election.
import { RingkvError } from '../errors.js';

export type RaftErrorCode = (typeof RaftProposalError.codes)[number];

/** Refusals that no retry can fix (the proposal itself is wrong). */
const NOT_RETRYABLE: readonly RaftErrorCode[] = ['RAFT_INVALID_CONF_CHANGE', 'RAFT_INVALID_TRANSFER_TARGET'];

export class RaftProposalError extends RingkvError {
  /** The codes a proposal refusal may carry (the constructor takes one of them). */
  static readonly codes = Object.freeze([
    'RAFT_NOT_LEADER',
    'RAFT_LEADER_TRANSFER_IN_PROGRESS',
    'RAFT_CONF_CHANGE_PENDING',
    'RAFT_INVALID_CONF_CHANGE',
    'RAFT_INVALID_TRANSFER_TARGET',
    'RAFT_PROPOSALS_PENDING',
  ] as const);

  /** The leader this node knows of (forward there), or null if it knows none. */
  readonly leader: string | null;

  constructor(code: RaftErrorCode, message: string, leader: string | null) {
    super(code, message, { retryable: !NOT_RETRYABLE.includes(code), details: { leader } });
    this.leader = leader;
  }
}
