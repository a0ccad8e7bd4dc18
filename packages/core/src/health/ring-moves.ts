// What a membership change would move, as a pure function of the ring before and after it
// (POST /cluster/plan): which partitions gain an owner (each new owner streams a copy), and each
// member's share of the partition replicas before and after (0..1). Nothing is changed.

export interface RingMoves {
  /** Partitions whose preference list gains a member (a copy streams to it). */
  partitionsMoving: number;
  /** Copies that stream: one per partition and member gaining it. */
  copiesMoving: number;
  /** The moving partitions, ascending, with the members gaining each. */
  moving: { partition: number; gaining: string[] }[];
  /** Share of the replicas per member, before and after (members of either ring). */
  shares: Record<string, { before: number; after: number }>;
}

/** Each member's fraction of all replicas of a ring (0 for a member it does not list). */
export function replicaShares(lists: readonly (readonly string[])[]): Map<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (const list of lists) {
    for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
    total += list.length;
  }
  const out = new Map<string, number>();
  for (const [id, n] of counts) out.set(id, total === 0 ? 0 : n / total);
  return out;
}

/** The moves from `before` to `after` (the same number of partitions: index = partition). */
export function ringMoves(before: readonly (readonly string[])[], after: readonly (readonly string[])[]): RingMoves {
  if (before.length !== after.length) throw new RangeError(`rings of ${before.length} and ${after.length} partitions cannot be compared`);
  const moving: RingMoves['moving'] = [];
  let copies = 0;
  for (let p = 0; p < after.length; p++) {
    const had = new Set(before[p]);
    const gaining = after[p].filter((id) => !had.has(id));
    if (gaining.length === 0) continue;
    moving.push({ partition: p, gaining });
    copies += gaining.length;
  }
  const was = replicaShares(before);
  const will = replicaShares(after);
  const shares: RingMoves['shares'] = {};
  for (const id of [...new Set([...was.keys(), ...will.keys()])].sort()) {
    shares[id] = { before: was.get(id) ?? 0, after: will.get(id) ?? 0 };
  }
  return { partitionsMoving: moving.length, copiesMoving: copies, moving, shares };
}
