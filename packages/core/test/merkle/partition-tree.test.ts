import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { entryHash, type TreeEntry } from '../../src/merkle/entry-digest.js';
import { PartitionTree } from '../../src/merkle/partition-tree.js';
import { Prng } from '../../src/util/prng.js';
import { arbDigest, arbEntries, arbKey, arbShape, hex } from './merkle-arbitraries.js';

const key = (s: string): Uint8Array => new TextEncoder().encode(s);
const ts = (wallMs: number, logical = 0, node = 1) => ({ wallMs, logical, node });

function sameTrees(a: PartitionTree, b: PartitionTree): void {
  for (let d = 0; d <= a.leafDepth; d++) expect(a.level(d)).toEqual(b.level(d));
}

describe('PartitionTree shape', () => {
  test.each([
    [1024, 16, [1, 4, 64, 1024]],
    [1024, 2, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]],
    [16, 16, [1, 16]],
    [8, 4, [1, 2, 8]],
    [1, 16, [1]],
  ])('%p buckets with fanout %p have level sizes %p', (buckets, fanout, sizes) => {
    const t = new PartitionTree({ buckets, fanout });
    expect(t.leafDepth).toBe(sizes.length - 1);
    expect(sizes.map((_, d) => t.levelSize(d))).toEqual(sizes);
    expect(t.level(t.leafDepth)).toHaveLength(buckets);
  });

  test('defaults to fanout 16', () => {
    expect(new PartitionTree({ buckets: 256 }).fanout).toBe(16);
  });

  test.each([
    [{ buckets: 0 }],
    [{ buckets: 1000 }],
    [{ buckets: 1.5 }],
    [{ buckets: 64, fanout: 1 }],
    [{ buckets: 64, fanout: 6 }],
  ])('refuses %p', (opts) => {
    expect(() => new PartitionTree(opts)).toThrow(RangeError);
  });

  test('children cover the next level exactly once, and the leaves have none', () => {
    const t = new PartitionTree({ buckets: 8, fanout: 4 });
    expect(t.children(0, 0)).toEqual([0, 1]);
    expect(t.children(1, 1)).toEqual([4, 5, 6, 7]);
    expect(t.children(2, 7)).toEqual([]);
    expect(() => t.children(1, 2)).toThrow(RangeError);
    expect(() => t.node(3, 0)).toThrow(RangeError);
  });
});

describe('PartitionTree contents', () => {
  test('an empty tree, and a tree emptied again, has root 0', () => {
    const t = new PartitionTree({ buckets: 64 });
    expect(t.root()).toBe(0n);
    t.update(key('a'), undefined, { ts: ts(5), tombstone: false });
    expect(t.root()).not.toBe(0n);
    expect(t.size).toBe(1);
    t.update(key('a'), { ts: ts(5), tombstone: false }, undefined);
    expect(t.root()).toBe(0n);
    expect(t.size).toBe(0);
  });

  test('a leaf is the sum mod 2^64 of its entries\' hashes', () => {
    const t = new PartitionTree({ buckets: 1 });
    const a = { ts: ts(1), tombstone: false };
    const b = { ts: ts(2), tombstone: true };
    t.update(key('a'), undefined, a);
    t.update(key('b'), undefined, b);
    expect(t.root()).toBe((entryHash(key('a'), a) + entryHash(key('b'), b)) % 2n ** 64n);
  });

  test.each([
    ['a later timestamp', { ts: ts(6), tombstone: false }],
    ['another logical counter', { ts: ts(5, 1), tombstone: false }],
    ['another node tag', { ts: ts(5, 0, 2), tombstone: false }],
    ['a tombstone at the same time', { ts: ts(5), tombstone: true }],
  ])('an entry with %s hashes differently', (_name, other) => {
    expect(entryHash(key('k'), other)).not.toBe(entryHash(key('k'), { ts: ts(5), tombstone: false }));
  });

  test('update returns the key\'s bucket, which is stable and in range', () => {
    const t = new PartitionTree({ buckets: 32, fanout: 2 });
    const b = t.update(key('x'), undefined, { ts: ts(1), tombstone: false });
    expect(b).toBe(t.bucketOf(key('x')));
    expect(b).toBe(new PartitionTree({ buckets: 32 }).bucketOf(key('x')));
    expect(b >= 0 && b < 32).toBe(true);
  });

  test('keys spread over the buckets', () => {
    const t = new PartitionTree({ buckets: 64 });
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 6400; i++) counts[t.bucketOf(key(`user:${i}`))]++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(150);
  });

  test('equal data inserted in any order gives equal trees', () => {
    fc.assert(
      fc.property(arbShape, arbEntries(), fc.integer(), (shape, entries, seed) => {
        const shuffled = new Prng(seed).shuffle([...entries]);
        sameTrees(PartitionTree.fromEntries(shape, entries), PartitionTree.fromEntries(shape, shuffled));
      }),
      { numRuns: 60 },
    );
  });

  test('update(old -> new) in any sequence equals building the final state from scratch', () => {
    const arbOp = fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), next: fc.option(arbDigest), read: fc.boolean() });
    fc.assert(
      fc.property(arbShape, fc.array(arbOp, { maxLength: 50 }), (shape, ops) => {
        const tree = new PartitionTree(shape);
        const model = new Map<string, TreeEntry>();
        for (const op of ops) {
          const k = key(op.key);
          tree.update(k, model.get(op.key), op.next ?? undefined);
          if (op.next) model.set(op.key, { key: k, ...op.next });
          else model.delete(op.key);
          // Reading between writes exercises the lazy recomputation of partly dirty paths.
          if (op.read) tree.root();
        }
        const fresh = PartitionTree.fromEntries(shape, model.values());
        sameTrees(tree, fresh);
        expect(tree.size).toBe(model.size);
      }),
      { numRuns: 100 },
    );
  });

  test('rebuild forgets the previous contents', () => {
    fc.assert(
      fc.property(arbEntries(20), arbEntries(20), (before, after) => {
        const t = PartitionTree.fromEntries({ buckets: 16, fanout: 4 }, before);
        t.root();
        t.rebuild(after);
        sameTrees(t, PartitionTree.fromEntries({ buckets: 16, fanout: 4 }, after));
      }),
      { numRuns: 40 },
    );
  });

  test('a clone is independent of its original', () => {
    fc.assert(
      fc.property(arbEntries(20), arbKey, arbDigest, (entries, k, d) => {
        fc.pre(!entries.some((e) => hex(e.key) === hex(k)));
        const t = PartitionTree.fromEntries({ buckets: 64 }, entries);
        const rootBefore = t.root();
        const copy = t.clone();
        copy.update(k, undefined, d);
        expect(t.root()).toBe(rootBefore);
        expect(copy.root()).not.toBe(rootBefore);
        t.update(k, undefined, d);
        sameTrees(t, copy);
      }),
      { numRuns: 40 },
    );
  });
});
