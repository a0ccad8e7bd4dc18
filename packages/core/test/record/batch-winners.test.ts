// The winner choice of a batch against a brute-force last-write-wins map: the same final record
// per key and the same outcome per apply, for any batch and any records before it.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chooseBatchWinners, compareRecords, type BatchApply, type StoredRecord } from '@ringkv/core';

const record = fc.record({
  ts: fc.record({ wallMs: fc.integer({ min: 0, max: 20 }), logical: fc.integer({ min: 0, max: 2 }), node: fc.integer({ min: 0, max: 2 }) }),
  tombstone: fc.boolean(),
  expiresAtMs: fc.constant(0),
  value: fc.uint8Array({ maxLength: 2 }),
}).map((r): StoredRecord => (r.tombstone ? { ...r, value: new Uint8Array(0) } : r));
const ids = ['a', 'b', 'c'];

/** One apply at a time, the obvious way: every key's record after the batch. */
function reference(batch: readonly BatchApply[], before: Map<string, StoredRecord | undefined>) {
  const state = new Map(before);
  const outcomes = batch.map((op) => {
    const cur = state.get(op.id);
    if (op.purge) {
      if (cur !== undefined && compareRecords(cur, op.record) === 0) {
        state.delete(op.id);
        state.set(op.id, undefined);
        return { applied: true, current: op.record };
      }
      return { applied: false, current: op.record };
    }
    if (cur === undefined || compareRecords(op.record, cur) > 0) {
      state.set(op.id, op.record);
      return { applied: true, current: op.record };
    }
    return { applied: false, current: cur };
  });
  return { outcomes, winners: state };
}

describe('chooseBatchWinners', () => {
  test('matches a brute-force last-write-wins map, purges included', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ id: fc.constantFrom(...ids), record, purge: fc.boolean() }), { maxLength: 30 }),
      fc.tuple(...ids.map(() => fc.option(record, { nil: undefined }))),
      (batch, initial) => {
        const before = new Map(ids.map((id, i) => [id, initial[i]]));
        const asked: string[] = [];
        const { outcomes, winners } = chooseBatchWinners(batch, (id) => (asked.push(id), before.get(id)));
        const expected = reference(batch, before);
        expect(outcomes).toEqual(expected.outcomes);
        // Winners of exactly the keys the batch names; a key it does not name keeps its record.
        expect([...winners.keys()].sort()).toEqual([...new Set(batch.map((op) => op.id))].sort());
        for (const id of ids) expect(winners.has(id) ? winners.get(id) : before.get(id)).toEqual(expected.winners.get(id));
        // Asked once per key it names.
        expect(asked.sort()).toEqual([...winners.keys()].sort());
      },
    ), { numRuns: 2000, seed: 16 });
  });

  test.each<[string, StoredRecord | undefined, BatchApply[], boolean[]]>([
    ['a newer record applies, an older one does not', undefined,
      [{ id: 'a', record: r(5) }, { id: 'a', record: r(3) }, { id: 'a', record: r(7) }], [true, false, true]],
    ['an equal record does not apply twice', r(5), [{ id: 'a', record: r(5) }], [false]],
    ['a purge of exactly the current record removes it; of any other, nothing', r(5),
      [{ id: 'a', record: r(4), purge: true }, { id: 'a', record: r(5), purge: true }, { id: 'a', record: r(5), purge: true }], [false, true, false]],
  ])('%s', (_name, before, batch, applied) => {
    expect(chooseBatchWinners(batch, () => before).outcomes.map((o) => o.applied)).toEqual(applied);
  });
});

function r(wallMs: number): StoredRecord {
  return { ts: { wallMs, logical: 0, node: 1 }, tombstone: false, expiresAtMs: 0, value: new Uint8Array([wallMs]) };
}
