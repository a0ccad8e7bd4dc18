// Merkle trees for anti-entropy: one tree per partition over a fixed number of key buckets, and the
// diff that finds which buckets two replicas must exchange.
export { type EntryDigest, type TreeEntry, bucketOfKey, entryHash } from './entry-digest.js';
export { MerkleShapeError } from './merkle-errors.js';
export {
  PartitionTree,
  type PartitionTreeOptions,
  DEFAULT_TREE_BUCKETS,
  DEFAULT_TREE_FANOUT,
} from './partition-tree.js';
export { diffTrees, compareLevel, compareTopDown, ROOT_REQUEST, type LevelRequest } from './tree-diff.js';
