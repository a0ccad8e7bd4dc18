// The first step of many rounds with one peer at once: one request carries up to MERKLE_ROOTS_MAX
// partitions and the peer answers each tree's root hash. A partition whose roots agree has had its
// round (in sync) without a request of its own; only the others go on to a full round. At Q=65536
// an idle node held ~220 rounds a second with its peers, each a request of its own: 10-11% of a
// core per node of a 3-node cluster, against 2-3% with the roots checked in batches (a request or
// two a second).
import { MERKLE_ROOTS_MAX } from '../protocol/peer-messages.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import { PeerForbiddenError } from '../peer/peer-errors.js';
import type { PeerIdentity } from '../peer/transport.js';
import { replicates } from '../membership/partition-access.js';
import {
  RootState, packHashes, packPartitions, unpackHashes, unpackPartitions,
  type MerkleRootsBody, type MerkleRootsReplyBody,
} from './ae-wire.js';
import type { RoundContext } from './round-context.js';
import { checkShape } from './round-responder.js';

export { MERKLE_ROOTS_MAX };

/** What the check found for one partition: the outcome its round would have had at the root. */
export type RootVerdict = 'in-sync' | 'differs' | 'not-ready' | 'peer-not-ready' | 'not-replica';

/**
 * Asks peer for its roots of partitions (at most MERKLE_ROOTS_MAX) and compares them with this
 * node's trees. Throws what the request throws (the peer down, an older peer that does not know the
 * message, a reply that does not match the request).
 */
export async function checkRoots(ctx: RoundContext, peer: string, partitions: readonly number[]): Promise<Map<number, RootVerdict>> {
  if (partitions.length === 0 || partitions.length > MERKLE_ROOTS_MAX) throw new RangeError(`${partitions.length} partitions in one root check`);
  const { buckets, fanout } = ctx.trees.shape;
  const body: MerkleRootsBody = { type: T.MerkleRoots, buckets, fanout, partitions: packPartitions(partitions) };
  ctx.metrics.sent(body.partitions.length);
  const reply = await ctx.rpc.request(ctx.cluster.peerOf(peer), body, ctx.options.requestTimeoutMs);
  if (reply.states.length !== partitions.length) throw new TypeError(`${reply.states.length} root states for ${partitions.length} partitions`);
  const hashes = unpackHashes(reply.hashes, partitions.length);
  ctx.metrics.received(reply.states.length + reply.hashes.length);
  const out = new Map<number, RootVerdict>();
  partitions.forEach((p, i) => {
    const tree = ctx.trees.ready(p);
    const state = reply.states[i];
    if (!tree) out.set(p, 'not-ready');
    else if (state === RootState.Ready) out.set(p, tree.root() === hashes[i] ? 'in-sync' : 'differs');
    else if (state === RootState.NotReady) out.set(p, 'peer-not-ready');
    else out.set(p, 'not-replica');
  });
  return out;
}

/** The peer's side: each partition's state and root, where both are replicas of it. */
export function answerMerkleRoots(ctx: RoundContext, from: PeerIdentity, body: MerkleRootsBody): MerkleRootsReplyBody {
  const { cluster } = ctx;
  if (!cluster.ready) throw new PeerForbiddenError('the membership is not known yet');
  checkShape(ctx, body);
  const partitions = unpackPartitions(body.partitions, cluster.ring.partitions);
  const states = new Uint8Array(partitions.length);
  const roots: bigint[] = [];
  for (let i = 0; i < partitions.length; i++) {
    const p = partitions[i]!;
    const tree = ctx.trees.ready(p);
    if (!replicates(cluster, from.id, p) || !replicates(cluster, cluster.selfId, p)) states[i] = RootState.NotReplica;
    else states[i] = tree ? RootState.Ready : RootState.NotReady;
    roots.push(tree && states[i] === RootState.Ready ? tree.root() : 0n);
  }
  const hashes = packHashes(roots);
  ctx.metrics.received(body.partitions.length);
  ctx.metrics.sent(states.length + hashes.length);
  return { type: T.MerkleRootsReply, states, hashes };
}
