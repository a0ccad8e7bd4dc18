// Finding the buckets where two replicas' trees differ. diffTrees compares two local trees
// directly. Over the network the same search runs level by level (compareLevel): one side sends the
// hashes of some nodes at a depth, the other answers with the children worth asking about, so only
// the hashes of differing subtrees ever travel. Both descend only where hashes differ.
import { MerkleShapeError } from './merkle-errors.js';
import type { PartitionTree } from './partition-tree.js';

/** One request of the top-down protocol: the nodes at depth whose hashes are to be compared. */
export interface LevelRequest {
  readonly depth: number;
  readonly indexes: readonly number[];
}

/** Where every comparison starts: the root. */
export const ROOT_REQUEST: LevelRequest = Object.freeze({ depth: 0, indexes: Object.freeze([0]) });

/** The buckets (ascending) whose leaf hashes differ between a and b. */
export function diffTrees(a: PartitionTree, b: PartitionTree): number[] {
  assertSameShape(a, b);
  const out: number[] = [];
  const visit = (depth: number, index: number): void => {
    if (a.node(depth, index) === b.node(depth, index)) return;
    if (depth === a.leafDepth) {
      out.push(index);
      return;
    }
    for (const c of a.children(depth, index)) visit(depth + 1, c);
  };
  visit(0, 0);
  return out;
}

/**
 * One step of the top-down protocol, run by the side that received remoteHashes, the other
 * replica's hashes of the nodes `indexes` at `depth`. Above the leaves it returns the children (at
 * depth + 1, ascending) of the nodes that differ, to be requested next; at the leaf depth it returns
 * the differing buckets themselves, whose entries the replicas then exchange. An empty result means
 * the compared subtrees agree.
 */
export function compareLevel(
  local: PartitionTree,
  depth: number,
  indexes: readonly number[],
  remoteHashes: readonly bigint[],
): number[] {
  if (indexes.length !== remoteHashes.length) {
    throw new MerkleShapeError(`${indexes.length} indexes but ${remoteHashes.length} hashes`, { depth });
  }
  if (!Number.isInteger(depth) || depth < 0 || depth > local.leafDepth) {
    throw new MerkleShapeError(`depth ${depth} outside 0..${local.leafDepth}`, { depth });
  }
  const size = local.levelSize(depth);
  const differing: number[] = [];
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i];
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new MerkleShapeError(`index ${index} outside 0..${size - 1} at depth ${depth}`, { depth, index });
    }
    if (local.node(depth, index) !== remoteHashes[i]) differing.push(index);
  }
  differing.sort((x, y) => x - y);
  if (depth === local.leafDepth) return differing;
  return differing.flatMap((index) => local.children(depth, index));
}

/**
 * The whole top-down comparison of local against a remote reached through remoteHashesAt (one
 * call per round trip). The server runs the same steps with messages in between; this drives them
 * synchronously for tests and in-process use. Returns the differing buckets, ascending.
 */
export function compareTopDown(
  local: PartitionTree,
  remoteHashesAt: (depth: number, indexes: readonly number[]) => readonly bigint[],
): number[] {
  let depth = ROOT_REQUEST.depth;
  let indexes: readonly number[] = ROOT_REQUEST.indexes;
  for (;;) {
    const next = compareLevel(local, depth, indexes, remoteHashesAt(depth, indexes));
    if (depth === local.leafDepth || next.length === 0) return depth === local.leafDepth ? next : [];
    depth++;
    indexes = next;
  }
}

export function assertSameShape(a: PartitionTree, b: PartitionTree): void {
  if (!a.sameShape(b)) {
    throw new MerkleShapeError(
      `trees differ in shape: ${a.buckets}/${a.fanout} vs ${b.buckets}/${b.fanout} (buckets/fanout)`,
      { a: { buckets: a.buckets, fanout: a.fanout }, b: { buckets: b.buckets, fanout: b.fanout } },
    );
  }
}
