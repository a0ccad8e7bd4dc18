// Why a proposal was refused. Returned (not thrown) by RaftNode.propose/proposeConfChange/
// transferLeadership, so the caller can forward to `leader` or retry after an election.
import { RingkvError } from '../errors.js';

export const RAFT_ERROR_CODES = Object.freeze([
  'RAFT_NOT_LEADER',
  'RAFT_LEADER_TRANSFER_IN_PROGRESS',
  'RAFT_CONF_CHANGE_PENDING',
  'RAFT_INVALID_CONF_CHANGE',
  'RAFT_INVALID_TRANSFER_TARGET',
  'RAFT_PROPOSALS_PENDING',
] as const);

export type RaftErrorCode = (typeof RAFT_ERROR_CODES)[number];

export class RaftProposalError extends RingkvError {
  /** The leader this node knows of (forward there), or null if it knows none. */
  readonly leader: string | null;

  constructor(code: RaftErrorCode, message: string, leader: string | null) {
    super(code, message, { retryable: code !== 'RAFT_INVALID_CONF_CHANGE' && code !== 'RAFT_INVALID_TRANSFER_TARGET', details: { leader } });
    this.leader = leader;
  }
}
