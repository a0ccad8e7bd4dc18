// The inputs and output of the ring: members (from the membership at an epoch) and the assignment of
// every partition to its ordered preference list. Validation lives here so every entry point agrees.
import { InvalidRingConfigError } from './ring-errors.js';

/** A member as the ring sees it: id, optional zone (failure domain), optional relative weight. */
export interface RingMember {
  readonly id: string;
  /** Replicas of a partition go to distinct zones when zones are set. Absent or '' = the default zone. */
  readonly zone?: string;
  /** Relative capacity, default 1: a member with weight 2 owns about twice the slots of weight 1. */
  readonly weight?: number;
}

/**
 * Ownership of every partition at one epoch. preferenceLists[p] holds min(replicas, members) distinct
 * member ids; index 0 is the partition's primary. It is plain data so it can be logged with the epoch.
 */
export interface Assignment {
  readonly partitions: number;
  readonly replicas: number;
  /** The members it was computed from, sorted by id. */
  readonly members: readonly RingMember[];
  readonly preferenceLists: readonly (readonly string[])[];
}

/** Largest replica count accepted; far above any sensible N, it only bounds the work. */
export const MAX_REPLICAS = 16;
export const DEFAULT_REPLICAS = 3;

export function validateReplicaCount(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
    throw new InvalidRingConfigError(`replica count must be an integer between 1 and ${MAX_REPLICAS}, got ${String(n)}`, {
      replicas: n,
    });
  }
}

/** A member with its defaults filled in. */
export interface NormalizedMember {
  readonly id: string;
  readonly zone: string;
  readonly weight: number;
}

/** The zone a member counts in: members without a zone share the default zone ''. */
export function zoneOf(member: RingMember): string {
  return member.zone ?? '';
}

/** Validates members and returns them sorted by id (code unit order), so input order never matters. */
export function normalizeMembers(members: readonly RingMember[]): NormalizedMember[] {
  const out: NormalizedMember[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (typeof m?.id !== 'string' || m.id.length === 0) {
      throw new InvalidRingConfigError('every ring member needs a non-empty string id', { member: m });
    }
    if (seen.has(m.id)) throw new InvalidRingConfigError(`duplicate ring member id ${m.id}`, { id: m.id });
    seen.add(m.id);
    if (m.zone !== undefined && typeof m.zone !== 'string') {
      throw new InvalidRingConfigError(`zone of member ${m.id} must be a string`, { id: m.id });
    }
    const weight = m.weight ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > 1e6) {
      throw new InvalidRingConfigError(`weight of member ${m.id} must be a number in (0, 1e6], got ${String(weight)}`, {
        id: m.id,
      });
    }
    out.push({ id: m.id, zone: zoneOf(m), weight });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The member as stored in an Assignment: defaults left out, so a JSON round trip is the identity. */
export function storedMember(m: NormalizedMember): RingMember {
  const out: { id: string; zone?: string; weight?: number } = { id: m.id };
  if (m.zone !== '') out.zone = m.zone;
  if (m.weight !== 1) out.weight = m.weight;
  return Object.freeze(out);
}
