import { describe, expect, test } from '@jest/globals';
import {
  InvalidRingConfigError,
  RING_ALGORITHM_VERSION,
  assignPartitions,
  minimumMovedSlots,
  movedSlots,
  ownershipStats,
  type Assignment,
} from '../../src/ring/index.js';
import { fnv1a32 } from '../../src/ring/mix-hash.js';
import { expectWellFormed, members, slotCounts } from './ring-fixtures.js';

describe('assignment is pinned', () => {
  // Every node must compute the same ring: if one of these changes, the algorithm changed, and
  // RING_ALGORITHM_VERSION must be bumped (and mixed-version clusters prevented) before re-pinning.
  const fingerprint = (a: Assignment): string => fnv1a32(JSON.stringify(a.preferenceLists)).toString(16);
  const five = assignPartitions(members(5), 256, 3);

  test('version 1', () => {
    expect(RING_ALGORITHM_VERSION).toBe(1);
  });

  test('five members, Q=256, N=3', () => {
    expect(five.preferenceLists.slice(0, 4)).toEqual([
      ['node-0', 'node-1', 'node-2'],
      ['node-3', 'node-4', 'node-1'],
      ['node-2', 'node-1', 'node-0'],
      ['node-4', 'node-3', 'node-2'],
    ]);
    expect(fingerprint(five)).toBe('7f4ea01a');
  });

  test.each([
    ['nine members in three zones, Q=64', () => assignPartitions(members(9, 3), 64, 3), 'a44bb07a'],
    ['a sixth member joining the five', () => assignPartitions(members(6), 256, 3, five), 'dd889e1f'],
    ['weights and a zone, Q=16, N=2', () => assignPartitions([{ id: 'a', weight: 2 }, { id: 'b' }, { id: 'c', zone: 'x' }], 16, 2), '8de55b52'],
  ])('%s', (_what, make, expected) => {
    expect(fingerprint(make())).toBe(expected);
  });
});

