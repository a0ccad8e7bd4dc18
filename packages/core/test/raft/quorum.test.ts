import { expect, test } from '@jest/globals';
import fc from 'fast-check';
import { committedIndex, majoritySize, voteResult } from '../../src/raft/quorum.js';

// Dumb references: try every candidate index / count votes the obvious way.
function refCommitted(voters: string[], acked: Map<string, number>): number {
  let best = 0;
  for (const k of [0, ...acked.values()]) {
    const holders = voters.filter((v) => (acked.get(v) ?? 0) >= k).length;
    if (holders * 2 > voters.length && k > best) best = k;
  }
  return best;
}

function refVote(voters: string[], votes: Map<string, boolean>): string {
  const yes = voters.filter((v) => votes.get(v) === true).length;
  const no = voters.filter((v) => votes.get(v) === false).length;
  if (yes * 2 > voters.length) return 'won';
  if (no * 2 >= voters.length) return 'lost';
  return 'pending';
}

const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const votersArb = fc.subarray(ids, { minLength: 1 });

test('committedIndex equals the reference', () => {
  fc.assert(
    fc.property(votersArb, fc.array(fc.tuple(fc.constantFrom(...ids), fc.nat(20))), (voters, acks) => {
      const acked = new Map(acks);
      expect(committedIndex(voters, (id) => acked.get(id))).toBe(refCommitted(voters, acked));
    }),
    { numRuns: 500 },
  );
});

test('voteResult equals the reference, learners (non-voters) ignored', () => {
  fc.assert(
    fc.property(votersArb, fc.array(fc.tuple(fc.constantFrom(...ids), fc.boolean())), (voters, vs) => {
      const votes = new Map(vs);
      expect(voteResult(voters, votes)).toBe(refVote(voters, votes));
    }),
    { numRuns: 500 },
  );
});

test.each([
  [['a'], { a: 5 }, 5],
  [['a', 'b'], { a: 5, b: 3 }, 3],
  [['a', 'b', 'c'], { a: 5, b: 3 }, 3],
  [['a', 'b', 'c'], { a: 5 }, 0],
  [['a', 'b', 'c', 'd'], { a: 5, b: 5, c: 4, d: 1 }, 4],
  [['a', 'b', 'c', 'd', 'e'], { a: 9, b: 8, c: 7, d: 1, e: 1, learner: 100 }, 7],
])('committedIndex(%j, %j) = %d', (voters, acks, want) => {
  const m = new Map(Object.entries(acks));
  expect(committedIndex(voters, (id) => m.get(id))).toBe(want);
});

test.each([
  [1, 1], [2, 2], [3, 2], [4, 3], [5, 3],
])('majoritySize(%d) = %d', (n, q) => {
  expect(majoritySize(n)).toBe(q);
});
