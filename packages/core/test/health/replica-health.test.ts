// Replica health of partitions: one partition's verdict and the counts over a ring, as tables.
import { describe, expect, test } from '@jest/globals';
import { partitionHealth, replicaHealth, type ReplicaHealthCounts } from '@ringkv/core';

const set = (ids: string) => new Set(ids.split('').filter((c) => c !== ' '));

describe('partitionHealth', () => {
  // list, up, r, w -> up count, full, below R, below W, unavailable
  test.each([
    ['abc', 'abc', 2, 2, 3, true, false, false, false],
    ['abc', 'ab', 2, 2, 2, false, false, false, false],
    ['abc', 'a', 2, 2, 1, false, true, true, false],
    ['abc', '', 2, 2, 0, false, true, true, true],
    ['abc', 'ab', 1, 3, 2, false, false, true, false],
    ['abc', 'ab', 3, 1, 2, false, true, false, false],
    ['abc', 'xyz', 1, 1, 0, false, true, true, true], // only nodes of the list count
    // a key with fewer replicas than R or W: the quorums are capped to the replicas it has
    ['ab', 'ab', 2, 3, 2, true, false, false, false],
    ['a', 'a', 2, 2, 1, true, false, false, false],
    ['a', '', 2, 2, 0, false, true, true, true],
    // no replicas at all (no members): nothing is served
    ['', 'abc', 2, 2, 0, false, true, true, true],
    ['abcde', 'abc', 3, 3, 3, false, false, false, false],
    ['abcde', 'ab', 3, 2, 2, false, true, false, false],
  ])('list %s, up %j, R=%i W=%i: %i up, full %s, below R %s, below W %s, unavailable %s', (list, up, r, w, live, full, belowRead, belowWrite, unavailable) => {
    expect(partitionHealth(list.split(''), r, w, set(up))).toEqual({
      replicas: list.length, up: live, full, belowRead, belowWrite, unavailable,
    });
  });
});

describe('replicaHealth', () => {
  const ring = ['abc', 'bcd', 'cda', 'dab'].map((l) => l.split(''));
  const counts = (fullyReplicated: number, underReplicated: number, belowRead: number, belowWrite: number, unavailable: number): ReplicaHealthCounts =>
    ({ partitions: ring.length, fullyReplicated, underReplicated, belowRead, belowWrite, unavailable });

  test.each([
    ['abcd', 2, 2, counts(4, 0, 0, 0, 0)],
    ['abc', 2, 2, counts(1, 3, 0, 0, 0)], // d down: every partition but abc misses one
    ['ab', 2, 2, counts(0, 4, 2, 2, 0)], // c, d down: bcd and cda keep one replica
    ['ab', 1, 3, counts(0, 4, 0, 4, 0)],
    ['a', 2, 2, counts(0, 4, 4, 4, 1)], // only a: bcd has nobody
    ['', 1, 1, counts(0, 4, 4, 4, 4)],
  ])('up %j, R=%i W=%i', (up, r, w, want) => {
    expect(replicaHealth({ preferenceLists: ring, r, w, up: set(up) })).toEqual(want);
  });

  test('an empty ring counts nothing', () => {
    expect(replicaHealth({ preferenceLists: [], r: 2, w: 2, up: set('a') })).toEqual({
      partitions: 0, fullyReplicated: 0, underReplicated: 0, belowRead: 0, belowWrite: 0, unavailable: 0,
    });
  });

  test('the states nest: fully + under = partitions; below R, below W and unavailable are under-replicated', () => {
    const lists = Array.from({ length: 64 }, (_, p) => ['a', 'b', 'c', 'd', 'e'].filter((_, i) => ((p >> i) & 1) === 1));
    for (let mask = 0; mask < 32; mask++) {
      const up = new Set(['a', 'b', 'c', 'd', 'e'].filter((_, i) => ((mask >> i) & 1) === 1));
      const c = replicaHealth({ preferenceLists: lists, r: 2, w: 3, up });
      expect(c.fullyReplicated + c.underReplicated).toBe(c.partitions);
      expect(c.unavailable).toBeLessThanOrEqual(Math.min(c.belowRead, c.belowWrite));
      expect(Math.max(c.belowRead, c.belowWrite)).toBeLessThanOrEqual(c.underReplicated);
    }
  });
});
