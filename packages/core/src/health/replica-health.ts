// Replica health of every partition, as a pure function: from the ring's preference lists, the
// cluster's read and write quorums and the set of nodes that are up, how many partitions have all
// their replicas up, some down, too few for R or W, or none at all. The node's /metrics feeds it
// (the ring now and the liveness verdict) and exports the counts as gauges.
import { effectiveQuorum } from '../quorum/consistency.js';

export interface ReplicaHealthInput {
  /** Each partition's preference list (index = partition): the replicas that own it now. */
  preferenceLists: readonly (readonly string[])[];
  /** The cluster's default read quorum R (capped, like a request's, to the replicas a key has). */
  r: number;
  /** The cluster's default write quorum W (capped the same way). */
  w: number;
  /** Nodes that are up (the observer's liveness verdict, the observer itself included). */
  up: ReadonlySet<string>;
}

/** One partition: how many of its replicas are up, and what that leaves of R and W. */
export interface PartitionHealth {
  replicas: number;
  up: number;
  /** Every replica of the preference list is up. */
  full: boolean;
  /** Fewer replicas up than R: a read at the default R fails. */
  belowRead: boolean;
  /** Fewer replicas up than W: a strict write at the default W fails (a sloppy one leans on hints). */
  belowWrite: boolean;
  /** No replica up: nothing of the partition can be read at any R. */
  unavailable: boolean;
}

/**
 * Counts over all partitions. The states nest: every partition is either fully replicated or
 * under-replicated, and below R, below W and unavailable are under-replicated partitions too
 * (unavailable ones are below R and below W as well).
 */
export interface ReplicaHealthCounts {
  partitions: number;
  fullyReplicated: number;
  underReplicated: number;
  belowRead: number;
  belowWrite: number;
  unavailable: number;
}

/** The health of one partition whose preference list is `list`. */
export function partitionHealth(list: readonly string[], r: number, w: number, up: ReadonlySet<string>): PartitionHealth {
  let live = 0;
  for (const id of list) if (up.has(id)) live++;
  const replicas = list.length;
  return {
    replicas,
    up: live,
    full: replicas > 0 && live === replicas,
    belowRead: live < effectiveQuorum(r, replicas),
    belowWrite: live < effectiveQuorum(w, replicas),
    unavailable: live === 0,
  };
}

/** The counts of every partition's health. */
export function replicaHealth(input: ReplicaHealthInput): ReplicaHealthCounts {
  const counts: ReplicaHealthCounts = {
    partitions: input.preferenceLists.length, fullyReplicated: 0, underReplicated: 0, belowRead: 0, belowWrite: 0, unavailable: 0,
  };
  for (const list of input.preferenceLists) {
    const h = partitionHealth(list, input.r, input.w, input.up);
    if (h.full) counts.fullyReplicated++;
    else counts.underReplicated++;
    if (h.belowRead) counts.belowRead++;
    if (h.belowWrite) counts.belowWrite++;
    if (h.unavailable) counts.unavailable++;
  }
  return counts;
}
