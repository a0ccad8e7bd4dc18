// Majority quorum math, alone so it can be checked against a dumb reference (test/raft/quorum.test.ts).
// Only voters count: learners' acks and votes are ignored because callers pass the voter list.

export type VoteResult = 'pending' | 'won' | 'lost';

/**
 * The highest index acknowledged by a majority of `voters`. A voter missing from `acked` counts as 0.
 * With no voters there is no quorum to speak of; we return Infinity (as etcd: an empty config never
 * blocks), and callers never ask with an empty config.
 */
export function committedIndex(voters: readonly string[], acked: (id: string) => number | undefined): number {
  const n = voters.length;
  if (n === 0) return Infinity;
  const idx = voters.map((v) => acked(v) ?? 0).sort((a, b) => a - b);
  // Sorted ascending, the value at n - (n/2 + 1) is held by at least n/2 + 1 voters.
  return idx[n - (Math.floor(n / 2) + 1)];
}

/** Outcome of an election given yes/no votes received so far from (some of) `voters`. */
export function voteResult(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  const q = Math.floor(voters.length / 2) + 1;
  let yes = 0;
  let missing = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === undefined) missing++;
    else if (vote) yes++;
  }
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}

/** Smallest number of voters that forms a majority. */
export function majoritySize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}
