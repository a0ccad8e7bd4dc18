import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { ReadQuorum, compareRecords, planReadRepair, type ReadOutcome, type StoredRecord } from '@ringkv/core';

const v = (wallMs: number, text = `v${wallMs}`): StoredRecord => ({
  ts: { wallMs, logical: 0, node: 1 },
  tombstone: false,
  expiresAtMs: 0,
  value: new TextEncoder().encode(text),
});
const del = (wallMs: number): StoredRecord => ({ ts: { wallMs, logical: 0, node: 1 }, tombstone: true, expiresAtMs: 0, value: new Uint8Array(0) });

describe('ReadQuorum', () => {
  test('answers at the r-th reply with the newest; a newer late reply makes earlier repliers stale', () => {
    const q = new ReadQuorum({ targets: ['a', 'b', 'c'], r: 2 });
    expect(q.reply('a', v(10))).toEqual({ state: 'pending' });
    expect(q.reply('b', undefined)).toEqual({ state: 'succeeded', winner: v(10), replied: ['a', 'b'] });
    expect(q.repairsNeeded()).toEqual([{ node: 'b', record: v(10) }]);
    expect(q.reply('c', v(20))).toEqual({ state: 'succeeded', winner: v(10), replied: ['a', 'b'] });
    expect(q.newest()).toEqual(v(20));
    expect(q.repairsNeeded()).toEqual([
      { node: 'a', record: v(20) },
      { node: 'b', record: v(20) },
    ]);
  });

  test('a newer tombstone wins and is repaired like a value', () => {
    const q = new ReadQuorum({ targets: ['a', 'b'], r: 2 });
    q.reply('a', v(10));
    expect(q.reply('b', del(11))).toEqual({ state: 'succeeded', winner: del(11), replied: ['a', 'b'] });
    expect(q.repairsNeeded()).toEqual([{ node: 'a', record: del(11) }]);
  });

  test('no replica holds the key: no winner, nothing to repair', () => {
    const q = new ReadQuorum({ targets: ['a', 'b', 'c'], r: 3 });
    q.reply('a', undefined);
    q.reply('b', undefined);
    expect(q.reply('c', undefined)).toEqual({ state: 'succeeded', winner: undefined, replied: ['a', 'b', 'c'] });
    expect(q.repairsNeeded()).toEqual([]);
  });

  test('equal versions need no repair', () => {
    const q = new ReadQuorum({ targets: ['a', 'b'], r: 1 });
    expect(q.reply('a', v(5))).toMatchObject({ state: 'succeeded', replied: ['a'] });
    q.reply('b', v(5));
    expect(q.repairsNeeded()).toEqual([]);
  });

  test('fails as soon as r is out of reach', () => {
    const q = new ReadQuorum({ targets: ['a', 'b', 'c'], r: 2 });
    q.reply('a', v(1));
    expect(q.fail('b')).toEqual({ state: 'pending' });
    expect(q.fail('c')).toEqual({ state: 'failed', required: 2, acked: 1 });
    expect(q.reply('c', v(2))).toEqual({ state: 'failed', required: 2, acked: 1 });
    expect(q.repairsNeeded()).toEqual([{ node: 'a', record: v(2) }]); // late replies still inform repair
  });

  test('duplicate and unknown replies are ignored; a reply after a failure counts', () => {
    const q = new ReadQuorum({ targets: ['a', 'b', 'c'], r: 2 });
    q.reply('a', v(1));
    expect(q.reply('a', v(9))).toEqual({ state: 'pending' });
    expect(q.reply('zz', v(9))).toEqual({ state: 'pending' });
    expect(q.fail('a')).toEqual({ state: 'pending' });
    q.fail('b');
    expect(q.reply('b', v(3))).toEqual({ state: 'succeeded', winner: v(3), replied: ['a', 'b'] });
    expect(q.newest()).toEqual(v(3));
  });

  test('r above the number of targets fails at once; bad r is a programmer mistake', () => {
    expect(new ReadQuorum({ targets: ['a', 'b'], r: 3 }).outcome()).toEqual({ state: 'failed', required: 3, acked: 0 });
    expect(() => new ReadQuorum({ targets: ['a'], r: 0 })).toThrow(RangeError);
  });
});

