import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  applyMembershipCommand, epochRings, epochRingSteps, initialMembership, membershipCommandSteps, type MembershipState,
} from '../../src/membership/index.js';
import {
  assignPartitions, assignRingOrError, packAssignment, runRingSteps, unpackAssignment, InvalidRingConfigError, type Assignment, type RingRequest,
} from '../../src/ring/index.js';
import { members } from './ring-fixtures.js';

const three = (): MembershipState =>
  initialMembership(64, 3, ['n1', 'n2', 'n3'].map((id, i) => ({ id, peer: `127.0.0.1:${7001 + i}`, http: `127.0.0.1:${8001 + i}` })));

describe('ring steps', () => {
  test('a command asks for the new epoch\'s ring of the owners, moved from the current one, and ends as applyMembershipCommand does', () => {
    const state = three();
    const cmd = { op: 'remove', id: 'n2' } as const;
    const steps = membershipCommandSteps(state, cmd);
    const asked = steps.next();
    expect(asked.done).toBe(false);
    const req = asked.value as RingRequest;
    expect(req.members.map((m) => m.id)).toEqual(['n1', 'n3']);
    expect(req.previous).toBe(state.assignment);
    const end = steps.next(assignRingOrError(req));
    expect(end.done).toBe(true);
    expect(end.value).toEqual(applyMembershipCommand(state, cmd));
  });

  test('a refused command asks for no ring', () => {
    const steps = membershipCommandSteps(three(), { op: 'remove', id: 'n9' });
    const end = steps.next();
    expect(end).toMatchObject({ done: true, value: { ok: false, reason: 'remove: n9 is not a member' } });
  });

  test('a ring that cannot be computed refuses the command with what computing it threw', () => {
    const state = three();
    const steps = membershipCommandSteps(state, { op: 'leave', id: 'n1' });
    steps.next();
    const end = steps.next(new InvalidRingConfigError('no room', {}));
    expect(end).toEqual({ done: true, value: { ok: false, state, reason: 'cannot apply: no room' } });
  });

  test('epoch rings: the target ring is asked for only while members move', () => {
    const state = three();
    expect(epochRingSteps(state).next()).toEqual({ done: true, value: { assignment: state.assignment } });
    const joining = applyMembershipCommand(state, { op: 'add', member: { id: 'n4', peer: '127.0.0.1:7004', http: '127.0.0.1:8004' } });
    expect(joining.ok).toBe(true);
    const steps = epochRingSteps(joining.state);
    const req = steps.next().value as RingRequest;
    expect(req.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(req.previous).toBe(joining.state.assignment);
    expect(steps.next(assignRingOrError(req)).value).toEqual(epochRings(joining.state));
  });

  test('runRingSteps throws, where epochRings did, what computing a ring threw', () => {
    const broken = { ...three(), assignment: undefined, partitions: 3 };
    expect(() => runRingSteps(epochRingSteps(broken))).toThrow(InvalidRingConfigError);
  });
});

describe('assignment packing', () => {
  test('unpacking a packed assignment gives what assignPartitions gave, frozen alike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(1, 16, 256), fc.integer({ min: 1, max: 5 }), (m, zones, q, n) => {
        const a = assignPartitions(members(m, Math.min(zones, m)), q, n);
        const b = unpackAssignment(packAssignment(a));
        expect(b).toEqual(a);
        expect(Object.isFrozen(b) && Object.isFrozen(b.preferenceLists) && Object.isFrozen(b.members)).toBe(true);
        expect(b.preferenceLists.every((l) => Object.isFrozen(l))).toBe(true);
        expect(b.members.every((x) => Object.isFrozen(x))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test('a packed assignment that does not add up is refused', () => {
    const packed = packAssignment(assignPartitions(members(4), 16, 3));
    expect(() => unpackAssignment({ ...packed, slots: packed.slots.subarray(1) })).toThrow(InvalidRingConfigError);
    const bad = packed.slots.slice();
    bad[5] = 4;
    expect(() => unpackAssignment({ ...packed, slots: bad })).toThrow('names member 4 of 4');
    expect(() => unpackAssignment({ ...packed, width: 2 })).toThrow(InvalidRingConfigError);
  });

  test('an assignment whose lists name a non-member cannot be packed', () => {
    const a = assignPartitions(members(3), 4, 2);
    const odd: Assignment = { ...a, preferenceLists: [['node-0', 'node-9'], ...a.preferenceLists.slice(1)] };
    expect(() => packAssignment(odd)).toThrow('names node-9');
  });
});
