// Liveness by gossip: the member table and its merge rules, the phi accrual failure detector, and
// the gossip round as a pure state machine.
export {
  type MemberEntry,
  compareVersions,
  compareEntries,
  newerEntry,
  normalizeEntry,
  isMemberEntry,
  copyEntry,
  mergeViews,
} from './member-entry.js';
export {
  PhiAccrualDetector,
  type PhiAccrualOptions,
  DEFAULT_PHI_OPTIONS,
  phiOf,
} from './phi-accrual-detector.js';
export {
  type GossipConfig,
  type PeerLiveness,
  type MemberTable,
  type GossipDigest,
  type MergeResult,
  type SelfInit,
  type MemberView,
  defaultGossipConfig,
  createMemberTable,
  selfEntry,
  mergeDigest,
  isMemberAlive,
  memberPhi,
  describeMembers,
  updateSelf,
  beatSelf,
  forgetMember,
} from './member-table.js';
export {
  type GossipMessage,
  type GossipRoundResult,
  type OnGossipResult,
  gossipDigest,
  selectGossipTargets,
  gossipRound,
  onGossip,
} from './gossip-round.js';
