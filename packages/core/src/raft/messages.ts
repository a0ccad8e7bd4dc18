// Wire messages between Raft peers. Plain objects, one shape for every type (as etcd's pb.Message),
// so a transport can encode them with any generic codec (msgpackr). The type enum is APPEND ONLY:
// numbers are on the wire and in persisted traces.
import type { Entry, Snapshot } from './types.js';

export enum MessageType {
  /** Candidate asks for a vote: term = candidate's new term; index/logTerm = its last entry. */
  Vote = 1,
  VoteResp = 2,
  /** Pre-vote: like Vote but term = sender's term + 1 and nobody changes term or vote. */
  PreVote = 3,
  PreVoteResp = 4,
  /** Leader appends: index/logTerm = the entry preceding `entries`; commit = leader's commit. */
  App = 5,
  /** index = last index now matching (accept), or the rejected `index` with rejectHint/logTerm. */
  AppResp = 6,
  /** Leader keep-alive; commit = min(follower's match, leader commit). */
  Heartbeat = 7,
  HeartbeatResp = 8,
  /** Leader installs `snapshot` on a follower that lags behind the leader's first log index. */
  Snapshot = 9,
  /** Leader tells a caught-up follower to campaign at once (leadership transfer). */
  TimeoutNow = 10,
}

export interface RaftMessage {
  type: MessageType;
  term: number;
  from: string;
  to: string;
  index?: number;
  logTerm?: number;
  commit?: number;
  entries?: Entry[];
  reject?: boolean;
  /** On a rejected AppResp: the follower's guess of the highest index that may match. */
  rejectHint?: number;
  snapshot?: Snapshot;
  /** On Vote/PreVote: the campaign follows a leadership transfer, so voters skip their leader lease. */
  transfer?: boolean;
}

export function isVoteRequest(t: MessageType): boolean {
  return t === MessageType.Vote || t === MessageType.PreVote;
}

export function voteRespType(t: MessageType): MessageType {
  return t === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
}

/** Messages only a leader sends: receiving one with a higher term tells us who leads. */
export function isLeaderMessage(t: MessageType): boolean {
  return t === MessageType.App || t === MessageType.Heartbeat || t === MessageType.Snapshot;
}