describe('planReadRepair', () => {
  test.each([
    ['no replies', [], []],
    ['all missing', [['a', undefined], ['b', undefined]], []],
    ['one stale, one missing', [['a', v(3)], ['b', v(1)], ['c', undefined]], ['b', 'c']],
    ['newest last', [['a', v(1)], ['b', v(2)], ['c', v(3)]], ['a', 'b']],
    ['same timestamp, tombstone wins', [['a', v(4)], ['b', del(4)]], ['a']],
  ] as [string, [string, StoredRecord | undefined][], string[]][])('%s', (_name, entries, stale) => {
    const replies = new Map(entries);
    const newest = entries.map(([, r]) => r).filter((r): r is StoredRecord => r !== undefined).sort(compareRecords).pop();
    expect(planReadRepair(replies)).toEqual(stale.map((node) => ({ node, record: newest })));
  });
});

// Records from a tiny space, so ties and equal versions are common.
const recordArb: fc.Arbitrary<StoredRecord> = fc
  .record({ wallMs: fc.nat(3), logical: fc.nat(1), node: fc.nat(1), tombstone: fc.boolean(), value: fc.uint8Array({ max: 1, maxLength: 2 }) })
  .map(({ wallMs, logical, node, tombstone, value }) => ({
    ts: { wallMs, logical, node },
    tombstone,
    expiresAtMs: 0,
    value: tombstone ? new Uint8Array(0) : value,
  }));

type Ev = { kind: 'reply'; node: string; rec: StoredRecord | undefined } | { kind: 'fail'; node: string };

// The dumb reference: the newest is the last after sorting; replies and failures from the prefix.
const maxOf = (recs: (StoredRecord | undefined)[]) =>
  recs.filter((r): r is StoredRecord => r !== undefined).sort(compareRecords).pop();
function reference(targets: string[], r: number, events: Ev[]) {
  const stateAt = (i: number) => {
    const replies: [string, StoredRecord | undefined][] = [];
    for (const e of events.slice(0, i)) {
      if (e.kind === 'reply' && targets.includes(e.node) && !replies.some(([n]) => n === e.node)) replies.push([e.node, e.rec]);
    }
    const failed = targets.filter(
      (t) => events.slice(0, i).some((e) => e.kind === 'fail' && e.node === t) && !replies.some(([n]) => n === t),
    );
    return { replies, failed };
  };
  let outcome: ReadOutcome = { state: 'pending' };
  for (let i = 0; i <= events.length && outcome.state === 'pending'; i++) {
    const { replies, failed } = stateAt(i);
    if (replies.length >= r) {
      outcome = { state: 'succeeded', winner: maxOf(replies.map(([, x]) => x)), replied: replies.map(([n]) => n) };
    } else if (targets.length - failed.length < r) {
      outcome = { state: 'failed', required: r, acked: replies.length };
    }
  }
  const { replies } = stateAt(events.length);
  const newest = maxOf(replies.map(([, x]) => x));
  const stale = replies.filter(([, x]) => newest && (!x || compareRecords(x, newest) < 0)).map(([n]) => n);
  return { outcome, newest, stale };
}

describe('ReadQuorum against a reference', () => {
  test('outcome, winner, newest and repairs after every event', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'];
    const evArb: fc.Arbitrary<Ev> = fc.oneof(
      fc.record({ kind: fc.constant('reply' as const), node: fc.constantFrom(...nodes, 'x'), rec: fc.option(recordArb, { nil: undefined }) }),
      fc.record({ kind: fc.constant('fail' as const), node: fc.constantFrom(...nodes, 'x') }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...nodes), { maxLength: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(evArb, { maxLength: 16 }),
        (targets, r, events) => {
          const q = new ReadQuorum({ targets, r });
          events.forEach((e, i) => {
            const got = e.kind === 'reply' ? q.reply(e.node, e.rec) : q.fail(e.node);
            const want = reference(targets, r, events.slice(0, i + 1));
            expect(got).toEqual(want.outcome);
            if (got.state === 'succeeded' && want.outcome.state === 'succeeded' && got.winner && want.outcome.winner) {
              expect(compareRecords(got.winner, want.outcome.winner)).toBe(0);
            }
            expect(q.newest()).toEqual(want.newest);
            const repairs = q.repairsNeeded();
            expect(repairs.map((x) => x.node)).toEqual(want.stale);
            for (const x of repairs) expect(x.record).toBe(repairs[0].record); // one newest for all
            for (const x of repairs) expect(compareRecords(x.record, want.newest!)).toBe(0);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
