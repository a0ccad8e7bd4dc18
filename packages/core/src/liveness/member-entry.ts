// One member as gossip describes it, and the order that decides which of two descriptions wins.
// Only the member itself ever issues a new (incarnation, heartbeat); everyone else just passes on
// the highest one they have seen, so merging views is a join in a total order: commutative,
// associative and idempotent, and every node converges on the same view whatever the message order.

import { MEMBER_STATUSES, type MemberRecord, type MemberStatus } from '../membership/member-record.js';

/** A member record as gossip carries it, with the version that orders two descriptions of it. */
export interface MemberEntry extends MemberRecord {
  /** Raised by the member when it restarts or refutes a rumour about itself. */
  readonly incarnation: number;
  /** Raised by the member on every gossip round and on every change of its own entry. */
  readonly heartbeat: number;
  /** The highest membership epoch the member knows. */
  readonly epoch: number;
}

/** The version order: incarnation, then heartbeat. */
export function compareVersions(a: MemberEntry, b: MemberEntry): number {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  if (a.heartbeat !== b.heartbeat) return a.heartbeat < b.heartbeat ? -1 : 1;
  return 0;
}

/**
 * A total order on entries of one member: the version first; the remaining fields only break ties
 * between two different entries with one version (a member that restarted and lost its counters
 * before refuting), so that even then every node picks the same one.
 */
export function compareEntries(a: MemberEntry, b: MemberEntry): number {
  return (
    compareVersions(a, b) ||
    cmp(a.epoch, b.epoch) ||
    cmp(MEMBER_STATUSES.indexOf(a.status), MEMBER_STATUSES.indexOf(b.status)) ||
    cmp(a.peer, b.peer) ||
    cmp(a.http, b.http) ||
    cmp(a.zone ?? '', b.zone ?? '')
  );
}

function cmp<T extends number | string>(a: T, b: T): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The winner of two entries of one member (either may be absent). */
export function newerEntry(a: MemberEntry | undefined, b: MemberEntry | undefined): MemberEntry | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareEntries(a, b) >= 0 ? a : b;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Whether raw has every field of a MemberEntry with the right type (extra fields allowed). */
export function isMemberEntry(raw: unknown): raw is MemberEntry {
  if (typeof raw !== 'object' || raw === null) return false;
  const e = raw as Record<string, unknown>;
  return (
    typeof e.id === 'string' &&
    e.id !== '' &&
    typeof e.peer === 'string' &&
    typeof e.http === 'string' &&
    (e.zone === undefined || typeof e.zone === 'string') &&
    isCount(e.incarnation) &&
    isCount(e.heartbeat) &&
    isCount(e.epoch) &&
    MEMBER_STATUSES.includes(e.status as MemberStatus)
  );
}

/** A frozen copy of a valid entry with exactly the known fields (nothing extra from the wire). */
export function copyEntry(e: MemberEntry): MemberEntry {
  const entry: { -readonly [K in keyof MemberEntry]: MemberEntry[K] } = {
    id: e.id,
    peer: e.peer,
    http: e.http,
    incarnation: e.incarnation,
    heartbeat: e.heartbeat,
    status: e.status,
    epoch: e.epoch,
  };
  if (e.zone !== undefined) entry.zone = e.zone;
  return Object.freeze(entry);
}

/**
 * The entry with exactly the known fields, or undefined if any is missing or malformed. Entries
 * come from the network: a bad one is dropped rather than allowed into the view.
 */
export function normalizeEntry(raw: unknown): MemberEntry | undefined {
  return isMemberEntry(raw) ? copyEntry(raw) : undefined;
}

/** The join of two views: per member, the newer entry. Pure; neither input is changed. */
export function mergeViews(
  a: ReadonlyMap<string, MemberEntry>,
  b: ReadonlyMap<string, MemberEntry>,
): Map<string, MemberEntry> {
  const out = new Map(a);
  for (const [id, e] of b) out.set(id, newerEntry(out.get(id), e) as MemberEntry);
  return out;
}
