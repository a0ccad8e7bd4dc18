// Differential test: assignPartitions (src, optimised) against the verbatim version-1 code kept
// under reference/, on random memberships (ids, zones, weights, Q, N) with and without a previous
// assignment (a join, a leave, other zones or weights, another N, a hand-edited previous). The two
// must agree exactly, preference list by preference list: the ring algorithm did not change.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { assignPartitions, type Assignment, type RingMember } from '../../src/ring/index.js';
import { assignPartitions as referenceAssign } from './reference/assignment.js';
import { fnv1a32 } from '../../src/ring/mix-hash.js';
import { members } from './ring-fixtures.js';

const RUNS = { numRuns: 150, seed: 17 };

/** Same output as the reference (one string compare, then toEqual for a readable diff if not). */
function expectSame(ms: readonly RingMember[], q: number, n: number, previous?: Assignment): Assignment {
  const want = referenceAssign(ms, q, n, previous);
  const got = assignPartitions(ms, q, n, previous);
  if (JSON.stringify(got) !== JSON.stringify(want)) expect(got).toEqual(want);
  expect(Object.isFrozen(got) && Object.isFrozen(got.preferenceLists) && got.preferenceLists.every(Object.isFrozen)).toBe(true);
  return got;
}

interface Spec {
  readonly id: string;
  readonly zone: number;
  readonly weight: number;
}

/** Members from specs: zone -1 is no zone, weight 0 is the default. */
const toMembers = (specs: readonly Spec[], zoned: boolean): RingMember[] =>
  specs.map((s) => ({
    id: s.id,
    ...(zoned && s.zone >= 0 ? { zone: `zone-${s.zone}` } : {}),
    ...(s.weight > 0 ? { weight: s.weight } : {}),
  }));

const spec = (zones: number): fc.Arbitrary<Omit<Spec, 'id'>> =>
  fc.record({
    zone: fc.integer({ min: -1, max: Math.max(0, zones - 1) }),
    weight: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0.5, 1, 2, 3, 7.25) }),
  });

const memberSpecs = (max: number): fc.Arbitrary<Spec[]> =>
  fc.integer({ min: 0, max: 5 }).chain((zones) =>
    fc
      .uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { minLength: 0, maxLength: max })
      .chain((ids) => fc.tuple(...ids.map(() => spec(zones))).map((rest) => ids.map((id, i) => ({ id, ...rest[i] })))),
  );

const qArb = fc.constantFrom(1, 2, 4, 16, 64, 256, 1024);
const nArb = fc.integer({ min: 1, max: 6 });

/** The next epoch's membership: some members leave, some join, some change zone or weight. */
const evolve = (specs: readonly Spec[]): fc.Arbitrary<Spec[]> =>
  fc
    .tuple(
      fc.array(fc.constantFrom('keep', 'leave', 'rezone', 'reweigh'), { minLength: specs.length, maxLength: specs.length }),
      fc.uniqueArray(fc.stringMatching(/^[A-Z0-9]{1,6}$/), { maxLength: 4 }),
      fc.array(spec(5), { minLength: 4, maxLength: 4 }),
    )
    .map(([fate, joiners, joinSpecs]) => [
      ...specs.flatMap((s, i): Spec[] => {
        if (fate[i] === 'leave') return [];
        if (fate[i] === 'rezone') return [{ ...s, zone: (s.zone + 2) % 4 }];
        if (fate[i] === 'reweigh') return [{ ...s, weight: s.weight === 0 ? 2 : 0 }];
        return [s];
      }),
      ...joiners.map((id, i) => ({ id: `J${id}`, ...joinSpecs[i] })),
    ]);

