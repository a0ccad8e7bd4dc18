// Gossip digests on the peer transport. A request carries the sender's digest; the reply carries
// the receiver's (push-pull: one exchange updates both sides, so news needs about half the rounds).
// Digests are plain arrays of plain entries (strings and safe integers): msgpackr round-trips every
// field as is (integers above 2^32, such as a start-time incarnation, travel as float64, exactly).
// Received digests are decoded by PeerProtocol.decodeDigest (each entry against its schema).
import { isMemberEntry, type GossipDigest, type MemberEntry } from '@ringkv/core';

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
export function plainDigest(digest: GossipDigest): { from: string; members: MemberEntry[] } {
  return { from: digest.from, members: digest.members.slice() };
}
