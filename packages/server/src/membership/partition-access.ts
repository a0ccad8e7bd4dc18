// Who may ask a node about a partition (issue 14: peer handlers answer only members, and only
// about partitions the requester replicates or is about to). The rules, each from the membership
// this node serves:
// - replicas: the owners at this epoch, the pending owners of a move in flight (they get every
//   write), and the owners at the epoch before (a coordinator or a peer one epoch behind);
// - a pull (StreamPartition) comes from a pending owner, or from an owner that gained the
//   partition at this epoch and catches up on it;
// - a push (StreamPush) comes from a leaving owner, to a pending owner.
import type { ClusterState } from './cluster-state.js';

export function ownsNow(cluster: ClusterState, id: string, partition: number): boolean {
  return cluster.ring.preferenceList(partition).includes(id);
}

/** A replica of the partition now, soon (a move in flight) or at the epoch before. */
export function replicates(cluster: ClusterState, id: string, partition: number): boolean {
  if (ownsNow(cluster, id, partition)) return true;
  if (cluster.pendingReplicas(partition).includes(id)) return true;
  const before = cluster.ringBefore;
  return before !== undefined && before.partitions === cluster.ring.partitions && before.preferenceList(partition).includes(id);
}

/** May `id` pull the partition from this node? */
export function mayPull(cluster: ClusterState, id: string, partition: number): boolean {
  if (cluster.pendingReplicas(partition).includes(id)) return true;
  const before = cluster.ringBefore;
  // Gained at this epoch (a removal re-replicates): the owner catches up from the previous holders.
  return ownsNow(cluster, id, partition) && before !== undefined && before.partitions === cluster.ring.partitions
    && !before.preferenceList(partition).includes(id);
}

/** May `id` push the partition to this node? Only a leaving owner, to a pending owner. */
export function mayPush(cluster: ClusterState, id: string, selfId: string, partition: number): boolean {
  return cluster.member(id)?.status === 'leaving' && ownsNow(cluster, id, partition) && cluster.pendingReplicas(partition).includes(selfId);
}
