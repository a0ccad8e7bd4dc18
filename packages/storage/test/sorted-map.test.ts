// Model test of sorted-map.ts: random operations against a plain array of entries kept sorted by
// brute force, including clones (the memory engine's crash snapshots) that must not see later
// changes to their source.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { SortedMap } from '../src/sorted-map.js';
import { compareBytes, inRange } from '../src/bytes.js';
import type { KeyRange } from '../src/engine.js';

type Model = Map<string, [Uint8Array, Uint8Array]>;

// Short keys over a small alphabet, so sets, deletes and range bounds hit each other often.
const keyArb = fc.uint8Array({ minLength: 0, maxLength: 3, max: 3 });
const rangeArb: fc.Arbitrary<KeyRange> = fc.record({ gte: fc.option(keyArb, { nil: undefined }), lt: fc.option(keyArb, { nil: undefined }) });
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.uint8Array({ maxLength: 2 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
  fc.record({ kind: fc.constant('deleteRange' as const), range: rangeArb }),
  fc.record({ kind: fc.constant('clone' as const) }),
);
const queryArb = fc.record({ range: rangeArb, reverse: fc.boolean(), limit: fc.integer({ min: -1, max: 5 }) });

const id = (k: Uint8Array) => Array.from(k).join(',');

function modelEntries(model: Model, range: KeyRange, reverse: boolean, limit: number): Array<[Uint8Array, Uint8Array]> {
  const all = [...model.values()].filter(([k]) => inRange(k, range)).sort((a, b) => compareBytes(a[0], b[0]));
  if (reverse) all.reverse();
  return limit >= 0 ? all.slice(0, limit) : all;
}

describe('SortedMap', () => {
  test('behaves as a sorted model under random operations, and clones stay frozen', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(queryArb, { minLength: 1, maxLength: 5 }), (ops, queries) => {
        const map = new SortedMap();
        const model: Model = new Map();
        const clones: Array<{ map: SortedMap; model: Model }> = [];
        for (const op of ops) {
          if (op.kind === 'set') {
            map.set(op.key, op.value);
            model.set(id(op.key), [op.key, op.value]);
          } else if (op.kind === 'delete') {
            map.delete(op.key);
            model.delete(id(op.key));
          } else if (op.kind === 'deleteRange') {
            map.deleteRange(op.range);
            for (const [k, [key]] of model) if (inRange(key, op.range)) model.delete(k);
          } else {
            clones.push({ map: map.clone(), model: new Map(model) });
          }
        }
        for (const target of [{ map, model }, ...clones]) {
          expect(target.map.size).toBe(target.model.size);
          for (const [key, value] of target.model.values()) expect(target.map.get(key)).toEqual(value);
          for (const q of queries) {
            expect(target.map.entries(q.range, q.reverse, q.limit)).toEqual(modelEntries(target.model, q.range, q.reverse, q.limit));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test.each<[string, KeyRange]>([
    ['empty range (gte = lt)', { gte: new Uint8Array([1]), lt: new Uint8Array([1]) }],
    ['inverted range', { gte: new Uint8Array([2]), lt: new Uint8Array([1]) }],
  ])('%s holds nothing and deletes nothing', (_name, range) => {
    const map = new SortedMap();
    for (const b of [0, 1, 2, 3]) map.set(new Uint8Array([b]), new Uint8Array([b]));
    expect(map.entries(range)).toEqual([]);
    expect(map.entries(range, true)).toEqual([]);
    map.deleteRange(range);
    expect(map.size).toBe(4);
  });
});
