// The membership this node serves with (the latest epoch it has applied) and its ring. The
// assignment comes with the membership (computed once, from the previous epoch's, and replicated
// through the Raft log and snapshots), so every node serves the same ring at the same epoch.
import { epochRingSteps, Ring, type Assignment } from '@ringkv/core';
import type { MemberRecord, Membership } from './member.js';
import { inlineRingAssigner, runRingStepsWith, type RingAssigner } from './ring-assigner.js';

const NONE: readonly string[] = Object.freeze([]);
/** Removed members remembered (wasMember), most recent last. */
const FORMER_KEPT = 64;

export type MembershipListener = (membership: Membership, ring: Ring) => void;

export class ClusterState {
  private current?: {
    membership: Membership; ring: Ring; assignment: Assignment; byId: Map<string, MemberRecord>;
    /** While members join or leave: the ring once they have (joiners in, leavers out). */
    target?: Ring;
  };
  private previousRing?: Ring;
  private readonly listeners: MembershipListener[] = [];
  /** Members removed lately, by id: their peer address (a removed node still hands its hints over). */
  private readonly former = new Map<string, string>();

  constructor(readonly selfId: string, private readonly assigner: RingAssigner = inlineRingAssigner) {}

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

  member(id: string): MemberRecord | undefined {
    return this.current?.byId.get(id);
  }

  /** Peer address of a member; throws for an unknown id (a bug: ids come from the ring). */
  peerOf(id: string): string {
    const m = this.current?.byId.get(id);
    if (!m) throw new Error(`unknown member ${id}`);
    return m.peer;
  }

  /**
   * A member removed by one of the epochs this process applied (the last FORMER_KEPT of them), at
   * that address: after its removal it hands its hints over, and those writes may be the only
   * copy some replica gets.
   */
  wasMember(id: string, peer: string): boolean {
    return this.former.get(id) === peer;
  }

  /** Members other than this node. */
  others(): MemberRecord[] {
    return this.current ? this.current.membership.members.filter((m) => m.id !== this.selfId) : [];
  }

  /**
   * Applies a membership epoch once its rings are computed (by the assigner: off the event loop for
   * large rings); older or equal epochs, and one overtaken by a newer epoch meanwhile, are ignored.
   */
  async apply(membership: Membership): Promise<boolean> {
    if (this.current && membership.epoch <= this.current.membership.epoch) return false;
    const rings = await runRingStepsWith(this.assigner, epochRingSteps({ ...membership, previous: this.current?.assignment }));
    if (this.current && membership.epoch <= this.current.membership.epoch) return false;
    const assignment = rings.assignment;
    const ring = new Ring(assignment);
    const target = rings.target ? new Ring(rings.target) : undefined;
    this.previousRing = this.current?.ring;
    const byId = new Map(membership.members.map((m) => [m.id, m]));
    for (const m of this.current?.membership.members ?? []) {
      if (byId.has(m.id)) continue;
      this.former.delete(m.id);
      this.former.set(m.id, m.peer);
      if (this.former.size > FORMER_KEPT) this.former.delete(this.former.keys().next().value!);
    }
    for (const id of byId.keys()) this.former.delete(id);
    this.current = { membership, ring, assignment, byId, target };
    for (const l of this.listeners) l(membership, ring);
    return true;
  }

  /** The ring once the members joining or leaving now have done so (undefined if none are). */
  get targetRing(): Ring | undefined {
    return this.current?.target;
  }

  /** The ring of the epoch applied before the current one (to find partitions gained). */
  get ringBefore(): Ring | undefined {
    return this.previousRing;
  }

  /**
   * Replicas that will own a partition once the current move completes but do not yet: they get
   * every write too (not counted toward W), so nothing written during the move is missed.
   */
  pendingReplicas(partition: number): readonly string[] {
    const target = this.current?.target;
    if (!target) return NONE;
    const owners = this.current!.ring.preferenceList(partition);
    return target.preferenceList(partition).filter((id) => !owners.includes(id));
  }

  onChange(listener: MembershipListener): void {
    this.listeners.push(listener);
  }
}