describe('assignPartitions', () => {
  test('three members, N=3: every member holds every partition, primaries split evenly', () => {
    const a = assignPartitions(members(3), 256, 3);
    expectWellFormed(a);
    expect([...slotCounts(a).values()]).toEqual([256, 256, 256]);
    const primaries = [0, 1, 2].map((i) => a.preferenceLists.filter((l) => l[0] === `node-${i}`).length);
    expect(primaries.sort()).toEqual([85, 85, 86]);
  });

  test('fewer members than N: each list holds every member', () => {
    const a = assignPartitions(members(2), 16, 3);
    expect(a.replicas).toBe(3);
    for (const list of a.preferenceLists) expect([...list].sort()).toEqual(['node-0', 'node-1']);
  });

  test('no members: empty lists', () => {
    const a = assignPartitions([], 8, 3);
    expect(a.preferenceLists).toEqual(Array.from({ length: 8 }, () => []));
    expect(a.members).toEqual([]);
  });

  test('Q=1 works: one partition, N members', () => {
    const a = assignPartitions(members(5), 1, 3);
    expectWellFormed(a);
    expect(a.preferenceLists[0]).toHaveLength(3);
  });

  test('stores members sorted by id, defaults left out, and is frozen', () => {
    const a = assignPartitions([{ id: 'b', zone: 'z1', weight: 2 }, { id: 'a', zone: '' }, { id: 'c', weight: 1 }], 4, 1);
    expect(a.members).toEqual([{ id: 'a' }, { id: 'b', zone: 'z1', weight: 2 }, { id: 'c' }]);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.preferenceLists[0])).toBe(true);
  });

  test('a JSON round trip of the previous assignment gives the same next assignment', () => {
    const a = assignPartitions(members(5, 2), 64, 3);
    const copy = JSON.parse(JSON.stringify(a)) as Assignment;
    expect(assignPartitions(members(6, 2), 64, 3, copy)).toEqual(assignPartitions(members(6, 2), 64, 3, a));
  });

  test('recomputing with the same membership and its own previous moves nothing', () => {
    const a = assignPartitions(members(7, 3), 256, 3);
    expect(assignPartitions(members(7, 3), 256, 3, a)).toEqual(a);
  });

  test('adding a node to 4 moves exactly the minimum (the new node\'s share)', () => {
    const a = assignPartitions(members(4), 256, 3);
    const b = assignPartitions(members(5), 256, 3, a);
    expect(movedSlots(a, b)).toBe(minimumMovedSlots(a, b));
    expect(slotCounts(b).get('node-4')).toBe(movedSlots(a, b));
    expect(ownershipStats(b).max - ownershipStats(b).min).toBeLessThanOrEqual(1);
  });

  test('removing a node hands its slots to the others and moves nothing else', () => {
    const a = assignPartitions(members(6), 256, 3);
    const b = assignPartitions(members(6).filter((m) => m.id !== 'node-2'), 256, 3, a);
    const held = slotCounts(a).get('node-2') ?? 0;
    expect(movedSlots(a, b)).toBeLessThanOrEqual(held + 2);
    a.preferenceLists.forEach((list, p) => {
      for (const id of list) if (id !== 'node-2') expect(b.preferenceLists[p]).toContain(id);
    });
  });

  test('changing N keeps almost every replica that remains wanted, and stays balanced', () => {
    const a = assignPartitions(members(6), 64, 3);
    const b = assignPartitions(members(6), 64, 2, a);
    expect(movedSlots(a, b)).toBeLessThanOrEqual(4);
    expect(ownershipStats(b).max - ownershipStats(b).min).toBeLessThanOrEqual(1);
    const c = assignPartitions(members(6), 64, 3, b);
    expect(movedSlots(b, c)).toBeLessThanOrEqual(64 + 2);
    expect(ownershipStats(c).max - ownershipStats(c).min).toBe(0);
  });

  test('weights: a member of weight 2 owns twice the slots', () => {
    const a = assignPartitions([{ id: 'a', weight: 2 }, { id: 'b' }, { id: 'c' }, { id: 'd' }, { id: 'e' }, { id: 'f' }], 256, 2);
    const counts = slotCounts(a);
    expect([146, 147]).toContain(counts.get('a')); // 512 * 2/7 = 146.3
    for (const id of ['b', 'c', 'd', 'e', 'f']) expect([73, 74]).toContain(counts.get(id));
  });

  test('weights: a share above one replica per partition is capped at Q', () => {
    const a = assignPartitions([{ id: 'a', weight: 10 }, { id: 'b' }, { id: 'c' }, { id: 'd' }], 64, 2);
    const counts = slotCounts(a);
    expect(counts.get('a')).toBe(64);
    expect([21, 22]).toContain(counts.get('b'));
  });

  test('zones: with as many zones as replicas, each zone holds one replica of every partition', () => {
    const a = assignPartitions(members(9, 3), 256, 3);
    const zone = new Map(a.members.map((m) => [m.id, m.zone]));
    for (const list of a.preferenceLists) expect(new Set(list.map((id) => zone.get(id))).size).toBe(3);
    expect([...slotCounts(a).values()].every((c) => c === 85 || c === 86)).toBe(true);
  });

  test('zones: the only member of a zone holds a replica of every partition', () => {
    const ms = [{ id: 'a', zone: 'x' }, { id: 'b', zone: 'y' }, { id: 'c', zone: 'y' }, { id: 'd', zone: 'y' }];
    const a = assignPartitions(ms, 64, 2);
    expect(slotCounts(a).get('a')).toBe(64);
  });

  test('zones: two zones, N=3: every partition has 1 or 2 replicas in each zone', () => {
    const a = assignPartitions(members(6, 2), 128, 3);
    const zone = new Map(a.members.map((m) => [m.id, m.zone]));
    for (const list of a.preferenceLists) {
      const inZ0 = list.filter((id) => zone.get(id) === 'z0').length;
      expect([1, 2]).toContain(inZ0);
    }
    const z0Total = a.preferenceLists.flat().filter((id) => zone.get(id) === 'z0').length;
    expect(z0Total).toBe(192);
  });

  test('a member that changes zone is moved to restore distinct zones', () => {
    const a = assignPartitions(members(6, 3), 64, 3);
    const moved = members(6, 3).map((m) => (m.id === 'node-0' ? { ...m, zone: 'z1' } : m));
    const b = assignPartitions(moved, 64, 3, a);
    const zone = new Map(b.members.map((m) => [m.id, m.zone ?? '']));
    // z0 now has one member and z1 three: node-3 (z0) must be in every partition.
    expect(slotCounts(b).get('node-3')).toBe(64);
    for (const list of b.preferenceLists) expect(new Set(list.map((id) => zone.get(id))).size).toBe(3);
  });

  test.each([
    ['a duplicate id', [{ id: 'a' }, { id: 'a' }], 8, 3],
    ['an empty id', [{ id: '' }], 8, 3],
    ['a zero weight', [{ id: 'a', weight: 0 }], 8, 3],
    ['a NaN weight', [{ id: 'a', weight: Number.NaN }], 8, 3],
    ['a non power-of-two Q', [{ id: 'a' }], 100, 3],
    ['N = 0', [{ id: 'a' }], 8, 0],
    ['N = 17', [{ id: 'a' }], 8, 17],
    ['a fractional N', [{ id: 'a' }], 8, 2.5],
  ])('rejects %s', (_what, ms, q, n) => {
    expect(() => assignPartitions(ms, q, n)).toThrow(InvalidRingConfigError);
  });

  test('rejects a previous assignment with another partition count', () => {
    const a = assignPartitions(members(3), 8, 3);
    expect(() => assignPartitions(members(3), 16, 3, a)).toThrow(/previous assignment has 8 partitions/);
  });
});