describe('assignPartitions matches the version-1 reference exactly', () => {
  test('fresh assignments', () => {
    fc.assert(
      fc.property(memberSpecs(40), fc.boolean(), qArb, nArb, (specs, zoned, q, n) => {
        expectSame(toMembers(specs, zoned), q, n);
      }),
      RUNS,
    );
  });

  test('the next epoch from a previous assignment (joins, leaves, zone and weight changes, another N)', () => {
    fc.assert(
      fc.property(
        memberSpecs(30).chain((s) => fc.tuple(fc.constant(s), evolve(s))),
        fc.boolean(),
        qArb,
        nArb,
        nArb,
        fc.boolean(),
        ([before, after], zoned, q, n0, n1, sameN) => {
          const prev = expectSame(toMembers(before, zoned), q, n0);
          const n = sameN ? n0 : n1;
          const next = expectSame(toMembers(after, zoned), q, n, prev);
          // And once more from that one, as a cluster would.
          expectSame(toMembers(after, zoned), q, n, next);
        },
      ),
      RUNS,
    );
  });

  test('a hand-edited previous: unknown ids, duplicates, dropped and reordered entries, short lists', () => {
    const edit = fc.array(fc.tuple(fc.nat(), fc.constantFrom('unknown', 'dup', 'drop', 'swap', 'clear')), { maxLength: 40 });
    fc.assert(
      fc.property(memberSpecs(20), fc.boolean(), fc.constantFrom(16, 64, 256), nArb, edit, (specs, zoned, q, n, edits) => {
        const ms = toMembers(specs, zoned);
        const lists = referenceAssign(ms, q, n).preferenceLists.map((l) => [...l]);
        for (const [at, what] of edits) {
          const list = lists[at % q];
          if (what === 'unknown') list.splice(at % (list.length + 1), 0, `gone-${at % 5}`);
          if (what === 'dup' && list.length > 0) list.push(list[at % list.length]);
          if (what === 'drop') list.splice(at % (list.length + 1), 1);
          if (what === 'swap' && list.length > 1) list.reverse();
          if (what === 'clear') list.length = 0;
        }
        const previous: Assignment = {
          partitions: q,
          replicas: n,
          members: [...ms, { id: 'gone-1', zone: 'zone-1' }, { id: 'gone-2' }],
          preferenceLists: lists,
        };
        expectSame(ms.slice(1), q, n, previous);
        expectSame(ms, q, Math.max(1, n - 1), previous);
      }),
      { ...RUNS, numRuns: 60 },
    );
  });

  // Ties: ids (and zone names) whose 32-bit keys collide make equal scores, where only the index
  // breaks the tie.
  test('ids and zones whose fnv1a32 keys collide', () => {
    const pairs = [['sxtshxs', 'q9styc4'], ['4y6zu2h', 'juj7d8n'], ['00btays', '54k99l7'], ['rgzez20', 'pzcleyq']];
    const zoneNames = ['z2428', 'z265920', 'z2429', 'z265921'];
    for (const [a, b] of pairs) expect(fnv1a32(a)).toBe(fnv1a32(b));
    expect(fnv1a32('zone:z2428')).toBe(fnv1a32('zone:z265920'));
    fc.assert(
      fc.property(
        fc.subarray(pairs.flat(), { minLength: 2 }),
        fc.array(fc.stringMatching(/^[a-z]{1,3}$/), { maxLength: 8 }),
        fc.nat(),
        fc.constantFrom(16, 64, 256, 1024),
        nArb,
        fc.boolean(),
        (colliding, others, seed, q, n, zoned) => {
          const ids = [...new Set([...colliding, ...others])];
          const ms = ids.map((id, i) => ({
            id,
            ...(zoned ? { zone: zoneNames[(seed + i) % zoneNames.length] } : {}),
            ...((seed >> i) % 3 === 0 ? { weight: 2 } : {}),
          }));
          const prev = expectSame(ms, q, n);
          expectSame(ms.slice(1), q, n, prev);
          expectSame([...ms, { id: 'joiner', zone: zoneNames[seed % 4] }], q, n, prev);
        },
      ),
      { ...RUNS, numRuns: 60 },
    );
  });

  // Shapes where the old code spent seconds at Q=65536 (augmenting paths), at a size Jest can afford.
  test.each([
    ['5 members in 2 zones, a join', 5, 2, 'join'],
    ['10 members in 2 zones, a join', 10, 2, 'join'],
    ['10 members in 3 zones, a leave', 10, 3, 'leave'],
    ['50 members, no zones, a join', 50, 0, 'join'],
    ['50 members in 3 zones, a leave', 50, 3, 'leave'],
  ])('Q=4096, N=3: %s', (_what, m, zones, kind) => {
    const prev = expectSame(members(kind === 'join' ? m - 1 : m + 1, zones), 4096, 3);
    expectSame(members(m, zones), 4096, 3, prev);
  });
});
