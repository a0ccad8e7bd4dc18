// Ring: read-only queries over one epoch's Assignment (who owns a partition or a key, what a member
// owns, where writes go when owners are down). Built once per epoch; every query is cheap.
import { partitionOf, validatePartitionCount } from './key-hash.js';
import { InvalidRingConfigError } from './ring-errors.js';
import type { Assignment, RingMember } from './ring-member.js';
import { sloppyTargets, type FallbackTarget } from './sloppy-quorum.js';

export interface MemberPartitions {
  /** Partitions where the member is first in the preference list. */
  readonly primary: readonly number[];
  /** Partitions where the member holds one of the other replicas. */
  readonly replica: readonly number[];
}

const NO_PARTITIONS: MemberPartitions = Object.freeze({ primary: Object.freeze([]), replica: Object.freeze([]) });

export class Ring {
  readonly partitions: number;
  readonly replicas: number;
  readonly members: readonly RingMember[];
  private readonly lists: readonly (readonly string[])[];
  private readonly byMember = new Map<string, MemberPartitions>();
  /** Lazily built per partition: distinct members met walking the ring past it (fallback order). */
  private readonly walks = new Map<number, readonly string[]>();

  constructor(assignment: Assignment) {
    validatePartitionCount(assignment.partitions);
    if (assignment.preferenceLists.length !== assignment.partitions) {
      throw new InvalidRingConfigError('assignment must hold one preference list per partition', {
        partitions: assignment.partitions,
        lists: assignment.preferenceLists.length,
      });
    }
    this.partitions = assignment.partitions;
    this.replicas = assignment.replicas;
    this.members = assignment.members;
    this.lists = assignment.preferenceLists;
    const acc = new Map<string, { primary: number[]; replica: number[] }>();
    this.lists.forEach((list, p) =>
      list.forEach((id, at) => {
        let e = acc.get(id);
        if (e === undefined) acc.set(id, (e = { primary: [], replica: [] }));
        (at === 0 ? e.primary : e.replica).push(p);
      }),
    );
    for (const [id, e] of acc) this.byMember.set(id, Object.freeze({ primary: Object.freeze(e.primary), replica: Object.freeze(e.replica) }));
  }

  /** The ordered replicas of a partition; index 0 is the primary. */
  preferenceList(partition: number): readonly string[] {
    this.checkPartition(partition);
    return this.lists[partition];
  }

  /** The partitions a member holds, split by primary and other replica; empty for a non-member. */
  partitionsOf(member: string): MemberPartitions {
    return this.byMember.get(member) ?? NO_PARTITIONS;
  }

  partitionOf(key: Uint8Array): number {
    return partitionOf(key, this.partitions);
  }

  /** The preference list of the key's partition. */
  ownersOf(key: Uint8Array): readonly string[] {
    return this.lists[this.partitionOf(key)];
  }

  /**
   * Where a write to `partition` goes when some owners are down (sloppy quorum): each owner that is up
   * is a plain target; each owner that is down is replaced by the next up member walking the ring
   * (partitions after this one, their replicas in order) that is not an owner and not already chosen,
   * marked hinted for the down owner. A down owner with no substitute is left out.
   */
  fallbackTargets(partition: number, isUp: (id: string) => boolean): FallbackTarget[] {
    this.checkPartition(partition);
    return sloppyTargets(this.lists[partition], this.walkFrom(partition), isUp);
  }

  private walkFrom(partition: number): readonly string[] {
    let walk = this.walks.get(partition);
    if (walk === undefined) {
      const seen = new Set<string>();
      const order: string[] = [];
      const total = this.byMember.size;
      for (let step = 1; step <= this.partitions && seen.size < total; step++) {
        for (const id of this.lists[(partition + step) % this.partitions]) {
          if (!seen.has(id)) {
            seen.add(id);
            order.push(id);
          }
        }
      }
      walk = Object.freeze(order);
      this.walks.set(partition, walk);
    }
    return walk;
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
      throw new InvalidRingConfigError(`partition ${String(partition)} is outside [0, ${this.partitions})`, { partition });
    }
  }
}
