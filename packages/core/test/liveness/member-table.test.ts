import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  compareEntries,
  mergeViews,
  newerEntry,
  normalizeEntry,
  type MemberEntry,
} from '../../src/liveness/member-entry.js';
import { MEMBER_STATUSES } from '../../src/membership/member-record.js';
import {
  createMemberTable,
  defaultGossipConfig,
  describeMembers,
  forgetMember,
  isMemberAlive,
  memberPhi,
  mergeDigest,
  selfEntry,
  updateSelf,
  type MemberTable,
} from '../../src/liveness/member-table.js';

const ids = ['a', 'b', 'c', 'd'];

const arbEntry: fc.Arbitrary<MemberEntry> = fc.record({
  id: fc.constantFrom(...ids),
  peer: fc.constantFrom('10.0.0.1:7000', '10.0.0.2:7000'),
  http: fc.constantFrom('10.0.0.1:8000', '10.0.0.2:8000'),
  zone: fc.constantFrom(undefined, 'z1', 'z2'),
  incarnation: fc.integer({ min: 0, max: 3 }),
  heartbeat: fc.integer({ min: 0, max: 5 }),
  status: fc.constantFrom(...MEMBER_STATUSES),
  epoch: fc.integer({ min: 0, max: 4 }),
}).map((e) => normalizeEntry(e) as MemberEntry);

const arbView = fc.array(arbEntry, { maxLength: 12 }).map((es) => {
  const m = new Map<string, MemberEntry>();
  for (const e of es) m.set(e.id, newerEntry(m.get(e.id), e) as MemberEntry);
  return m;
});

const entry = (id: string, incarnation: number, heartbeat: number, extra: Partial<MemberEntry> = {}): MemberEntry => ({
  id,
  peer: `${id}:7000`,
  http: `${id}:8000`,
  incarnation,
  heartbeat,
  status: 'normal',
  epoch: 1,
  ...extra,
});

function table(selfId = 'me', incarnation = 5): MemberTable {
  return createMemberTable({ id: selfId, peer: `${selfId}:7000`, http: `${selfId}:8000`, incarnation, status: 'normal', epoch: 1 });
}

const sorted = (m: ReadonlyMap<string, MemberEntry>): MemberEntry[] => [...m.values()].sort((x, y) => (x.id < y.id ? -1 : 1));

