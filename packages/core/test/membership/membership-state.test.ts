import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  applyMembershipCommand, decodeMembershipState, desiredVoters, encodeMembershipState, initialMembership, nextConfStep,
  type MembershipCommand, type MembershipState,
} from '@ringkv/core';

const seed = (ids: string[]) => initialMembership(64, 3, ids.map((id) => ({ id, peer: `${id}:7171`, http: `${id}:7070` })));

function apply(state: MembershipState, cmd: MembershipCommand): MembershipState {
  const out = applyMembershipCommand(state, cmd);
  if (!out.ok) throw new Error(out.reason);
  return out.state;
}

describe('membership commands', () => {
  test('join, activate, leave, remove: each accepted change is a new epoch', () => {
    let s = seed(['a', 'b', 'c']);
    expect(s.epoch).toBe(1);
    s = apply(s, { op: 'add', member: { id: 'd', peer: 'd:7171', http: 'd:7070' } });
    expect([s.epoch, s.members.find((m) => m.id === 'd')?.status]).toEqual([2, 'joining']);
    // A joining member owns nothing yet.
    expect(s.assignment.preferenceLists.flat().includes('d')).toBe(false);
    s = apply(s, { op: 'activate', id: 'd' });
    expect(s.assignment.preferenceLists.flat().filter((x) => x === 'd').length).toBe(48);
    s = apply(s, { op: 'leave', id: 'a' });
    expect([s.epoch, s.members.find((m) => m.id === 'a')?.status]).toEqual([4, 'leaving']);
    s = apply(s, { op: 'remove', id: 'a' });
    expect([s.epoch, s.members.map((m) => m.id)]).toEqual([5, ['b', 'c', 'd']]);
  });

  test.each<[string, MembershipCommand, RegExp]>([
    ['duplicate id', { op: 'add', member: { id: 'a', peer: 'x:1', http: 'x:2' } }, /taken/],
    ['same member again', { op: 'add', member: { id: 'a', peer: 'a:7171', http: 'a:7070' } }, /already a member/],
    ['duplicate address', { op: 'add', member: { id: 'z', peer: 'b:7171', http: 'z:2' } }, /belongs to b/],
    ['unknown member', { op: 'remove', id: 'nobody' }, /not a member/],
    ['activate a normal member', { op: 'activate', id: 'a' }, /not joining/],
    ['unknown op', { op: 'explode' } as unknown as MembershipCommand, /unknown op "explode"/],
    ['a zone that is a number (issue 14: it threw in assignPartitions on every node)', { op: 'add', member: { id: 'z', peer: 'z:1', http: 'z:2', zone: 7 } } as unknown as MembershipCommand, /member.zone/],
    ['an id with a NUL', { op: 'remove', id: 'a\u0000b' }, /not a valid node id/],
    ['an address without a port', { op: 'setAddress', id: 'a', peer: 'a', http: 'a:1' }, /peer is not HOST:PORT/],
    ['a null command', null as unknown as MembershipCommand, /not an object/],
    ['op __proto__', { op: '__proto__' } as unknown as MembershipCommand, /unknown op/],
  ])('refuses %s and keeps the epoch', (_name, cmd, reason) => {
    const s = seed(['a', 'b', 'c']);
    const out = applyMembershipCommand(s, cmd);
    expect(out.ok).toBe(false);
    expect(out.ok ? '' : out.reason).toMatch(reason);
    expect(out.state).toBe(s);
    // Only an add of the very member it names is already in effect (a retried join is done).
    expect(out.ok ? undefined : out.inEffect).toBe(_name === 'same member again' ? true : undefined);
  });

  test('the last normal member cannot leave', () => {
    expect(applyMembershipCommand(seed(['a']), { op: 'leave', id: 'a' }).ok).toBe(false);
  });
});

