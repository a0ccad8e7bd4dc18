// Single-server configuration changes: their encoding in a log entry, validation on the leader,
// and their effect on a ConfState. A change takes effect on every node when the node learns the
// entry is COMMITTED (see raft.ts), and the leader accepts a new change only once the previous one
// and an entry of its own term are committed, so at most one change is ever in flight.
import type { ConfChange, ConfState } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify({ type: cc.type, node: cc.node }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const v = JSON.parse(decoder.decode(data)) as ConfChange;
  if ((v.type !== 'addVoter' && v.type !== 'addLearner' && v.type !== 'removeNode') || typeof v.node !== 'string') {
    throw new TypeError(`not a raft conf change: ${decoder.decode(data)}`);
  }
  return v;
}

/** Why `cc` may not be proposed against `cs`, or null if it may. */
export function validateConfChange(cs: ConfState, cc: ConfChange): string | null {
  if (cc.node === '') return 'empty node id';
  const isVoter = cs.voters.includes(cc.node);
  const isLearner = cs.learners.includes(cc.node);
  switch (cc.type) {
    case 'addVoter':
      return isVoter ? `${cc.node} is already a voter` : null;
    case 'addLearner':
      // Demoting a voter is not offered: remove it, then add it back as a learner.
      if (isVoter) return `${cc.node} is a voter`;
      return isLearner ? `${cc.node} is already a learner` : null;
    case 'removeNode':
      if (!isVoter && !isLearner) return `${cc.node} is not a member`;
      return isVoter && cs.voters.length === 1 ? 'cannot remove the last voter' : null;
  }
}

/** The configuration after `cc`. Tolerant (idempotent) because every node replays it. */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = cs.voters.filter((v) => v !== cc.node);
  const learners = cs.learners.filter((v) => v !== cc.node);
  if (cc.type === 'addVoter') voters.push(cc.node);
  if (cc.type === 'addLearner') learners.push(cc.node);
  return { voters: voters.sort(), learners: learners.sort() };
}

export function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters].sort(), learners: [...cs.learners].sort() };
}
