// POST /cluster/plan: what a membership change would move, without making it. The change is
// applied to a copy of the membership with core's own rules (membershipCommandSteps), the ring
// after it is core's (epochRingSteps: the target ring once the moves it starts are done, or the ring
// of the new epoch), and core's ringMoves compares the two. Written as ring steps, so the node
// computes those rings off its event loop as it does for a real change. Bytes are an estimate: the copies that
// stream times the average bytes of a partition replica on the members that report their disk.
import {
  epochRingSteps, membershipCommandSteps, ringMoves, type MembershipCommand, type MembershipState, type RingSteps,
} from '@ringkv/core';
import { MembershipChangeRefusedError } from '../membership/membership-errors.js';
import type { SelfStatus } from '../protocol/peer-messages.js';

export interface PlanView {
  op: MembershipCommand['op'];
  id: string;
  /** The epoch the plan was computed at (the change would create the next). */
  epoch: number;
  partitionsMoving: number;
  /** Copies that would stream (a partition gaining two owners streams twice). */
  copiesMoving: number;
  /** Estimated; null when no member reports its bytes on disk. */
  bytesMoving: number | null;
  shares: Record<string, { before: number; after: number }>;
  moving: { partition: number; gaining: string[] }[];
}

/** The id a command is about. */
export function commandId(cmd: MembershipCommand): string {
  return cmd.op === 'add' ? cmd.member.id : cmd.id;
}

/** Average bytes of one partition replica: each reporting member's disk bytes over the partitions it holds. */
export function bytesPerReplica(lists: readonly (readonly string[])[], parts: Iterable<SelfStatus>): number | null {
  const held = new Map<string, number>();
  for (const list of lists) for (const id of list) held.set(id, (held.get(id) ?? 0) + 1);
  let bytes = 0;
  let replicas = 0;
  for (const part of parts) {
    const n = held.get(part.id) ?? 0;
    if (part.diskBytes === null || n === 0) continue;
    bytes += part.diskBytes;
    replicas += n;
  }
  return replicas === 0 ? null : bytes / replicas;
}

export function* planChangeSteps(state: MembershipState, cmd: MembershipCommand, parts: Iterable<SelfStatus>): RingSteps<PlanView> {
  const outcome = yield* membershipCommandSteps(state, cmd);
  if (!outcome.ok) throw new MembershipChangeRefusedError(outcome.reason, outcome.inEffect === true);
  const before = state.assignment.preferenceLists;
  const rings = yield* epochRingSteps(outcome.state);
  const after = (rings.target ?? rings.assignment).preferenceLists;
  const moves = ringMoves(before, after);
  const perReplica = bytesPerReplica(before, parts);
  return {
    op: cmd.op, id: commandId(cmd), epoch: state.epoch,
    partitionsMoving: moves.partitionsMoving, copiesMoving: moves.copiesMoving,
    bytesMoving: perReplica === null ? null : Math.round(perReplica * moves.copiesMoving),
    shares: moves.shares, moving: moves.moving,
  };
}
