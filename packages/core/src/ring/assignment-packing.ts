// An Assignment as flat numbers, to cross a thread boundary cheaply: at Q=65536 the preference
// lists are 65536 arrays, and a structured clone of them costs the receiving event loop as much as
// rebuilding them from one typed array of member indices. unpackAssignment returns exactly what
// assignPartitions returns (frozen, same shapes), and checks what it reads.
import { InvalidRingConfigError } from './ring-errors.js';
import type { Assignment, RingMember } from './ring-member.js';

export interface PackedAssignment {
  readonly partitions: number;
  readonly replicas: number;
  readonly members: readonly RingMember[];
  /** Entries per preference list (every list holds min(replicas, members)). */
  readonly width: number;
  /** slots[p * width + j]: the index in members of the j-th replica of partition p. */
  readonly slots: Uint32Array;
}

export function packAssignment(a: Assignment): PackedAssignment {
  const index = new Map(a.members.map((m, i) => [m.id, i]));
  const width = a.preferenceLists[0]?.length ?? 0;
  const slots = new Uint32Array(a.partitions * width);
  a.preferenceLists.forEach((list, p) => {
    if (list.length !== width) throw new InvalidRingConfigError(`preference list ${p} holds ${list.length} members, not ${width}`, { partition: p });
    for (let j = 0; j < width; j++) {
      const i = index.get(list[j]);
      if (i === undefined) throw new InvalidRingConfigError(`preference list ${p} names ${list[j]}, not a member`, { partition: p });
      slots[p * width + j] = i;
    }
  });
  return { partitions: a.partitions, replicas: a.replicas, members: a.members, width, slots };
}

export function unpackAssignment(packed: PackedAssignment): Assignment {
  const { partitions, replicas, width, slots } = packed;
  if (!(slots instanceof Uint32Array) || !Number.isInteger(partitions) || partitions < 1 || !Number.isInteger(width) || width < 0 || slots.length !== partitions * width) {
    throw new InvalidRingConfigError('packed assignment: slots do not match its partitions and width', { partitions, width });
  }
  const members = Object.freeze(packed.members.map((m) => Object.freeze({ ...m })));
  const ids = members.map((m) => m.id);
  const lists = new Array<readonly string[]>(partitions);
  for (let p = 0; p < partitions; p++) {
    const list = new Array<string>(width);
    for (let j = 0; j < width; j++) {
      const id = ids[slots[p * width + j]];
      if (id === undefined) throw new InvalidRingConfigError(`packed assignment: partition ${p} names member ${slots[p * width + j]} of ${ids.length}`, { partition: p });
      list[j] = id;
    }
    lists[p] = Object.freeze(list);
  }
  return Object.freeze({ partitions, replicas, members, preferenceLists: Object.freeze(lists) });
}
