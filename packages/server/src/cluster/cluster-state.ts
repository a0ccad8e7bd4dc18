// The membership this node serves with (the latest epoch it has applied) and the ring computed from
// it. The ring is a function of the membership at an epoch and the previous epoch's assignment, so
// every node that applied the same epochs computes the same ring.
import { assignPartitions, Ring, type Assignment } from '@ringkv/core';
import type { MemberInfo, Membership } from './member.js';

export type MembershipListener = (membership: Membership, ring: Ring) => void;

export class ClusterState {
  private current?: { membership: Membership; ring: Ring; assignment: Assignment; byId: Map<string, MemberInfo> };
  private readonly listeners: MembershipListener[] = [];

  constructor(readonly selfId: string) {}

  get ready(): boolean {
    return this.current !== undefined;
  }

  get membership(): Membership {
    if (!this.current) throw new Error('membership not known yet');
    return this.current.membership;
  }

  get ring(): Ring {
    if (!this.current) throw new Error('membership not known yet');
    return this.current.ring;
  }

  get epoch(): number {
    return this.current?.membership.epoch ?? 0;
  }

  member(id: string): MemberInfo | undefined {
    return this.current?.byId.get(id);
  }

  /** Peer address of a member; throws for an unknown id (a bug: ids come from the ring). */
  peerOf(id: string): string {
    const m = this.current?.byId.get(id);
    if (!m) throw new Error(`unknown member ${id}`);
    return m.peer;
  }

  /** Members other than this node. */
  others(): MemberInfo[] {
    return this.current ? this.current.membership.members.filter((m) => m.id !== this.selfId) : [];
  }

  /** Applies a membership epoch; older or equal epochs are ignored. */
  apply(membership: Membership): boolean {
    if (this.current && membership.epoch <= this.current.membership.epoch) return false;
    // Joining members own nothing until they are activated (they receive writes as pending replicas).
    const owners = membership.members.filter((m) => m.status === 'normal' || m.status === 'leaving');
    const assignment = assignPartitions(
      owners.map((m) => (m.zone ? { id: m.id, zone: m.zone } : { id: m.id })),
      membership.partitions,
      membership.replicas,
      this.current?.assignment,
    );
    const ring = new Ring(assignment);
    this.current = { membership, ring, assignment, byId: new Map(membership.members.map((m) => [m.id, m])) };
    for (const l of this.listeners) l(membership, ring);
    return true;
  }

  onChange(listener: MembershipListener): void {
    this.listeners.push(listener);
  }
}
