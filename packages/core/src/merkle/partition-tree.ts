// The Merkle tree of one partition over a fixed number of key buckets (docs/design.md "Anti-entropy").
//
// Leaves: each bucket holds the SUM MOD 2^64 of the 64-bit hashes of its entries' (key, ts,
// tombstone). A sum is order-independent and invertible, so a write is "subtract the old entry's
// hash, add the new one" in O(1), with no rescan. XOR would work as well, since a key is in a tree
// at most once; the sum is chosen because it does not hide a bookkeeping bug: adding one entry twice
// (or removing one never added) leaves a visible difference, where XOR would cancel it silently.
// Collisions: for two different sets of entries the leaf sums agree with probability about 2^-64
// (the hashes behave as independent uniform 64-bit values), so with 256 partitions x 1024 buckets
// compared every 10 minutes a missed difference is expected once in ~10^11 years; and a missed one
// is caught as soon as either side writes to that bucket again.
//
// Inner nodes: the 64-bit hash of their children's hashes (0 when every child is 0, so empty
// subtrees of two replicas agree and cost nothing). They are recomputed lazily: update() only marks
// the path to the root dirty (O(depth)); reading a node recomputes the dirty nodes beneath it. Many
// writes between two comparisons therefore cost one recomputation, not one per write.
//
// Memory is two 32-bit words per node, about 2.15 x buckets words in all: bounded by the bucket
// count, never by the number of keys.
//
// Why not merkle-tools (a project dependency): it builds a binary SHA-256 tree from a list of
// leaves that it keeps in memory, and rebuilds the whole tree after any change; it also reaches
// Node's `crypto` module and `Buffer` through require(), which core must not (no node: imports,
// pure and synchronous). A per-bucket incremental tree needs neither its leaf list nor its proofs.
import { entryHashInto, bucketOfKey, newHashScratch, type EntryDigest, type TreeEntry } from './entry-digest.js';
import { hashWords64, wordsToBigint } from './hash64.js';

export interface PartitionTreeOptions {
  /** Number of leaf buckets; a power of two. */
  readonly buckets: number;
  /** Children per inner node; a power of two >= 2. */
  readonly fanout?: number;
}

/** 1024 buckets: one bucket of a 1M-key partition holds ~1000 keys to exchange when it differs. */
export const DEFAULT_TREE_BUCKETS = 1024;
/** 16 children: four round trips for 1024 buckets, 16 hashes (128 bytes) per differing node. */
export const DEFAULT_TREE_FANOUT = 16;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0 && n <= 2 ** 30;
}

export class PartitionTree {
  readonly buckets: number;
  readonly fanout: number;
  /** Depth of the leaves (the root is depth 0); 0 when there is a single bucket. */
  readonly leafDepth: number;
  /** Number of nodes at each depth, root first. */
  private readonly sizes: number[];
  /** Hashes per depth, two words (high, low) per node. */
  private readonly levels: Uint32Array[];
  /** Per inner depth, 1 where the node must be recomputed from its children. */
  private readonly dirty: Uint8Array[];
  private readonly fanoutShift: number;
  private entryCount = 0;
  private readonly scratch = new Uint32Array(2);
  private readonly hashScratch = newHashScratch();

  constructor(opts: PartitionTreeOptions) {
    const fanout = opts.fanout ?? DEFAULT_TREE_FANOUT;
    if (!isPowerOfTwo(opts.buckets)) throw new RangeError(`buckets must be a power of two, got ${opts.buckets}`);
    if (!isPowerOfTwo(fanout) || fanout < 2) throw new RangeError(`fanout must be a power of two >= 2, got ${fanout}`);
    this.buckets = opts.buckets;
    this.fanout = fanout;
    this.fanoutShift = Math.log2(fanout);
    const sizes = [opts.buckets];
    while (sizes[0] > 1) sizes.unshift((sizes[0] + fanout - 1) >> this.fanoutShift);
    this.sizes = sizes;
    this.leafDepth = sizes.length - 1;
    this.levels = sizes.map((n) => new Uint32Array(2 * n));
    this.dirty = sizes.slice(0, -1).map((n) => new Uint8Array(n));
  }

  /** Builds a tree from entries (e.g. a partition scanned from storage after a restart). */
  static fromEntries(opts: PartitionTreeOptions, entries: Iterable<TreeEntry>): PartitionTree {
    const tree = new PartitionTree(opts);
    tree.rebuild(entries);
    return tree;
  }

  /** Number of entries currently counted (adds minus removes). */
  get size(): number {
    return this.entryCount;
  }

  /** Number of nodes at depth. */
  levelSize(depth: number): number {
    this.checkDepth(depth);
    return this.sizes[depth];
  }

  bucketOf(key: Uint8Array): number {
    return bucketOfKey(key, this.buckets);
  }

