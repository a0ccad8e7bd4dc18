// Which members vote in the Raft group: at most five, always an odd number (an even count adds a
// member to every quorum without tolerating one more failure), chosen so the set changes as little
// as possible. Everyone else follows the log as a learner.
import type { MembershipState } from './membership-state.js';
import { ownsAfterMoves } from './ownership.js';

export const MAX_VOTERS = 5;

/** The voters wanted for this membership, keeping current voters where possible. */
export function desiredVoters(state: MembershipState, currentVoters: readonly string[]): string[] {
  // Voters are members that stay: a leaving member's vote would leave with it.
  const eligible = state.members.filter((m) => ownsAfterMoves(m.status)).map((m) => m.id);
  const pool = eligible.length > 0 ? eligible : state.members.filter((m) => m.status !== 'left').map((m) => m.id);
  let size = Math.min(MAX_VOTERS, pool.length);
  if (size > 0 && size % 2 === 0) size--;
  const keep = currentVoters.filter((v) => pool.includes(v)).sort();
  const rest = pool.filter((id) => !keep.includes(id)).sort();
  return [...keep, ...rest].slice(0, size).sort();
}

/**
 * The next single-server step from the current Raft configuration toward the desired one, or
 * undefined when they match: first every member becomes at least a learner, then a missing voter
 * is promoted while that does not overshoot the target size, then surplus voters are removed
 * (and come back as learners if still members), then learners that left are removed.
 */
export type ConfStep = { type: 'addVoter' | 'addLearner' | 'removeNode'; node: string };

export function nextConfStep(
  state: MembershipState,
  conf: { voters: readonly string[]; learners: readonly string[] },
): ConfStep | undefined {
  const members = new Set(state.members.map((m) => m.id));
  const inGroup = new Set([...conf.voters, ...conf.learners]);
  const want = new Set(desiredVoters(state, conf.voters));
  // 1. Everyone in the membership follows the log.
  for (const id of [...members].sort()) if (!inGroup.has(id)) return { type: 'addLearner', node: id };
  // 2. Voters that should no longer vote: demote (to learner) if still a member, else remove.
  //    Do this before promotions only when the voter count exceeds the target, so quorum never shrinks needlessly.
  // Voters that left the membership go before live voters that merely stop voting.
  const extraVoters = conf.voters.filter((v) => !want.has(v)).sort((a, b) => Number(members.has(a)) - Number(members.has(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const missingVoters = [...want].filter((v) => !conf.voters.includes(v)).sort();
  if (missingVoters.length > 0 && conf.voters.length - extraVoters.length + 1 <= want.size) {
    return { type: 'addVoter', node: missingVoters[0] };
  }
  // A voter is demoted by removing it; step 1 adds it back as a learner if it is still a member.
  if (extraVoters.length > 0 && conf.voters.length > 1) return { type: 'removeNode', node: extraVoters[0] };
  if (missingVoters.length > 0) return { type: 'addVoter', node: missingVoters[0] };
  // 3. Learners that are no longer members.
  for (const l of [...conf.learners].sort()) if (!members.has(l)) return { type: 'removeNode', node: l };
  return undefined;
}
