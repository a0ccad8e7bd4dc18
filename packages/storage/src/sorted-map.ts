// A map from byte keys to byte values kept in bytewise key order, on a B+ tree (sorted-btree):
// O(log n) inserts and deletes, range scans and range deletes in key order, and an O(1)
// copy-on-write clone (what the memory engine's crash() takes of its durable state).
import btree from 'sorted-btree';
import type { KeyRange } from './engine.js';
import { compareBytes } from './bytes.js';

// A CommonJS module whose class is its `default` export.
const BTree = btree.default;
type Tree = InstanceType<typeof BTree<Uint8Array, Uint8Array>>;

export class SortedMap {
  private tree: Tree;

  constructor(tree?: Tree) {
    this.tree = tree ?? new BTree<Uint8Array, Uint8Array>(undefined, compareBytes);
  }

  get size(): number {
    return this.tree.size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.tree.get(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.tree.set(key, value, true);
  }

  delete(key: Uint8Array): void {
    this.tree.delete(key);
  }

  deleteRange(range: KeyRange): void {
    const bounds = this.bounds(range);
    if (bounds) this.tree.deleteRange(bounds[0], bounds[1], bounds[2]);
  }

  /** A snapshot of the entries in range, in order (or reverse), at most limit of them. */
  entries(range: KeyRange, reverse = false, limit = -1): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    if (limit === 0) return out;
    const bounds = this.bounds(range);
    if (!bounds) return out;
    const [low, high, includeHigh] = bounds;
    if (!reverse) {
      this.tree.forRange(low, high, includeHigh, (k, v) => {
        out.push([k, v]);
        return out.length === limit ? { break: true } : undefined;
      });
      return out;
    }
    for (const [k, v] of this.tree.entriesReversed(high, undefined, !includeHigh)) {
      if (compareBytes(k, low) < 0) break;
      out.push([k, v]);
      if (out.length === limit) break;
    }
    return out;
  }

  /** An independent copy, O(1): the two share nodes until either changes. */
  clone(): SortedMap {
    return new SortedMap(this.tree.clone());
  }

  /** [low, high, includeHigh] covering the keys in range, or undefined when none can be. */
  private bounds(range: KeyRange): [Uint8Array, Uint8Array, boolean] | undefined {
    const low = range.gte ?? this.tree.minKey();
    const high = range.lt ?? this.tree.maxKey();
    if (low === undefined || high === undefined || compareBytes(low, high) > 0) return undefined;
    return [low, high, range.lt === undefined];
  }
}
