// The cluster membership as the Raft log defines it: a list of members with their status, the
// ring's parameters, and an epoch that grows by one with every committed change. Epoch 1 is the
// bootstrap seed list. Everything here is pure: every node applies the same commands in the same
// order and reaches the same state, hence the same ring.
//
// The partition assignment is part of the state: it depends on the previous epoch's assignment
// (to move as little as possible), so a node that starts from a snapshot must take it from the
// snapshot rather than recompute it from scratch, or its ring would differ from its peers'.

import type { Assignment } from '../ring/ring-member.js';
import { assignRing, ringFor, runRingSteps, type RingSteps } from '../ring/ring-steps.js';
import { isValidAddress, isValidNodeId, isValidZone } from './member-names.js';
import { ownersRing, owningMembersOf } from './ownership.js';

import { isMemberStatus, type MemberRecord } from './member-record.js';

export type { MemberRecord, MemberStatus } from './member-record.js';

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

/**
 * A refused command's `inEffect` says that what it asks for already holds (an add of a member with
 * the same addresses: a retried join whose first attempt committed), so a caller may treat it as done.
 */
export type ApplyOutcome = { ok: true; state: MembershipState } | { ok: false; state: MembershipState; reason: string; inEffect?: true };

export function initialMembership(partitions: number, replicas: number, members: readonly Omit<MemberRecord, 'status'>[]): MembershipState {
  const sorted = sortMembers(members.map((m) => ({ ...m, status: 'normal' as const })));
  return { epoch: 1, partitions, replicas, members: sorted, assignment: assignRing(ownersRing(sorted, partitions, replicas, undefined)) };
}

/**
 * Applies one committed command. Total: it never throws. An invalid command (a malformed field,
 * unknown id, duplicate id or address, a transition that makes no sense, or one the ring cannot
 * place) leaves the state and epoch unchanged and says why; every node reaches the same verdict
 * from the same state and command, so the state stays identical everywhere.
 */
export function applyMembershipCommand(state: MembershipState, cmd: MembershipCommand): ApplyOutcome {
  return runRingSteps(membershipCommandSteps(state, cmd));
}

/**
 * applyMembershipCommand as steps (ring-steps.ts): it asks for the new epoch's assignment instead of
 * computing it, so a node can compute that off its event loop. Same verdicts, same states.
 */
