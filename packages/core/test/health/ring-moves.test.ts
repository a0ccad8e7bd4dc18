// What a change would move, from the rings before and after: partitions gaining owners, copies
// streamed, shares before and after; and with core's own ring computation for a remove and a join.
import { describe, expect, test } from '@jest/globals';
import { applyMembershipCommand, epochRings, initialMembership, replicaShares, ringMoves } from '@ringkv/core';

const ring = (...lists: string[]) => lists.map((l) => l.split(''));

describe('ringMoves', () => {
  test.each([
    ['unchanged', ring('abc', 'bca'), ring('abc', 'bca'), 0, 0],
    ['reordered only (no copy moves)', ring('abc'), ring('cba'), 0, 0],
    ['c replaced by d in one', ring('abc', 'abc'), ring('abd', 'abc'), 1, 1],
    ['two new owners of one partition', ring('abc'), ring('ade'), 1, 2],
    ['fewer replicas after', ring('abc'), ring('ab'), 0, 0],
  ])('%s', (_name, before, after, partitions, copies) => {
    const m = ringMoves(before, after);
    expect([m.partitionsMoving, m.copiesMoving]).toEqual([partitions, copies]);
    expect(m.moving.map((x) => x.gaining.length).reduce((a, b) => a + b, 0)).toBe(copies);
  });

  test('shares before and after list every member of either ring and sum to 1', () => {
    const m = ringMoves(ring('ab', 'ab'), ring('ac', 'bc'));
    expect(m.shares).toEqual({ a: { before: 0.5, after: 0.25 }, b: { before: 0.5, after: 0.25 }, c: { before: 0, after: 0.5 } });
    expect(m.moving).toEqual([{ partition: 0, gaining: ['c'] }, { partition: 1, gaining: ['c'] }]);
  });

  test('rings of different sizes are refused', () => {
    expect(() => ringMoves(ring('a'), ring('a', 'a'))).toThrow(RangeError);
  });

  test('an empty ring has no shares', () => {
    expect([...replicaShares([])]).toEqual([]);
  });
});

describe('with core\'s ring computation', () => {
  const members = ['n1', 'n2', 'n3', 'n4'].map((id, i) => ({ id, peer: `127.0.0.1:${7001 + i}`, http: `127.0.0.1:${8001 + i}` }));
  const state = initialMembership(64, 3, members);
  const after = (cmd: Parameters<typeof applyMembershipCommand>[1]) => {
    const out = applyMembershipCommand(state, cmd);
    if (!out.ok) throw new Error(out.reason);
    const rings = epochRings(out.state);
    return rings.target ?? rings.assignment;
  };

  test('removing a member moves exactly the partitions it held, to the others', () => {
    const next = after({ op: 'remove', id: 'n4' });
    const m = ringMoves(state.assignment.preferenceLists, next.preferenceLists);
    const held = state.assignment.preferenceLists.filter((l) => l.includes('n4')).length;
    expect(m.partitionsMoving).toBe(held);
    expect(m.shares.n4).toEqual({ before: 0.25, after: 0 });
    for (const { gaining } of m.moving) expect(gaining).not.toContain('n4');
  });

  test('adding a member moves copies only to it', () => {
    const next = after({ op: 'add', member: { id: 'n5', peer: '127.0.0.1:7005', http: '127.0.0.1:8005' } });
    const m = ringMoves(state.assignment.preferenceLists, next.preferenceLists);
    expect(m.partitionsMoving).toBeGreaterThan(0);
    for (const { gaining } of m.moving) expect(gaining).toEqual(['n5']);
    expect(m.shares.n5!.before).toBe(0);
    expect(m.shares.n5!.after).toBeGreaterThan(0);
  });
});