  /**
   * Records a change of key from oldEntry to newEntry (either absent): the old entry's contribution
   * leaves its bucket, the new one's enters. Returns the bucket. O(depth).
   */
  update(key: Uint8Array, oldEntry: EntryDigest | undefined, newEntry: EntryDigest | undefined): number {
    const bucket = this.bucketOf(key);
    const leaves = this.levels[this.leafDepth];
    const s = this.scratch;
    if (oldEntry) {
      entryHashInto(key, oldEntry, s, 0, this.hashScratch);
      const lo = leaves[2 * bucket + 1];
      leaves[2 * bucket + 1] = lo - s[1];
      leaves[2 * bucket] = leaves[2 * bucket] - s[0] - (lo < s[1] ? 1 : 0);
      this.entryCount--;
    }
    if (newEntry) {
      entryHashInto(key, newEntry, s, 0, this.hashScratch);
      const lo = (leaves[2 * bucket + 1] + s[1]) >>> 0;
      leaves[2 * bucket + 1] = lo;
      leaves[2 * bucket] = leaves[2 * bucket] + s[0] + (lo < s[1] ? 1 : 0);
      this.entryCount++;
    }
    if (oldEntry || newEntry) this.markPathDirty(bucket);
    return bucket;
  }

  /** Forgets everything and adds entries. */
  rebuild(entries: Iterable<TreeEntry>): void {
    for (const level of this.levels) level.fill(0);
    for (const d of this.dirty) d.fill(0);
    this.entryCount = 0;
    for (const e of entries) this.update(e.key, undefined, e);
  }

  /** The root hash (0n for an empty tree). */
  root(): bigint {
    return this.node(0, 0);
  }

  /** The hash of one node. */
  node(depth: number, index: number): bigint {
    this.checkNode(depth, index);
    this.refresh(depth, index);
    const words = this.levels[depth];
    return wordsToBigint(words[2 * index], words[2 * index + 1]);
  }

  /** The hashes of the given nodes at depth, in the order of indexes. */
  hashesAt(depth: number, indexes: readonly number[]): bigint[] {
    return indexes.map((i) => this.node(depth, i));
  }

  /** Every hash at depth, by index. */
  level(depth: number): bigint[] {
    this.checkDepth(depth);
    return this.hashesAt(depth, Array.from({ length: this.sizes[depth] }, (_, i) => i));
  }

  /** The child indexes (at depth + 1) of a node above the leaves. */
  children(depth: number, index: number): number[] {
    this.checkNode(depth, index);
    if (depth === this.leafDepth) return [];
    const first = index << this.fanoutShift;
    const end = Math.min(first + this.fanout, this.sizes[depth + 1]);
    return Array.from({ length: end - first }, (_, i) => first + i);
  }

  /** Whether other has the same buckets, fanout and therefore node indexes. */
  sameShape(other: PartitionTree): boolean {
    return this.buckets === other.buckets && this.fanout === other.fanout;
  }

  /** An independent copy (e.g. a snapshot to compare while writes go on). */
  clone(): PartitionTree {
    const copy = new PartitionTree({ buckets: this.buckets, fanout: this.fanout });
    this.levels.forEach((l, d) => copy.levels[d].set(l));
    this.dirty.forEach((l, d) => copy.dirty[d].set(l));
    copy.entryCount = this.entryCount;
    return copy;
  }

  private markPathDirty(bucket: number): void {
    let index = bucket;
    for (let d = this.leafDepth - 1; d >= 0; d--) {
      index >>= this.fanoutShift;
      // Once an ancestor is dirty, so are all of its own ancestors.
      if (this.dirty[d][index] === 1) return;
      this.dirty[d][index] = 1;
    }
  }

  private refresh(depth: number, index: number): void {
    if (depth === this.leafDepth || this.dirty[depth][index] === 0) return;
    const children = this.children(depth, index);
    for (const c of children) this.refresh(depth + 1, c);
    const below = this.levels[depth + 1];
    const start = 2 * children[0];
    const count = 2 * children.length;
    let any = 0;
    for (let i = start; i < start + count; i++) any |= below[i];
    const out = this.levels[depth];
    if (any === 0) {
      out[2 * index] = 0;
      out[2 * index + 1] = 0;
    } else {
      hashWords64(below, start, count, out, 2 * index);
    }
    this.dirty[depth][index] = 0;
  }

  private checkDepth(depth: number): void {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.leafDepth) {
      throw new RangeError(`depth ${depth} outside 0..${this.leafDepth}`);
    }
  }

  private checkNode(depth: number, index: number): void {
    this.checkDepth(depth);
    if (!Number.isInteger(index) || index < 0 || index >= this.sizes[depth]) {
      throw new RangeError(`index ${index} outside 0..${this.sizes[depth] - 1} at depth ${depth}`);
    }
  }
}