export function* membershipCommandSteps(state: MembershipState, cmd: MembershipCommand): RingSteps<ApplyOutcome> {
  const malformed = commandShapeError(cmd);
  if (malformed) return { ok: false, state, reason: `malformed command: ${malformed}` };
  try {
    const ruled = nextMembers(state, cmd);
    if (!Array.isArray(ruled)) return ruled;
    const members = sortMembers(ruled);
    const assignment = yield* ringFor(ownersRing(members, state.partitions, state.replicas, state.assignment));
    return { ok: true, state: { ...state, epoch: state.epoch + 1, members, assignment } };
  } catch (err) {
    // Deterministic like the rest: the same state and command throw the same way on every node.
    return { ok: false, state, reason: `cannot apply: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Why a value is not a well-formed command, or undefined. The edges (admin API, peer protocol)
 * check the same with their schema; this repeats it for entries committed before they did.
 */
export function commandShapeError(cmd: unknown): string | undefined {
  if (typeof cmd !== 'object' || cmd === null || Array.isArray(cmd)) return 'not an object';
  const c = cmd as Record<string, unknown>;
  const id = (v: unknown, field: string) => (isValidNodeId(v) ? undefined : `${field} is not a valid node id`);
  const address = (v: unknown, field: string) => (isValidAddress(v) ? undefined : `${field} is not HOST:PORT`);
  switch (c.op) {
    case 'add': {
      const m = c.member;
      if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'member is not an object';
      const mm = m as Record<string, unknown>;
      if (mm.zone !== undefined && !isValidZone(mm.zone)) return 'member.zone is not a valid zone';
      return id(mm.id, 'member.id') ?? address(mm.peer, 'member.peer') ?? address(mm.http, 'member.http');
    }
    case 'activate':
    case 'leave':
    case 'remove':
      return id(c.id, 'id');
    case 'setZone':
      if (c.zone !== null && !isValidZone(c.zone)) return 'zone is not a valid zone';
      return id(c.id, 'id');
    case 'setAddress':
      return id(c.id, 'id') ?? address(c.peer, 'peer') ?? address(c.http, 'http');
    default:
      return `unknown op ${typeof c.op === 'string' ? JSON.stringify(c.op.slice(0, 32)) : typeof c.op}`;
  }
}

/** The members of the next epoch if the rules accept the command, or why they refuse it. */
function nextMembers(state: MembershipState, cmd: MembershipCommand): MemberRecord[] | ApplyOutcome {
  const refuse = (reason: string): ApplyOutcome => ({ ok: false, state, reason });
  const alreadyInEffect = (reason: string): ApplyOutcome => ({ ok: false, state, reason, inEffect: true });
  const find = (id: string) => state.members.find((m) => m.id === id);
  const replace = (id: string, change: Partial<MemberRecord>) => state.members.map((m) => (m.id === id ? { ...m, ...change } : m));
  switch (cmd.op) {
    case 'add': {
      const m = cmd.member;
      const existing = find(m.id);
      if (existing) {
        if (existing.peer === m.peer && existing.http === m.http) return alreadyInEffect(`add: ${m.id} is already a member (${existing.status})`);
        return refuse(`add: id ${m.id} is taken by the member at ${existing.peer}`);
      }
      const clash = state.members.find((x) => x.peer === m.peer);
      if (clash) return refuse(`add: peer address ${m.peer} belongs to ${clash.id}`);
      return [...state.members, { id: m.id, peer: m.peer, http: m.http, ...(m.zone ? { zone: m.zone } : {}), status: 'joining' }];
    }
    case 'activate': {
      const m = find(cmd.id);
      if (!m) return refuse(`activate: ${cmd.id} is not a member`);
      if (m.status !== 'joining') return refuse(`activate: ${cmd.id} is ${m.status}, not joining`);
      return replace(cmd.id, { status: 'normal' });
    }
    case 'leave': {
      const m = find(cmd.id);
      if (!m) return refuse(`leave: ${cmd.id} is not a member`);
      if (m.status === 'leaving') return refuse(`leave: ${cmd.id} is already leaving`);
      if (m.status !== 'normal') return refuse(`leave: ${cmd.id} is ${m.status}`);
      if (state.members.filter((x) => x.status === 'normal').length <= 1) return refuse('leave: the last normal member cannot leave');
      return replace(cmd.id, { status: 'leaving' });
    }
    case 'remove': {
      const m = find(cmd.id);
      if (!m) return refuse(`remove: ${cmd.id} is not a member`);
      if (state.members.length <= 1) return refuse('remove: the last member cannot be removed');
      return state.members.filter((x) => x.id !== cmd.id);
    }
    case 'setZone': {
      const m = find(cmd.id);
      if (!m) return refuse(`setZone: ${cmd.id} is not a member`);
      if ((m.zone ?? null) === (cmd.zone || null)) return refuse(`setZone: ${cmd.id} is already in zone ${cmd.zone ?? '(none)'}`);
      const { zone: _old, ...rest } = m;
      return state.members.map((x) => (x.id === cmd.id ? (cmd.zone ? { ...rest, zone: cmd.zone } : rest) : x));
    }
    case 'setAddress': {
      const m = find(cmd.id);
      if (!m) return refuse(`setAddress: ${cmd.id} is not a member`);
      if (m.peer === cmd.peer && m.http === cmd.http) return refuse(`setAddress: ${cmd.id} already has these addresses`);
      const clash = state.members.find((x) => x.peer === cmd.peer && x.id !== cmd.id);
      if (clash) return refuse(`setAddress: peer address ${cmd.peer} belongs to ${clash.id}`);
      return replace(cmd.id, { peer: cmd.peer, http: cmd.http });
    }
    default:
      return refuse(`unknown membership command ${JSON.stringify((cmd as { op?: unknown }).op)}`);
  }
}

/** The members that own partitions at this epoch: normal and leaving (joining ones are pending). */
export function owningMembers(state: MembershipState): MemberRecord[] {
  return owningMembersOf(state.members);
}

function sortMembers(members: MemberRecord[]): MemberRecord[] {
  return [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeMembershipCommand(cmd: MembershipCommand): Uint8Array {
  return utf8.encode(JSON.stringify(cmd));
}

/**
 * The command of a log entry: JSON of a command, checked by shape (commandShapeError). Throws on
 * bytes that are not a well-formed command; the caller records the entry as refused.
 */
export function decodeMembershipCommand(bytes: Uint8Array): MembershipCommand {
  const cmd: unknown = JSON.parse(fromUtf8.decode(bytes));
  const why = commandShapeError(cmd);
  if (why) throw new TypeError(`malformed membership command: ${why}`);
  return cmd as MembershipCommand;
}

export function encodeMembershipState(state: MembershipState): Uint8Array {
  return utf8.encode(JSON.stringify(state));
}

/** A membership state from its JSON (a Raft snapshot, a peer's reply). Throws unless well-formed. */
export function decodeMembershipState(bytes: Uint8Array): MembershipState {
  const state: unknown = JSON.parse(fromUtf8.decode(bytes));
  const why = membershipStateShapeError(state);
  if (why) throw new TypeError(`malformed membership state: ${why}`);
  return state as MembershipState;
}

const isCount = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/**
 * Why a value is not a well-formed membership state, or undefined: the fields, the member records
 * (valid names, known status, sorted by id, no duplicate), and an assignment of exactly
 * `partitions` preference lists naming only the assignment's members. O(partitions x replicas).
 */
export function membershipStateShapeError(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return 'not an object';
  const s = state as Record<string, unknown>;
  if (!isCount(s.epoch, 1, Number.MAX_SAFE_INTEGER)) return 'epoch is not a positive integer';
  if (!isCount(s.partitions, 1, 65536) || ((s.partitions as number) & ((s.partitions as number) - 1)) !== 0) return 'partitions is not a power of two up to 65536';
  if (!isCount(s.replicas, 1, 16)) return 'replicas is not 1..16';
  if (!Array.isArray(s.members) || s.members.length > 4096) return 'members is not a list (of at most 4096)';
  let previous = '';
  for (const m of s.members as unknown[]) {
    if (typeof m !== 'object' || m === null) return 'a member is not an object';
    const r = m as Record<string, unknown>;
    if (!isValidNodeId(r.id)) return 'a member id is not a valid node id';
    if (r.id <= previous) return 'members are not sorted by id without duplicates';
    previous = r.id;
    if (!isValidAddress(r.peer) || !isValidAddress(r.http)) return `member ${r.id} has an address that is not HOST:PORT`;
    if (r.zone !== undefined && !isValidZone(r.zone)) return `member ${r.id} has an invalid zone`;
    if (!isMemberStatus(r.status)) return `member ${r.id} has an unknown status`;
  }
  const a = s.assignment;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return 'assignment is not an object';
  const asg = a as Record<string, unknown>;
  if (asg.partitions !== s.partitions || asg.replicas !== s.replicas) return 'assignment partitions or replicas differ from the state';
  if (!Array.isArray(asg.members) || asg.members.length > 4096) return 'assignment members is not a list';
  const owners = new Set<string>();
  for (const m of asg.members as unknown[]) {
    if (typeof m !== 'object' || m === null) return 'an assignment member is not an object';
    const r = m as Record<string, unknown>;
    if (!isValidNodeId(r.id) || owners.has(r.id)) return 'an assignment member id is invalid or repeated';
    if (r.zone !== undefined && !isValidZone(r.zone)) return 'an assignment member zone is invalid';
    if (r.weight !== undefined && !(typeof r.weight === 'number' && Number.isFinite(r.weight) && r.weight > 0 && r.weight <= 1e6)) return 'an assignment member weight is invalid';
    owners.add(r.id);
  }
  const lists = asg.preferenceLists;
  if (!Array.isArray(lists) || lists.length !== s.partitions) return 'assignment does not hold one preference list per partition';
  const width = Math.min(s.replicas as number, owners.size);
  for (const list of lists as unknown[]) {
    if (!Array.isArray(list) || list.length !== width) return `a preference list does not hold ${width} replicas`;
    for (let i = 0; i < list.length; i++) {
      const id: unknown = list[i];
      if (typeof id !== 'string' || !owners.has(id) || list.indexOf(id) !== i) return 'a preference list names an unknown or repeated member';
    }
  }
  return undefined;
}
