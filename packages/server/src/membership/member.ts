// The membership at an epoch as the node applies it: core's member records (MemberRecord, the one
// member type), the ring's parameters and the replicated assignment.
import type { Assignment, MemberRecord } from '@ringkv/core';

export type { MemberRecord, MemberStatus } from '@ringkv/core';

export interface Membership {
  readonly epoch: number;
  readonly partitions: number;
  readonly replicas: number;
  readonly members: readonly MemberRecord[];
  /** The replicated assignment of the epoch (absent only before the membership log exists). */
  readonly assignment?: Assignment;
}
