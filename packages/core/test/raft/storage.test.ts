import { expect, test } from '@jest/globals';
import { MemoryRaftStorage, bootstrapSnapshot } from '../../src/raft/storage.js';
import { decodeConfChange, encodeConfChange, applyConfChange, validateConfChange } from '../../src/raft/conf-change.js';
import { entries } from './unit-helpers.js';

test('append overwrites from the first new index', () => {
  const s = new MemoryRaftStorage({ entries: entries([1, 1, 2, 2]) });
  s.append(entries([3, 3], 3));
  expect(s.entries().map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 1], [3, 3], [4, 3]]);
  expect(() => s.append(entries([3], 9))).toThrow(RangeError);
});

test('compact keeps entries after the snapshot; applySnapshot replaces the log', () => {
  const s = new MemoryRaftStorage({ entries: entries([1, 1, 2, 2]) });
  const snap = { metadata: { index: 2, term: 1, confState: { voters: ['a'], learners: [] } }, data: new Uint8Array([9]) };
  s.compact(snap);
  expect(s.snapshot()).toBe(snap);
  expect(s.entries().map((e) => e.index)).toEqual([3, 4]);
  expect(() => s.append(entries([5], 2))).toThrow(RangeError);
  s.applySnapshot({ ...snap, metadata: { ...snap.metadata, index: 10, term: 4 } });
  expect(s.entries()).toEqual([]);
  expect(s.lastIndex()).toBe(10);
});

test('bootstrap: same founders in any order give the same snapshot at index 1', () => {
  expect(bootstrapSnapshot(['c', 'a', 'b'])).toEqual(bootstrapSnapshot(['a', 'b', 'c', 'a']));
  const s = MemoryRaftStorage.bootstrap(['b', 'a']);
  expect(s.hardState()).toEqual({ term: 1, vote: null, commit: 1 });
  expect(s.snapshot().metadata).toEqual({ index: 1, term: 1, confState: { voters: ['a', 'b'], learners: [] } });
});

test.each([
  [{ type: 'addLearner', node: 'd' }, { voters: ['a', 'b'], learners: ['d'] }],
  [{ type: 'addVoter', node: 'c' }, { voters: ['a', 'b', 'c'], learners: [] }],
  [{ type: 'removeNode', node: 'a' }, { voters: ['b'], learners: ['c'] }],
] as const)('conf change %j round-trips and applies', (cc, want) => {
  const base = cc.type === 'removeNode' ? { voters: ['a', 'b'], learners: ['c'] } : { voters: ['a', 'b'], learners: cc.type === 'addVoter' ? ['c'] : [] };
  expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
  expect(validateConfChange(base, cc)).toBeNull();
  expect(applyConfChange(base, cc)).toEqual(want);
});

test('removing the last voter is refused; garbage does not decode', () => {
  expect(validateConfChange({ voters: ['a'], learners: [] }, { type: 'removeNode', node: 'a' })).toMatch(/last voter/);
  expect(() => decodeConfChange(new TextEncoder().encode('{"type":"x","node":"a"}'))).toThrow(TypeError);
});
