// Who owns what at an epoch: the ownership rules of a member's status, written once, and the two
// rings a membership defines. The ring now is computed from the owners (normal and leaving members:
// a joining member owns nothing until it is activated, and receives writes as a pending replica);
// while members move, the target ring is the one after the moves (normal and joining members),
// computed from the ring now so that it moves as little as possible.
import type { Assignment, RingMember } from '../ring/ring-member.js';
import { ringFor, runRingSteps, type RingRequest, type RingSteps } from '../ring/ring-steps.js';
import type { MemberRecord, MemberStatus } from './member-record.js';

/** Owns partitions at this epoch: normal, and leaving until it is removed. */
export function ownsNow(status: MemberStatus): boolean {
  return status === 'normal' || status === 'leaving';
}

/** Owns partitions once the moves in progress end: normal, and joining once it is activated. */
export function ownsAfterMoves(status: MemberStatus): boolean {
  return status === 'normal' || status === 'joining';
}

/** On its way in or out: partitions are streaming to or from it. */
export function isMoving(status: MemberStatus): boolean {
  return status === 'joining' || status === 'leaving';
}

/** The members the rule selects, as the ring sees them (id and zone). */
export function ringMembersOf(members: readonly MemberRecord[], rule: (status: MemberStatus) => boolean): RingMember[] {
  return members.filter((m) => rule(m.status)).map((m) => (m.zone ? { id: m.id, zone: m.zone } : { id: m.id }));
}

/** The owners at this epoch (normal and leaving). */
export function owningMembersOf(members: readonly MemberRecord[]): MemberRecord[] {
  return members.filter((m) => ownsNow(m.status));
}

export interface EpochRings {
  /** Ownership now. */
  readonly assignment: Assignment;
  /** Ownership after the moves in progress; absent when no member is joining or leaving. */
  readonly target?: Assignment;
}

export interface EpochRingsInput {
  readonly members: readonly MemberRecord[];
  readonly partitions: number;
  readonly replicas: number;
  /** The assignment the membership log replicated for this epoch, when there is one: used as is. */
  readonly assignment?: Assignment;
  /** The previous epoch's assignment, from which a computed one moves as little as possible. */
  readonly previous?: Assignment;
}

/** The ring of the owners (normal and leaving), moved as little as possible from previous. */
export function ownersRing(members: readonly MemberRecord[], partitions: number, replicas: number, previous: Assignment | undefined): RingRequest {
  return { members: ringMembersOf(members, ownsNow), partitions, replicas, ...(previous ? { previous } : {}) };
}

/** The ring now (the replicated one, or computed from the owners) and the target ring while moving. */
export function epochRings(input: EpochRingsInput): EpochRings {
  return runRingSteps(epochRingSteps(input));
}

/** epochRings as steps (ring-steps.ts), for a node that computes rings off its event loop. */
export function* epochRingSteps(input: EpochRingsInput): RingSteps<EpochRings> {
  const { members, partitions, replicas } = input;
  const assignment = input.assignment ?? (yield* ringFor(ownersRing(members, partitions, replicas, input.previous)));
  if (!members.some((m) => isMoving(m.status))) return { assignment };
  return { assignment, target: yield* ringFor({ members: ringMembersOf(members, ownsAfterMoves), partitions, replicas, previous: assignment }) };
}