describe('member entry order and view merge', () => {
  test('the version is (incarnation, heartbeat): a restart beats any heartbeat of the previous life', () => {
    expect(compareEntries(entry('a', 2, 0), entry('a', 1, 999))).toBe(1);
    expect(compareEntries(entry('a', 1, 3), entry('a', 1, 4))).toBe(-1);
    expect(compareEntries(entry('a', 1, 3), entry('a', 1, 3))).toBe(0);
    // Equal versions with different content still have one winner everywhere.
    expect(compareEntries(entry('a', 1, 3, { status: 'left' }), entry('a', 1, 3))).toBe(1);
  });

  test('merge is commutative', () => {
    fc.assert(fc.property(arbView, arbView, (a, b) => expect(sorted(mergeViews(a, b))).toEqual(sorted(mergeViews(b, a)))), { numRuns: 200 });
  });

  test('merge is associative', () => {
    fc.assert(
      fc.property(arbView, arbView, arbView, (a, b, c) =>
        expect(sorted(mergeViews(mergeViews(a, b), c))).toEqual(sorted(mergeViews(a, mergeViews(b, c))))),
      { numRuns: 200 },
    );
  });

  test('merge is idempotent, and the result dominates both inputs', () => {
    fc.assert(
      fc.property(arbView, arbView, (a, b) => {
        expect(sorted(mergeViews(a, a))).toEqual(sorted(a));
        const m = mergeViews(a, b);
        for (const [id, e] of [...a, ...b]) expect(compareEntries(m.get(id) as MemberEntry, e)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  test.each([
    ['a missing id', { peer: 'p', http: 'h', incarnation: 0, heartbeat: 0, status: 'normal', epoch: 0 }],
    ['a negative heartbeat', { ...entry('a', 0, 0), heartbeat: -1 }],
    ['a fractional incarnation', { ...entry('a', 0, 0), incarnation: 0.5 }],
    ['an unknown status', { ...entry('a', 0, 0), status: 'dead' }],
    ['a numeric zone', { ...entry('a', 0, 0), zone: 3 }],
    ['null', null],
  ])('normalizeEntry drops %s', (_name, raw) => {
    expect(normalizeEntry(raw)).toBeUndefined();
  });

  test('normalizeEntry keeps only the known fields', () => {
    expect(normalizeEntry({ ...entry('a', 1, 2), extra: 'x' })).toEqual(entry('a', 1, 2));
  });
});

describe('mergeDigest', () => {
  test('for every member the greatest entry wins, whatever the order of digests (reference model)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(arbEntry, { maxLength: 6 }), { maxLength: 5 }), (digests) => {
        let forward = table();
        for (const d of digests) forward = mergeDigest(forward, d, 1000).state;
        let backward = table();
        for (const d of [...digests].reverse()) backward = mergeDigest(backward, d, 1000).state;
        const expected = new Map<string, MemberEntry>([['me', selfEntry(table())]]);
        for (const e of digests.flat()) expected.set(e.id, newerEntry(expected.get(e.id), e) as MemberEntry);
        expect(sorted(forward.members)).toEqual(sorted(expected));
        expect(sorted(backward.members)).toEqual(sorted(expected));
      }),
      { numRuns: 150 },
    );
  });

  test('merging the same digest twice changes nothing the second time', () => {
    fc.assert(
      fc.property(fc.array(arbEntry, { maxLength: 8 }), (d) => {
        const once = mergeDigest(table(), d, 1000);
        const twice = mergeDigest(once.state, d, 2000);
        expect(twice.changed).toEqual([]);
        expect(twice.state).toBe(once.state);
      }),
      { numRuns: 100 },
    );
  });

  test('reports the changed members and the highest epoch seen', () => {
    const t = mergeDigest(table(), [entry('a', 1, 1), entry('b', 1, 1, { epoch: 7 })], 1000).state;
    const r = mergeDigest(t, [entry('a', 1, 1), entry('b', 1, 2, { epoch: 7 }), entry('c', 0, 0, { epoch: 3 })], 2000);
    expect(r.changed).toEqual(['b', 'c']);
    expect(r.maxEpoch).toBe(7);
    expect(r.refuted).toBe(false);
  });

  test('skips malformed entries and keeps the rest', () => {
    const r = mergeDigest(table(), [{ id: 'x' }, 42, entry('a', 0, 0)], 0);
    expect(r.changed).toEqual(['a']);
    expect([...r.state.members.keys()].sort()).toEqual(['a', 'me']);
  });

  test('never changes its input table', () => {
    const t0 = mergeDigest(table(), [entry('a', 1, 1)], 1000).state;
    const before = { members: sorted(t0.members), phi: memberPhi(t0, 'a', 5000) };
    mergeDigest(t0, [entry('a', 1, 9), entry('b', 0, 0)], 4000);
    expect(sorted(t0.members)).toEqual(before.members);
    expect(memberPhi(t0, 'a', 5000)).toBe(before.phi);
  });
});

describe('self refutes rumours about itself', () => {
  test.each([
    ['a higher incarnation', entry('me', 7, 0), 8],
    ['a higher heartbeat at its incarnation', entry('me', 5, 99), 6],
    ['a rumour that it left, at its own version', entry('me', 5, 0, { status: 'left' }), 6],
  ])('%s makes self raise its incarnation above it', (_name, rumour, expectedIncarnation) => {
    const r = mergeDigest(table('me', 5), [rumour], 1000);
    const me = selfEntry(r.state);
    expect(r.refuted).toBe(true);
    expect(r.changed).toEqual(['me']);
    expect(me.incarnation).toBe(expectedIncarnation);
    expect(me.status).toBe('normal');
    // The refutation beats the rumour wherever both meet.
    expect(compareEntries(me, rumour)).toBe(1);
  });

  test('an older entry for self is ignored', () => {
    const r = mergeDigest(table('me', 5), [entry('me', 4, 100), entry('me', 5, 0, { status: 'joining' })], 1000);
    expect(r.refuted).toBe(false);
    expect(r.changed).toEqual([]);
    expect(selfEntry(r.state)).toEqual(selfEntry(table('me', 5)));
  });

  test('no peer can ever overwrite self: after any digests, self is still its own entry with a higher version', () => {
    fc.assert(
      fc.property(fc.array(arbEntry.map((e) => ({ ...e, id: 'me' })), { maxLength: 8 }), (rumours) => {
        const r = mergeDigest(table('me', 2), rumours, 0);
        const me = selfEntry(r.state);
        expect(me.peer).toBe('me:7000');
        for (const x of rumours) expect(compareEntries(me, x)).toBe(1);
      }),
      { numRuns: 100 },
    );
  });
});

describe('liveness', () => {
  const cfg = defaultGossipConfig();

  /** Feeds peer a's heartbeat every intervalMs from fromMs until before toMs. */
  function feed(t: MemberTable, hb0: number, fromMs: number, toMs: number, intervalMs = 1000): [MemberTable, number] {
    let hb = hb0;
    for (let now = fromMs; now < toMs; now += intervalMs) t = mergeDigest(t, [entry('a', 1, hb++)], now).state;
    return [t, hb];
  }

  test('a peer is alive while its heartbeat rises, down a bounded time after it stops, up again when it resumes', () => {
    let [t, hb] = feed(table(), 0, 0, 60_000);
    const lastBeatMs = 59_000;
    expect(isMemberAlive(t, 'a', 59_999)).toBe(true);
    // Bounded: mean 1000 + pause 3000 + 5.23 x the 100 ms minimum deviation.
    const boundMs = 1000 + cfg.detector.acceptableHeartbeatPauseMs + 5.3 * cfg.detector.minStdDevMs;
    expect(isMemberAlive(t, 'a', lastBeatMs + boundMs)).toBe(false);
    // The same heartbeat gossiped again does not count as a sign of life.
    t = mergeDigest(t, [entry('a', 1, hb - 1)], 70_000).state;
    expect(isMemberAlive(t, 'a', 70_000)).toBe(false);
    [t, hb] = feed(t, hb, 90_000, 91_000);
    expect(isMemberAlive(t, 'a', 90_000)).toBe(true);
    // And it is detected as quickly the next time (the outage gap was not sampled).
    expect(isMemberAlive(t, 'a', 90_000 + boundMs)).toBe(false);
  });

  test('a peer restarting with a higher incarnation and heartbeat 0 counts as alive', () => {
    let [t] = feed(table(), 0, 0, 10_000);
    t = mergeDigest(t, [entry('a', 2, 0)], 30_000).state;
    expect(isMemberAlive(t, 'a', 30_500)).toBe(true);
  });

  test('self is always alive; unknown and left members never are', () => {
    let t = mergeDigest(table(), [entry('a', 1, 0)], 0).state;
    t = mergeDigest(t, [entry('a', 1, 1, { status: 'left' })], 0).state;
    expect(isMemberAlive(t, 'me', 1e12)).toBe(true);
    expect(isMemberAlive(t, 'a', 0)).toBe(false);
    expect(isMemberAlive(t, 'nobody', 0)).toBe(false);
    expect(memberPhi(t, 'nobody', 0)).toBe(Infinity);
    t = forgetMember(t, 'a');
    expect(t.members.has('a')).toBe(false);
    expect(forgetMember(t, 'me')).toBe(t);
  });

  test('a member first heard of is not alive until its version advances', () => {
    let t = mergeDigest(table(), [entry('a', 1, 1)], 0).state;
    expect(t.members.has('a')).toBe(true);
    expect(isMemberAlive(t, 'a', 0)).toBe(false);
    expect(memberPhi(t, 'a', 0)).toBe(Infinity);
    t = mergeDigest(t, [entry('a', 1, 2)], 1000).state;
    expect(isMemberAlive(t, 'a', 1000)).toBe(true);
    expect(t.liveness.get('a')?.lastAdvanceMs).toBe(1000);
  });

  test('describeMembers lists everyone by id with local liveness', () => {
    const heard = mergeDigest(table(), [entry('b', 1, 0), entry('a', 1, 0)], 0).state;
    const t = mergeDigest(heard, [entry('b', 1, 1), entry('a', 1, 1)], 0).state;
    const view = describeMembers(t, 500);
    expect(view.map((v) => [v.id, v.alive])).toEqual([['a', true], ['b', true], ['me', true]]);
    expect(describeMembers(t, 60_000).map((v) => v.alive)).toEqual([false, false, true]);
  });
});

describe('updateSelf', () => {
  test('raises the heartbeat with each change, and never lowers the epoch', () => {
    const t0 = table();
    const t1 = updateSelf(t0, { status: 'leaving', epoch: 4 });
    expect(selfEntry(t1)).toMatchObject({ status: 'leaving', epoch: 4, heartbeat: selfEntry(t0).heartbeat + 1 });
    const t2 = updateSelf(t1, { epoch: 2 });
    expect(selfEntry(t2).epoch).toBe(4);
    expect(selfEntry(t0).status).toBe('normal');
    expect(() => updateSelf(t0, { status: 'gone' as never })).toThrow(TypeError);
  });

  test('createMemberTable refuses a malformed self', () => {
    expect(() => createMemberTable({ id: '', peer: 'p', http: 'h', incarnation: 0 })).toThrow(TypeError);
    expect(selfEntry(createMemberTable({ id: 'x', peer: 'p', http: 'h', incarnation: 3 }))).toMatchObject({ status: 'joining', epoch: 0, heartbeat: 0 });
  });
});
