import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { TreeEntry } from '../../src/merkle/entry-digest.js';
import { MerkleShapeError } from '../../src/merkle/merkle-errors.js';
import { PartitionTree } from '../../src/merkle/partition-tree.js';
import { compareLevel, compareTopDown, diffTrees, ROOT_REQUEST } from '../../src/merkle/tree-diff.js';
import { arbDigest, arbEntries, arbKey, arbShape, hex, referenceDiff, toMap } from './merkle-arbitraries.js';

type Divergence = 'missing' | 'extra' | 'later-ts' | 'other-node' | 'tombstone-flip';

/** Applies one divergence to a copy of entries; returns the copy and the key that diverged. */
function diverge(entries: TreeEntry[], kind: Divergence, pick: number, extra: TreeEntry): [TreeEntry[], Uint8Array] {
  if (kind === 'extra' || entries.length === 0) return [[...entries, extra], extra.key];
  const i = pick % entries.length;
  const e = entries[i];
  const copy = [...entries];
  switch (kind) {
    case 'missing':
      copy.splice(i, 1);
      break;
    case 'later-ts':
      copy[i] = { ...e, ts: { ...e.ts, wallMs: e.ts.wallMs + 1 } };
      break;
    case 'other-node':
      copy[i] = { ...e, ts: { ...e.ts, node: (e.ts.node + 1) >>> 0 } };
      break;
    case 'tombstone-flip':
      copy[i] = { ...e, tombstone: !e.tombstone };
      break;
  }
  return [copy, e.key];
}

const arbDivergence = fc.constantFrom<Divergence>('missing', 'extra', 'later-ts', 'other-node', 'tombstone-flip');

describe('diffTrees', () => {
  test('equal trees have no difference', () => {
    fc.assert(
      fc.property(arbShape, arbEntries(), (shape, entries) => {
        expect(diffTrees(PartitionTree.fromEntries(shape, entries), PartitionTree.fromEntries(shape, [...entries].reverse()))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  test('any single divergence is found in exactly its key\'s bucket', () => {
    fc.assert(
      fc.property(arbShape, arbEntries(), arbDivergence, fc.nat(), arbKey, arbDigest, (shape, entries, kind, pick, k, d) => {
        fc.pre(!entries.some((e) => hex(e.key) === hex(k)));
        const [other, divergedKey] = diverge(entries, kind, pick, { key: k, ...d });
        const a = PartitionTree.fromEntries(shape, entries);
        const b = PartitionTree.fromEntries(shape, other);
        const expected = [a.bucketOf(divergedKey)];
        expect(diffTrees(a, b)).toEqual(expected);
        expect(diffTrees(b, a)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  test('many divergences: the differing buckets are those whose entry sets differ', () => {
    fc.assert(
      fc.property(arbShape, arbEntries(), arbEntries(), (shape, a, b) => {
        // Share part of the keys so that some buckets agree.
        const shared = a.slice(0, Math.floor(a.length / 2));
        const bKeys = new Set(b.map((e) => hex(e.key)));
        const bAll = [...b, ...shared.filter((e) => !bKeys.has(hex(e.key)))];
        const ta = PartitionTree.fromEntries(shape, a);
        const tb = PartitionTree.fromEntries(shape, bAll);
        expect(diffTrees(ta, tb)).toEqual(referenceDiff(toMap(a), toMap(bAll), shape.buckets));
      }),
      { numRuns: 100 },
    );
  });

  test('trees of different shapes are refused', () => {
    expect(() => diffTrees(new PartitionTree({ buckets: 64 }), new PartitionTree({ buckets: 64, fanout: 4 }))).toThrow(MerkleShapeError);
    expect(() => diffTrees(new PartitionTree({ buckets: 64 }), new PartitionTree({ buckets: 128 }))).toThrow(/shape/);
  });
});

describe('top-down protocol', () => {
  test('finds the same buckets as diffTrees, from either side', () => {
    fc.assert(
      fc.property(arbShape, arbEntries(40), arbEntries(40), fc.nat(40), (shape, a, b, shareCount) => {
        const bAll = [...b, ...a.slice(0, shareCount).filter((e) => !b.some((x) => hex(x.key) === hex(e.key)))];
        const ta = PartitionTree.fromEntries(shape, a);
        const tb = PartitionTree.fromEntries(shape, bAll);
        const expected = diffTrees(ta, tb);
        expect(compareTopDown(ta, (d, i) => tb.hashesAt(d, i))).toEqual(expected);
        expect(compareTopDown(tb, (d, i) => ta.hashesAt(d, i))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  test('only hashes of differing subtrees travel: one divergence costs one node per level below the root', () => {
    const entries: TreeEntry[] = Array.from({ length: 500 }, (_, i) => ({
      key: new TextEncoder().encode(`k${i}`),
      ts: { wallMs: 1000 + i, logical: 0, node: 7 },
      tombstone: false,
    }));
    const shape = { buckets: 1024, fanout: 16 };
    const a = PartitionTree.fromEntries(shape, entries);
    const b = PartitionTree.fromEntries(shape, entries.slice(1));
    const requests: number[] = [];
    const found = compareTopDown(a, (d, i) => {
      requests.push(i.length);
      return b.hashesAt(d, i);
    });
    expect(found).toEqual([a.bucketOf(entries[0].key)]);
    // Root, then the 4 root children, then 16 children of the one differing node, then 16 leaves.
    expect(requests).toEqual([1, 4, 16, 16]);
  });

  test('compareLevel descends only below differing nodes and stops on agreement', () => {
    const shape = { buckets: 8, fanout: 4 };
    const a = new PartitionTree(shape);
    const b = new PartitionTree(shape);
    expect(compareLevel(a, ROOT_REQUEST.depth, ROOT_REQUEST.indexes, b.hashesAt(0, [0]))).toEqual([]);
    const k = new TextEncoder().encode('key');
    b.update(k, undefined, { ts: { wallMs: 1, logical: 0, node: 1 }, tombstone: false });
    const bucket = b.bucketOf(k);
    const half = bucket < 4 ? 0 : 1;
    expect(compareLevel(a, 0, [0], b.hashesAt(0, [0]))).toEqual([0, 1]);
    expect(compareLevel(a, 1, [0, 1], b.hashesAt(1, [0, 1]))).toEqual(a.children(1, half));
    const leaves = a.children(1, half);
    expect(compareLevel(a, 2, leaves, b.hashesAt(2, leaves))).toEqual([bucket]);
  });

  test.each([
    ['more hashes than indexes', 0, [0], [1n, 2n]],
    ['a depth below the leaves', 3, [0], [1n]],
    ['a negative depth', -1, [0], [1n]],
    ['an index outside the level', 1, [2], [1n]],
    ['a fractional index', 1, [0.5], [1n]],
  ])('compareLevel refuses %s', (_name, depth, indexes, hashes) => {
    const t = new PartitionTree({ buckets: 8, fanout: 4 });
    expect(() => compareLevel(t, depth, indexes, hashes)).toThrow(MerkleShapeError);
  });
});
