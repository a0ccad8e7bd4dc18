// The cluster membership as the Raft log defines it: a list of members with their status, the
// ring's parameters, and an epoch that grows by one with every committed change. Epoch 1 is the
// bootstrap seed list. Everything here is pure: every node applies the same commands in the same
// order and reaches the same state, hence the same ring.
//
// The partition assignment is part of the state: it depends on the previous epoch's assignment
// (to move as little as possible), so a node that starts from a snapshot must take it from the
// snapshot rather than recompute it from scratch, or its ring would differ from its peers'.

import { assignPartitions } from '../ring/assignment.js';
import type { Assignment } from '../ring/ring-member.js';

export type MemberStatus = 'joining' | 'normal' | 'leaving' | 'left';

export interface MemberRecord {
  readonly id: string;
  /** Peer address HOST:PORT. */
  readonly peer: string;
  /** Client API address HOST:PORT. */
  readonly http: string;
  readonly zone?: string;
  readonly status: MemberStatus;
}

export interface MembershipState {
  readonly epoch: number;
  readonly partitions: number;
  readonly replicas: number;
  /** Sorted by id. */
  readonly members: readonly MemberRecord[];
  /** Ownership at this epoch, from the owning members and the previous epoch's assignment. */
  readonly assignment: Assignment;
}

export type MembershipCommand =
  /** A new member, `joining` until it holds what it owns. */
  | { readonly op: 'add'; readonly member: { id: string; peer: string; http: string; zone?: string } }
  /** A joining member holds its partitions: it becomes `normal`. */
  | { readonly op: 'activate'; readonly id: string }
  /** Decommission starts: the member streams its partitions away. */
  | { readonly op: 'leave'; readonly id: string }
  /** The member is gone (after leaving, or dropped while dead). */
  | { readonly op: 'remove'; readonly id: string }
  | { readonly op: 'setZone'; readonly id: string; readonly zone: string | null }
  /** A member's addresses changed (a pod restarted under a new address). */
  | { readonly op: 'setAddress'; readonly id: string; readonly peer: string; readonly http: string };

export type ApplyOutcome = { ok: true; state: MembershipState } | { ok: false; state: MembershipState; reason: string };

export function initialMembership(partitions: number, replicas: number, members: readonly Omit<MemberRecord, 'status'>[]): MembershipState {
  const sorted = sortMembers(members.map((m) => ({ ...m, status: 'normal' as const })));
  return { epoch: 1, partitions, replicas, members: sorted, assignment: assignFor(sorted, partitions, replicas, undefined) };
}

function assignFor(members: readonly MemberRecord[], partitions: number, replicas: number, previous: Assignment | undefined): Assignment {
  const owners = members.filter((m) => m.status === 'normal' || m.status === 'leaving').map((m) => (m.zone ? { id: m.id, zone: m.zone } : { id: m.id }));
  return assignPartitions(owners, partitions, replicas, previous);
}

/**
 * Applies one committed command. An invalid command (unknown id, duplicate id or address, a
 * transition that makes no sense) leaves the state and epoch unchanged and says why; every node
 * reaches the same verdict, so the state stays identical everywhere.
 */
