// Anti-entropy: per-partition Merkle trees and the rounds that bring replicas into agreement.
export { AntiEntropy, type AntiEntropyDeps } from './anti-entropy.js';
export { attachAntiEntropy } from './attach.js';
export { antiEntropyOptions, ANTI_ENTROPY_DEFAULTS, type AntiEntropyOptions } from './anti-entropy-options.js';
export type { AntiEntropyStatus, PartitionStatus, PeerRoundStatus } from './ae-status.js';
export type { RoundOutcome, RoundResult } from './round-initiator.js';
export { PartitionTrees } from './partition-trees.js';
export { TokenBucket } from '../time/token-bucket.js';
