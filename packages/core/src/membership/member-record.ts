// A member of the cluster: the one record type for a node in the membership, in gossip's entries,
// the server's view and the admin API. Its status moves joining -> normal -> leaving -> left (or
// is removed); what each status owns is in ownership.ts.

export type MemberStatus = 'joining' | 'normal' | 'leaving' | 'left';

/** Every status, in the order of a member's life (gossip's tie-break between two entries uses it). */
export const MEMBER_STATUSES: readonly MemberStatus[] = Object.freeze(['joining', 'normal', 'leaving', 'left']);

export function isMemberStatus(value: unknown): value is MemberStatus {
  return typeof value === 'string' && (MEMBER_STATUSES as readonly string[]).includes(value);
}

export interface MemberRecord {
  readonly id: string;
  /** Peer address HOST:PORT, as other nodes dial it (gossip, replication, Raft). */
  readonly peer: string;
  /** Client API address HOST:PORT. */
  readonly http: string;
  /** Failure domain: replicas of a partition go to distinct zones when zones are set. */
  readonly zone?: string;
  readonly status: MemberStatus;
}