export function applyMembershipCommand(state: MembershipState, cmd: MembershipCommand): ApplyOutcome {
  const refuse = (reason: string): ApplyOutcome => ({ ok: false, state, reason });
  const find = (id: string) => state.members.find((m) => m.id === id);
  const next = (members: MemberRecord[]): ApplyOutcome => {
    const sorted = sortMembers(members);
    const assignment = assignFor(sorted, state.partitions, state.replicas, state.assignment);
    return { ok: true, state: { ...state, epoch: state.epoch + 1, members: sorted, assignment } };
  };
  const replace = (id: string, change: Partial<MemberRecord>) => state.members.map((m) => (m.id === id ? { ...m, ...change } : m));
  switch (cmd.op) {
    case 'add': {
      const m = cmd.member;
      if (!m || typeof m.id !== 'string' || !m.id) return refuse('add: member id missing');
      const existing = find(m.id);
      if (existing) {
        if (existing.peer === m.peer && existing.http === m.http) return refuse(`add: ${m.id} is already a member (${existing.status})`);
        return refuse(`add: id ${m.id} is taken by the member at ${existing.peer}`);
      }
      const clash = state.members.find((x) => x.peer === m.peer);
      if (clash) return refuse(`add: peer address ${m.peer} belongs to ${clash.id}`);
      return next([...state.members, { id: m.id, peer: m.peer, http: m.http, ...(m.zone ? { zone: m.zone } : {}), status: 'joining' }]);
    }
    case 'activate': {
      const m = find(cmd.id);
      if (!m) return refuse(`activate: ${cmd.id} is not a member`);
      if (m.status !== 'joining') return refuse(`activate: ${cmd.id} is ${m.status}, not joining`);
      return next(replace(cmd.id, { status: 'normal' }));
    }
    case 'leave': {
      const m = find(cmd.id);
      if (!m) return refuse(`leave: ${cmd.id} is not a member`);
      if (m.status === 'leaving') return refuse(`leave: ${cmd.id} is already leaving`);
      if (m.status !== 'normal') return refuse(`leave: ${cmd.id} is ${m.status}`);
      if (state.members.filter((x) => x.status === 'normal').length <= 1) return refuse('leave: the last normal member cannot leave');
      return next(replace(cmd.id, { status: 'leaving' }));
    }
    case 'remove': {
      const m = find(cmd.id);
      if (!m) return refuse(`remove: ${cmd.id} is not a member`);
      if (state.members.length <= 1) return refuse('remove: the last member cannot be removed');
      return next(state.members.filter((x) => x.id !== cmd.id));
    }
    case 'setZone': {
      const m = find(cmd.id);
      if (!m) return refuse(`setZone: ${cmd.id} is not a member`);
      if ((m.zone ?? null) === (cmd.zone || null)) return refuse(`setZone: ${cmd.id} is already in zone ${cmd.zone ?? '(none)'}`);
      const { zone: _old, ...rest } = m;
      return next(state.members.map((x) => (x.id === cmd.id ? (cmd.zone ? { ...rest, zone: cmd.zone } : rest) : x)));
    }
    case 'setAddress': {
      const m = find(cmd.id);
      if (!m) return refuse(`setAddress: ${cmd.id} is not a member`);
      if (m.peer === cmd.peer && m.http === cmd.http) return refuse(`setAddress: ${cmd.id} already has these addresses`);
      const clash = state.members.find((x) => x.peer === cmd.peer && x.id !== cmd.id);
      if (clash) return refuse(`setAddress: peer address ${cmd.peer} belongs to ${clash.id}`);
      return next(replace(cmd.id, { peer: cmd.peer, http: cmd.http }));
    }
    default:
      return refuse(`unknown membership command ${JSON.stringify((cmd as { op?: unknown }).op)}`);
  }
}

/** The members that own partitions at this epoch: normal and leaving (joining ones are pending). */
export function owningMembers(state: MembershipState): MemberRecord[] {
  return state.members.filter((m) => m.status === 'normal' || m.status === 'leaving');
}

function sortMembers(members: MemberRecord[]): MemberRecord[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeMembershipCommand(cmd: MembershipCommand): Uint8Array {
  return utf8.encode(JSON.stringify(cmd));
}

export function decodeMembershipCommand(bytes: Uint8Array): MembershipCommand {
  return JSON.parse(fromUtf8.decode(bytes)) as MembershipCommand;
}

export function encodeMembershipState(state: MembershipState): Uint8Array {
  return utf8.encode(JSON.stringify(state));
}

export function decodeMembershipState(bytes: Uint8Array): MembershipState {
  return JSON.parse(fromUtf8.decode(bytes)) as MembershipState;
}
