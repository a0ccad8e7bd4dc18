import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  InvalidRingConfigError,
  Ring,
  assignPartitions,
  partitionOf,
  type Assignment,
  type FallbackTarget,
} from '../../src/ring/index.js';
import { members } from './ring-fixtures.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A hand-made 4-partition ring over five nodes, so fallback walks can be followed by eye. */
const handMade: Assignment = {
  partitions: 4,
  replicas: 2,
  members: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })),
  preferenceLists: [
    ['a', 'b'],
    ['b', 'c'],
    ['c', 'd'],
    ['e', 'a'],
  ],
};

describe('Ring', () => {
  const ring = new Ring(handMade);

  test('preferenceList returns the assignment list; partitionsOf splits primary and replica', () => {
    expect(ring.preferenceList(2)).toEqual(['c', 'd']);
    expect(ring.partitionsOf('a')).toEqual({ primary: [0], replica: [3] });
    expect(ring.partitionsOf('c')).toEqual({ primary: [2], replica: [1] });
    expect(ring.partitionsOf('nobody')).toEqual({ primary: [], replica: [] });
  });

  test('ownersOf is the preference list of partitionOf(key)', () => {
    const big = new Ring(assignPartitions(members(5), 256, 3));
    for (const k of ['', 'a', 'user:42', 'ringkv']) {
      const p = partitionOf(utf8(k), 256);
      expect(big.partitionOf(utf8(k))).toBe(p);
      expect(big.ownersOf(utf8(k))).toBe(big.preferenceList(p));
    }
  });

  test('partitionsOf covers every slot exactly once', () => {
    const a = assignPartitions(members(7, 3), 64, 3);
    const r = new Ring(a);
    let total = 0;
    for (const m of a.members) {
      const { primary, replica } = r.partitionsOf(m.id);
      total += primary.length + replica.length;
      for (const p of primary) expect(a.preferenceLists[p][0]).toBe(m.id);
      for (const p of replica) expect(a.preferenceLists[p].indexOf(m.id)).toBeGreaterThan(0);
    }
    expect(total).toBe(64 * 3);
  });

  test.each([-1, 4, 1.5, Number.NaN])('rejects partition %d', (p) => {
    expect(() => ring.preferenceList(p)).toThrow(InvalidRingConfigError);
    expect(() => ring.fallbackTargets(p, () => true)).toThrow(InvalidRingConfigError);
  });

  test('rejects an assignment whose list count is not its partition count', () => {
    expect(() => new Ring({ ...handMade, preferenceLists: handMade.preferenceLists.slice(1) })).toThrow(InvalidRingConfigError);
  });

  describe('fallbackTargets', () => {
    const up = (...down: string[]) => (id: string): boolean => !down.includes(id);

    test('all owners up: the owners themselves, unhinted', () => {
      expect(ring.fallbackTargets(0, up())).toEqual([
        { node: 'a', hinted: false },
        { node: 'b', hinted: false },
      ]);
    });

    test('a down owner is replaced by the next non-owner walking the ring', () => {
      // Walk after partition 0: [b, c] [c, d] [e, a] -> b is an owner, so c stands in for a.
      expect(ring.fallbackTargets(0, up('a'))).toEqual([
        { node: 'c', hinted: true, forNode: 'a' },
        { node: 'b', hinted: false },
      ]);
    });

    test('down candidates are skipped and each stand-in is used once', () => {
      expect(ring.fallbackTargets(0, up('a', 'b', 'c'))).toEqual([
        { node: 'd', hinted: true, forNode: 'a' },
        { node: 'e', hinted: true, forNode: 'b' },
      ]);
    });

    test('the walk wraps around past the last partition', () => {
      // Walk after partition 3: [a, b] [b, c] [c, d].
      expect(ring.fallbackTargets(3, up('e'))).toEqual([
        { node: 'b', hinted: true, forNode: 'e' },
        { node: 'a', hinted: false },
      ]);
    });

    test('a down owner with no up substitute is left out', () => {
      expect(ring.fallbackTargets(1, up('a', 'c', 'd', 'e'))).toEqual([{ node: 'b', hinted: false }]);
      expect(ring.fallbackTargets(1, up('a', 'b', 'c', 'd', 'e'))).toEqual([]);
    });
  });
});

/** Dumb reference: walk every later partition's list afresh for each down owner. */
function referenceFallback(a: Assignment, p: number, isUp: (id: string) => boolean): FallbackTarget[] {
  const owners = a.preferenceLists[p];
  const chosen = new Set<string>(owners);
  const out: FallbackTarget[] = [];
  for (const owner of owners) {
    if (isUp(owner)) {
      out.push({ node: owner, hinted: false });
      continue;
    }
    search: for (let step = 1; step < a.partitions; step++) {
      for (const id of a.preferenceLists[(p + step) % a.partitions]) {
        if (!chosen.has(id) && isUp(id)) {
          chosen.add(id);
          out.push({ node: id, hinted: true, forNode: owner });
          break search;
        }
      }
    }
  }
  return out;
}

describe('fallbackTargets properties', () => {
  test('matches the reference; never a down node, never a duplicate; every up owner unhinted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(8, 64),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        fc.nat(),
        (m, q, n, upFlags, pick) => {
          const a = assignPartitions(members(m), q, n);
          const ring = new Ring(a);
          const isUp = (id: string): boolean => upFlags[Number(id.slice(5))];
          const p = pick % q;
          const got = ring.fallbackTargets(p, isUp);
          expect(got).toEqual(referenceFallback(a, p, isUp));
          const nodes = got.map((t) => t.node);
          expect(new Set(nodes).size).toBe(nodes.length);
          expect(nodes.every(isUp)).toBe(true);
          const owners = a.preferenceLists[p];
          for (const t of got) {
            if (t.hinted) {
              expect(owners).not.toContain(t.node);
              expect(isUp(t.forNode as string)).toBe(false);
            } else expect(owners).toContain(t.node);
          }
          expect(got.filter((t) => !t.hinted).map((t) => t.node)).toEqual(owners.filter(isUp));
          // As many targets as owners whenever enough members are up.
          const upCount = a.members.filter((x) => isUp(x.id)).length;
          expect(got.length).toBe(Math.min(owners.length, upCount));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
