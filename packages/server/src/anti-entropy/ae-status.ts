// What GET /cluster/anti-entropy shows: per partition, the tree's state and each peer's last round.
import type { RoundOutcome } from './round-initiator.js';

export interface PeerRoundStatus {
  peer: string;
  /** Start of the last round (unix ms), null if none yet. */
  lastRoundAtMs: number | null;
  outcome: RoundOutcome | null;
  differingBuckets: number;
  keysRepaired: number;
  /** Payload bytes of the last round, both directions. */
  bytes: number;
  /** Start of the last successful round (unix ms), null if none yet. */
  lastSuccessAtMs: number | null;
  error?: string;
}

export interface PartitionStatus {
  partition: number;
  state: 'rebuilding' | 'ready';
  /** Entries counted in the tree (null while rebuilding). */
  entries: number | null;
  tombstones: number;
  peers: PeerRoundStatus[];
  /** Tombstones waiting for every replica's next round before their purge. */
  purge: { candidates: number; armedAtMs: number } | null;
}

export interface AntiEntropyStatus {
  node: string;
  intervalMs: number;
  buckets: number;
  fanout: number;
  treeBytesPerPartition: number;
  running: number;
  queued: number;
  partitions: PartitionStatus[];
}
