// The Merkle trees of the partitions this node replicates, kept in step with the store through its
// change listener, and the bookkeeping that lets a tree be rebuilt from storage while writes go on.
//
// A rebuild reads the partition in pages while applies keep landing, so a page may or may not
// already show a write whose change notification has not arrived yet. The tree must end up holding
// exactly one contribution per key, equal to what is stored. The rules (per key of the partition):
//   - a key changed before the scan reached it is tracked in `ahead` (its contribution in the tree
//     is the last notified record) and the scan skips it: whatever the scan read is either that
//     record or older, or newer with a notification still to come that moves it on from there;
//   - a key added by the current page is tracked in `page` until the page is settled: a store
//     barrier (a no-op purge queued behind every apply in flight) guarantees that every write the
//     page could have seen has been notified, after which notifications say exactly what changed;
//   - a key in a settled page follows the notifications' previous -> next.
// Memory: one tree per partition (buckets x ~2.1 x 8 bytes); the maps live only during a rebuild
// and hold only keys written meanwhile plus one page.
import { PartitionTree, compareBytes, type EntryDigest } from '@ringkv/core';

type KeyId = string;

function keyId(key: Uint8Array): KeyId {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

interface Rebuild {
  ahead: Map<KeyId, EntryDigest | undefined>;
  page: Map<KeyId, EntryDigest | undefined>;
  /** The last key of the last settled page (null: none settled yet). */
  settled: Uint8Array | null;
}

interface Slot {
  readonly partition: number;
  /** Slots added so far when this one was (see addedSoFar). */
  readonly seq: number;
  readonly tree: PartitionTree;
  /** Tombstones counted in the tree (a purge scan is skipped when there are none). */
  tombstones: number;
  rebuild?: Rebuild;
}

export interface TreeShape {
  buckets: number;
  fanout: number;
}

export class PartitionTrees {
  private readonly slots = new Map<number, Slot>();
  private added = 0;

  constructor(readonly shape: TreeShape) {}

  /** Partitions with a tree (built or being rebuilt), ascending. */
  partitions(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  /** Whether the partition has a tree (built or being rebuilt). O(1): runJob asks it per round. */
  has(partition: number): boolean {
    return this.slots.has(partition);
  }

  /** Starts tracking a partition with an empty tree in the rebuilding state; false if tracked. */
  add(partition: number): boolean {
    if (this.slots.has(partition)) return false;
    const tree = new PartitionTree(this.shape);
    this.slots.set(partition, { partition, seq: ++this.added, tree, tombstones: 0, rebuild: { ahead: new Map(), page: new Map(), settled: null } });
    return true;
  }

  remove(partition: number): void {
    this.slots.delete(partition);
  }

  /** The tree of a partition once rebuilt; undefined while rebuilding or not held. */
  ready(partition: number): PartitionTree | undefined {
    const s = this.slots.get(partition);
    return s && !s.rebuild ? s.tree : undefined;
  }

  isRebuilding(partition: number): boolean {
    return this.slots.get(partition)?.rebuild !== undefined;
  }

  tombstones(partition: number): number {
    return this.slots.get(partition)?.tombstones ?? 0;
  }

  /** The store's change listener. */
  readonly onChange = (partition: number, key: Uint8Array, previous: EntryDigest | undefined, next: EntryDigest | undefined): void => {
    const s = this.slots.get(partition);
    if (!s) return;
    const r = s.rebuild;
    if (!r) {
      this.update(s, key, previous, next);
      return;
    }
    const id = keyId(key);
    if (r.ahead.has(id)) {
      this.update(s, key, r.ahead.get(id), next);
      r.ahead.set(id, next);
    } else if (r.page.has(id)) {
      this.update(s, key, r.page.get(id), next);
      r.page.set(id, next);
    } else if (r.settled && compareBytes(key, r.settled) <= 0) {
      this.update(s, key, previous, next);
    } else {
      this.update(s, key, undefined, next);
      r.ahead.set(id, next);
    }
  };

  /** Adds a page read by the rebuild (synchronously after the read resolved). */
  addPage(partition: number, entries: readonly { key: Uint8Array; digest: EntryDigest }[]): void {
    const r = this.rebuildOf(partition);
    for (const { key, digest } of entries) {
      const id = keyId(key);
      if (r.ahead.has(id)) continue;
      this.update(this.slots.get(partition)!, key, undefined, digest);
      r.page.set(id, digest);
    }
  }

  /** After the store barrier: the page's keys follow notifications from now on. */
  settlePage(partition: number, lastKey: Uint8Array | null): void {
    const r = this.rebuildOf(partition);
    r.page.clear();
    if (lastKey) r.settled = lastKey;
  }

  /** The rebuild has read the whole partition: the tree joins rounds. */
  finishRebuild(partition: number): void {
    const s = this.slots.get(partition);
    if (s) s.rebuild = undefined;
  }

  /** How many slots have been added: a later slot of a partition is one added after this call. */
  addedSoFar(): number {
    return this.added;
  }

  /** Whether the partition is being rebuilt in a slot added by the time addedSoFar() said seq. */
  rebuildingSince(partition: number, seq: number): boolean {
    const s = this.slots.get(partition);
    return s !== undefined && s.rebuild !== undefined && s.seq <= seq;
  }

  /** The slot object, to notice that a partition was dropped (and maybe re-added) during a rebuild. */
  token(partition: number): object | undefined {
    return this.slots.get(partition);
  }

  /** Bytes of tree memory per partition (the typed arrays; object overhead not included). */
  static bytesPerTree(shape: TreeShape): number {
    let nodes = shape.buckets;
    let total = nodes;
    while (nodes > 1) {
      nodes = Math.ceil(nodes / shape.fanout);
      total += nodes;
    }
    // Two 32-bit words per node, one dirty byte per inner node.
    return 8 * total + (total - shape.buckets);
  }

  private rebuildOf(partition: number): Rebuild {
    const r = this.slots.get(partition)?.rebuild;
    if (!r) throw new Error(`partition ${partition} is not being rebuilt`);
    return r;
  }

  private update(s: Slot, key: Uint8Array, oldEntry: EntryDigest | undefined, newEntry: EntryDigest | undefined): void {
    s.tree.update(key, oldEntry, newEntry);
    s.tombstones += (newEntry?.tombstone ? 1 : 0) - (oldEntry?.tombstone ? 1 : 0);
  }
}
