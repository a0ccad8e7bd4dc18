// A member of the cluster as the membership at an epoch records it.
export type MemberStatus = 'joining' | 'normal' | 'leaving' | 'left';

export interface MemberInfo {
  readonly id: string;
  /** Peer address HOST:PORT, as other nodes dial it. */
  readonly peer: string;
  /** Client API address HOST:PORT. */
  readonly http: string;
  readonly zone?: string;
  readonly status: MemberStatus;
}

import type { Assignment } from '@ringkv/core';

export interface Membership {
  readonly epoch: number;
  readonly partitions: number;
  readonly replicas: number;
  readonly members: readonly MemberInfo[];
  /** The replicated assignment of the epoch (absent only before the membership log exists). */
  readonly assignment?: Assignment;
}
