// The side of a round that answers: its tree hashes for the initiator's descent, then, per step of
// the exchange, it stores the initiator's entries (LWW) and returns its own entries of the same
// buckets and key range that the initiator lacks or holds older. It keeps no state between
// requests, so a round that dies half way leaves nothing behind. It answers only a replica of the
// partition, and only about a partition it replicates itself.
import { MerkleShapeError, compareRecords, decodeRecord, type StoredRecord } from '@ringkv/core';
import { replicates } from '../membership/partition-access.js';
import { PeerForbiddenError } from '../peer/peer-errors.js';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { PeerIdentity } from '../peer/transport.js';
import {
  checkIndexes, entryBytes, packHashes, unpackBuckets,
  type BucketEntriesBody, type BucketEntriesReplyBody, type MerkleLevelBody, type MerkleLevelReplyBody,
} from './ae-wire.js';
import { applyEntries, purgeable, scanPacer, storedRecord, type RoundContext } from './round-context.js';
import { scanBuckets } from './partition-scan.js';

/** Both trees must have the same buckets and fanout, or their hashes cannot be compared. */
export function checkShape(ctx: RoundContext, body: { buckets: number; fanout?: number }): void {
  const { buckets, fanout } = ctx.trees.shape;
  if (body.buckets !== buckets || (body.fanout !== undefined && body.fanout !== fanout)) {
    throw new MerkleShapeError(`peer tree shape ${body.buckets}/${body.fanout ?? '?'} differs from ${buckets}/${fanout}`, {
      buckets: body.buckets, fanout: body.fanout,
    });
  }
}

/** Both sides must replicate the partition (now, soon, or at the epoch before). */
function checkReplicas(ctx: RoundContext, from: PeerIdentity, partition: number): void {
  const { cluster } = ctx;
  if (!cluster.ready) throw new PeerForbiddenError('the membership is not known yet');
  if (!replicates(cluster, from.id, partition)) throw new PeerForbiddenError(`${from.id} does not replicate partition ${partition}`);
  if (!replicates(cluster, cluster.selfId, partition)) throw new PeerForbiddenError(`${cluster.selfId} does not replicate partition ${partition}`);
}

export function answerMerkleLevel(ctx: RoundContext, from: PeerIdentity, body: MerkleLevelBody): MerkleLevelReplyBody {
  const { partition } = body;
  checkReplicas(ctx, from, partition);
  checkShape(ctx, body);
  const tree = ctx.trees.ready(partition);
  if (!tree) return { type: T.MerkleLevelReply, ready: false };
  const { depth } = body;
  if (depth > tree.leafDepth) throw new TypeError(`depth ${depth} outside 0..${tree.leafDepth}`);
  const indexes = checkIndexes(body.indexes, tree.levelSize(depth));
  const hashes = packHashes(tree.hashesAt(depth, indexes as number[]));
  ctx.metrics.received(4 * indexes.length);
  ctx.metrics.sent(hashes.length);
  return { type: T.MerkleLevelReply, ready: true, hashes };
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export async function answerBucketEntries(ctx: RoundContext, from: PeerIdentity, body: BucketEntriesBody): Promise<BucketEntriesReplyBody> {
  const { partition, keys, records, after, upTo } = body;
  checkReplicas(ctx, from, partition);
  checkShape(ctx, body);
  const table = unpackBuckets(body.bucketList, ctx.trees.shape.buckets);
  const empty: BucketEntriesReplyBody = { type: T.BucketEntriesReply, ready: false, keys: [], records: [], resumeAfter: null, applied: 0 };
  if (!ctx.trees.ready(partition)) return empty;
  const inBytes = entryBytes(keys, records);
  ctx.metrics.received(inBytes);
  ctx.wireBudget.charge(inBytes);
  const applied = await applyEntries(ctx, partition, keys, records, from.id);

  // What the initiator holds in this range, to send back only what it lacks or holds older. Its
  // records that fail to decode count as absent there (the winner goes back to it).
  const theirs = new Map<string, StoredRecord>();
  keys.forEach((k, i) => {
    try {
      theirs.set(keyId(k), decodeRecord(records[i]));
    } catch {
      // counted by applyEntries
    }
  });
  const { options } = ctx;
  const scan = await scanBuckets(ctx.reader, partition, table, after, upTo, {
    scanKeys: options.scanKeysPerStep, entries: options.pageEntries, bytes: options.pageBytes, pageEntries: options.pageEntries,
  }, scanPacer(ctx, false));
  const outKeys: Uint8Array[] = [];
  const outRecords: Uint8Array[] = [];
  for (const e of scan.entries) {
    const mine = storedRecord(e.value);
    if (!mine) continue; // corrupt here: absent, the initiator's copy (if any) wins above
    const known = theirs.get(keyId(e.key));
    if (known ? compareRecords(known, mine) >= 0 : purgeable(mine, ctx)) continue;
    outKeys.push(e.key);
    outRecords.push(e.value);
  }
  const outBytes = entryBytes(outKeys, outRecords);
  ctx.metrics.sent(outBytes);
  ctx.wireBudget.charge(outBytes);
  return {
    type: T.BucketEntriesReply, ready: true, keys: outKeys, records: outRecords,
    resumeAfter: scan.done ? null : scan.last, applied,
  };
}
