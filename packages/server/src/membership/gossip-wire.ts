// Gossip bodies on the peer transport. A request carries the sender's digest; the reply carries the
// receiver's (push-pull: one exchange updates both sides, so news needs about half the rounds).
// Digests are plain arrays of plain entries (strings and safe integers): msgpackr round-trips every
// field as is (integers above 2^32, such as a start-time incarnation, travel as float64, exactly).
import { isMemberEntry, type GossipDigest, type MemberEntry } from '@ringkv/core';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody } from '../peer/transport.js';

export function gossipRequestBody(digest: GossipDigest): PeerBody {
  return { type: PeerMessageType.Gossip, digest: plainDigest(digest) };
}

export function gossipAckBody(digest: GossipDigest): PeerBody {
  return { type: PeerMessageType.GossipAck, digest: plainDigest(digest) };
}

/**
 * The digest of a request or reply, if it has the right shape. Entries are not checked here: the
 * core drops malformed ones one by one, so one bad entry does not cost the whole digest.
 */
export function readDigest(body: PeerBody): GossipDigest | undefined {
  const d = body.digest;
  if (typeof d !== 'object' || d === null) return undefined;
  const { from, members } = d as Record<string, unknown>;
  if (typeof from !== 'string' || from === '' || !Array.isArray(members)) return undefined;
  return { from, members: members as MemberEntry[] };
}

/** The highest epoch any well-formed entry of the digest claims, and who claims it. */
export function highestEpochClaim(digest: GossipDigest): { id: string; peer: string; epoch: number } | undefined {
  let best: { id: string; peer: string; epoch: number } | undefined;
  for (const raw of digest.members as unknown[]) {
    if (!isMemberEntry(raw)) continue;
    if (!best || raw.epoch > best.epoch) best = { id: raw.id, peer: raw.peer, epoch: raw.epoch };
  }
  return best;
}

/** Exactly the wire fields (core entries are frozen objects with no extras, but be explicit). */
function plainDigest(digest: GossipDigest): { from: string; members: MemberEntry[] } {
  return { from: digest.from, members: digest.members.slice() };
}
