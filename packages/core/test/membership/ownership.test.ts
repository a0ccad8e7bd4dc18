// The ownership rules of a member's status and the two rings of an epoch, as tables.
import { describe, expect, test } from '@jest/globals';
import { assignPartitions } from '../../src/ring/assignment.js';
import { MEMBER_STATUSES, type MemberRecord, type MemberStatus } from '../../src/membership/member-record.js';
import { epochRings, isMoving, ownsAfterMoves, ownsNow, ringMembersOf } from '../../src/membership/ownership.js';

const member = (id: string, status: MemberStatus, zone?: string): MemberRecord => ({ id, peer: `${id}:7171`, http: `${id}:7070`, status, ...(zone ? { zone } : {}) });

describe('ownership rules', () => {
  test.each<[MemberStatus, boolean, boolean, boolean]>([
    // status     owns now  owns after moves  moving
    ['joining', false, true, true],
    ['normal', true, true, false],
    ['leaving', true, false, true],
    ['left', false, false, false],
  ])('%s: owns now %s, after the moves %s, moving %s', (status, now, after, moving) => {
    expect([ownsNow(status), ownsAfterMoves(status), isMoving(status)]).toEqual([now, after, moving]);
  });

  test('the table covers every status', () => {
    expect([...MEMBER_STATUSES].sort()).toEqual(['joining', 'leaving', 'left', 'normal']);
  });

  test('ring members keep the zone and drop what the ring does not use', () => {
    expect(ringMembersOf([member('a', 'normal', 'z1'), member('b', 'joining'), member('c', 'leaving')], ownsNow)).toEqual([{ id: 'a', zone: 'z1' }, { id: 'c' }]);
  });
});

describe('the rings of an epoch', () => {
  const Q = 16;
  const N = 2;
  const ids = (a: { members: readonly { id: string }[] }) => a.members.map((m) => m.id);

  test.each<[string, MemberStatus[], string[], string[] | undefined]>([
    ['all normal: one ring, no target', ['normal', 'normal', 'normal'], ['a', 'b', 'c'], undefined],
    ['a joining member: pending in the ring now, an owner in the target', ['normal', 'normal', 'joining'], ['a', 'b'], ['a', 'b', 'c']],
    ['a leaving member: an owner now, gone from the target', ['normal', 'normal', 'leaving'], ['a', 'b', 'c'], ['a', 'b']],
    ['one joining while another leaves', ['normal', 'joining', 'leaving'], ['a', 'c'], ['a', 'b']],
    ['a left member owns nothing either way', ['normal', 'normal', 'left'], ['a', 'b'], undefined],
  ])('%s', (_name, statuses, now, after) => {
    const members = statuses.map((s, i) => member(String.fromCharCode(97 + i), s));
    const rings = epochRings({ members, partitions: Q, replicas: N });
    expect(ids(rings.assignment)).toEqual(now);
    expect(rings.target && ids(rings.target)).toEqual(after);
  });

  test('a replicated assignment is used as it is; the target moves as little as possible from it', () => {
    const replicated = assignPartitions([{ id: 'a' }, { id: 'b' }], Q, N);
    const members = [member('a', 'normal'), member('b', 'normal'), member('c', 'joining')];
    const rings = epochRings({ members, partitions: Q, replicas: N, assignment: replicated });
    expect(rings.assignment).toBe(replicated);
    expect(rings.target).toEqual(assignPartitions([{ id: 'a' }, { id: 'b' }, { id: 'c' }], Q, N, replicated));
  });

  test('a computed ring moves as little as possible from the previous epoch', () => {
    const previous = assignPartitions([{ id: 'a' }, { id: 'b' }, { id: 'c' }], Q, N);
    const members = [member('a', 'normal'), member('b', 'normal')];
    expect(epochRings({ members, partitions: Q, replicas: N, previous }).assignment).toEqual(assignPartitions([{ id: 'a' }, { id: 'b' }], Q, N, previous));
  });
});
