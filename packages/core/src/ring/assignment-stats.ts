// Measures of an assignment, for tests, the docs table and operators (`ringkv cluster ring`):
// slots per member against the ideal, and slots moved between two epochs against the least possible.
import type { Assignment } from './ring-member.js';

export interface OwnershipStats {
  /** Slots (partition, replica) each member holds, by member id. */
  readonly slots: ReadonlyMap<string, number>;
  readonly min: number;
  readonly max: number;
  /** Q * min(N, M) / M: the mean, the ideal for equal weights. */
  readonly ideal: number;
  readonly stddev: number;
}

export function ownershipStats(a: Assignment): OwnershipStats {
  const slots = new Map<string, number>(a.members.map((m) => [m.id, 0]));
  for (const list of a.preferenceLists) for (const id of list) slots.set(id, (slots.get(id) ?? 0) + 1);
  const counts = [...slots.values()];
  const m = counts.length;
  const ideal = m === 0 ? 0 : (a.partitions * Math.min(a.replicas, m)) / m;
  const variance = m === 0 ? 0 : counts.reduce((s, c) => s + (c - ideal) ** 2, 0) / m;
  return {
    slots,
    min: m === 0 ? 0 : Math.min(...counts),
    max: m === 0 ? 0 : Math.max(...counts),
    ideal,
    stddev: Math.sqrt(variance),
  };
}

/** (partition, member) slots in next that were not in prev: the replicas that must be streamed. */
export function movedSlots(prev: Assignment, next: Assignment): number {
  let moved = 0;
  next.preferenceLists.forEach((list, p) => {
    const before = new Set(prev.preferenceLists[p] ?? []);
    for (const id of list) if (!before.has(id)) moved++;
  });
  return moved;
}

/**
 * A lower bound on movedSlots(prev, next) for any assignment with next's slot counts: a member can
 * keep at most the slots it had, so every slot it holds beyond that is new.
 */
export function minimumMovedSlots(prev: Assignment, next: Assignment): number {
  const before = ownershipStats(prev).slots;
  let min = 0;
  for (const [id, n] of ownershipStats(next).slots) min += Math.max(0, n - (before.get(id) ?? 0));
  return min;
}