describe('voters', () => {
  test.each([
    [['a'], ['a']],
    [['a', 'b'], ['a']],
    [['a', 'b', 'c'], ['a', 'b', 'c']],
    [['a', 'b', 'c', 'd'], ['a', 'b', 'c']],
    [['a', 'b', 'c', 'd', 'e', 'f', 'g'], ['a', 'b', 'c', 'd', 'e']],
  ])('members %j vote as %j (at most five, odd)', (ids, voters) => {
    expect(desiredVoters(seed(ids), [])).toEqual(voters);
  });

  test('current voters keep their vote', () => {
    expect(desiredVoters(seed(['a', 'b', 'c', 'd']), ['b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
  });

  test('conf steps: learners first, then promotions, then removals', () => {
    const s = seed(['a', 'b', 'c']);
    expect(nextConfStep(s, { voters: ['a'], learners: [] })).toEqual({ type: 'addLearner', node: 'b' });
    expect(nextConfStep(s, { voters: ['a'], learners: ['b', 'c'] })).toEqual({ type: 'addVoter', node: 'b' });
    expect(nextConfStep(s, { voters: ['a', 'b', 'c'], learners: [] })).toBeUndefined();
    const gone = apply(s, { op: 'remove', id: 'c' });
    expect(nextConfStep(gone, { voters: ['a', 'b', 'c'], learners: [] })).toEqual({ type: 'removeNode', node: 'c' });
  });
});

test('a state restored from a snapshot reaches the same ring as one applied from the start', () => {
  const ids = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
  const command = fc.oneof(
    fc.constantFrom(...ids).map((id): MembershipCommand => ({ op: 'add', member: { id, peer: `${id}:7171`, http: `${id}:7070` } })),
    fc.constantFrom(...ids).map((id): MembershipCommand => ({ op: 'activate', id })),
    fc.constantFrom(...ids).map((id): MembershipCommand => ({ op: 'leave', id })),
    fc.constantFrom(...ids).map((id): MembershipCommand => ({ op: 'remove', id })),
  );
  fc.assert(fc.property(fc.array(command, { maxLength: 25 }), fc.nat(), (cmds, cut) => {
    let full = seed(['m0', 'm1', 'm2']);
    let restored: MembershipState | undefined;
    const at = cut % (cmds.length + 1);
    cmds.forEach((cmd, i) => {
      if (i === at) restored = decodeMembershipState(encodeMembershipState(full));
      full = applyMembershipCommand(full, cmd).state;
      if (restored) restored = applyMembershipCommand(restored, cmd).state;
    });
    restored ??= decodeMembershipState(encodeMembershipState(full));
    expect(restored).toEqual(full);
  }), { numRuns: 60 });
});

describe('applying is total (issue 14: one bad committed entry stopped Raft on every node)', () => {
  // Anything JSON can carry, shaped loosely like a command, so most fields are wrong in some way.
  const anyValue = fc.jsonValue({ maxDepth: 3 });
  const looseCommand = fc.record({
    op: fc.oneof(fc.constantFrom('add', 'activate', 'leave', 'remove', 'setZone', 'setAddress', '__proto__', 'constructor'), anyValue),
    id: fc.oneof(fc.constantFrom('a', 'b', 'z', '', 'a\u0000'), anyValue),
    zone: fc.oneof(fc.constantFrom('eu-1', null), anyValue),
    peer: fc.oneof(fc.constantFrom('z:1', 'a:7171', 'nope'), anyValue),
    http: fc.oneof(fc.constantFrom('z:2', ':'), anyValue),
    member: fc.oneof(fc.record({ id: anyValue, peer: anyValue, http: anyValue, zone: anyValue }, { requiredKeys: [] }), anyValue),
  }, { requiredKeys: [] });

  test('never throws; a refusal leaves the state as it was; an acceptance yields a well-formed state', () => {
    fc.assert(fc.property(fc.oneof(looseCommand, anyValue), (cmd) => {
      const s = seed(['a', 'b', 'c']);
      const out = applyMembershipCommand(s, cmd as MembershipCommand);
      if (!out.ok) expect(out.state).toBe(s);
      else expect(decodeMembershipState(encodeMembershipState(out.state))).toEqual(out.state);
    }), { numRuns: 2000, seed: 14 });
  });

  test('a decoded state must be well-formed: a state with a list naming a stranger is refused', () => {
    const s = seed(['a', 'b', 'c']);
    const bad = { ...s, assignment: { ...s.assignment, preferenceLists: s.assignment.preferenceLists.map((l, i) => (i === 3 ? ['a', 'b', 'mallory'] : l)) } };
    expect(() => decodeMembershipState(encodeMembershipState(bad))).toThrow(/unknown or repeated member/);
    expect(() => decodeMembershipState(new TextEncoder().encode('{"epoch":1}'))).toThrow(/malformed membership state/);
  });
});
