// The side of a round that answers: its tree hashes for the initiator's descent, then, per step of
// the exchange, it stores the initiator's entries (LWW) and returns its own entries of the same
// buckets and key range that the initiator lacks or holds older. It keeps no state between
// requests, so a round that dies half way leaves nothing behind.
import { MerkleShapeError, compareRecords, decodeRecord, type StoredRecord } from '@ringkv/core';
import { PeerMessageType } from '../peer/message-types.js';
import type { PeerBody } from '../peer/transport.js';
import { checkPartition } from '../replication/wire.js';
import {
  checkIndexes, entryBytes, entryLists, optionalBytes, packHashes, unpackBuckets,
  type BucketEntriesReplyBody, type MerkleLevelReplyBody,
} from './ae-wire.js';
import { applyEntries, purgeable, scanPacer, type RoundContext } from './round-context.js';
import { scanBuckets } from './partition-scan.js';

function checkShape(ctx: RoundContext, body: PeerBody): void {
  const { buckets, fanout } = ctx.trees.shape;
  if (body.buckets !== buckets || (body.fanout !== undefined && body.fanout !== fanout)) {
    throw new MerkleShapeError(`peer tree shape ${String(body.buckets)}/${String(body.fanout)} differs from ${buckets}/${fanout}`, {
      buckets: body.buckets, fanout: body.fanout,
    });
  }
}

export function answerMerkleLevel(ctx: RoundContext, body: PeerBody): MerkleLevelReplyBody {
  const partition = checkPartition(body.partition, ctx.cluster.membership.partitions);
  checkShape(ctx, body);
  const tree = ctx.trees.ready(partition);
  if (!tree) return { type: PeerMessageType.MerkleLevelReply, ready: false };
  const depth = body.depth;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 0 || depth > tree.leafDepth) {
    throw new TypeError(`depth ${String(depth)} outside 0..${tree.leafDepth}`);
  }
  const indexes = checkIndexes(body.indexes, tree.levelSize(depth));
  const hashes = packHashes(tree.hashesAt(depth, indexes));
  ctx.metrics.received(4 * indexes.length);
  ctx.metrics.sent(hashes.length);
  return { type: PeerMessageType.MerkleLevelReply, ready: true, hashes };
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export async function answerBucketEntries(ctx: RoundContext, body: PeerBody): Promise<BucketEntriesReplyBody> {
  const partition = checkPartition(body.partition, ctx.cluster.membership.partitions);
  checkShape(ctx, body);
  const table = unpackBuckets(body.bucketList, ctx.trees.shape.buckets);
  const after = optionalBytes(body.after, 'after');
  const upTo = optionalBytes(body.upTo, 'upTo');
  const { keys, records } = entryLists(body);
  const empty: BucketEntriesReplyBody = { type: PeerMessageType.BucketEntriesReply, ready: false, keys: [], records: [], resumeAfter: null, applied: 0 };
  if (!ctx.trees.ready(partition)) return empty;
  const inBytes = entryBytes(keys, records);
  ctx.metrics.received(inBytes);
  ctx.wireBudget.charge(inBytes);
  const applied = await applyEntries(ctx, partition, keys, records);

  // What the initiator holds in this range, to send back only what it lacks or holds older.
  const theirs = new Map<string, StoredRecord>();
  keys.forEach((k, i) => theirs.set(keyId(k), decodeRecord(records[i])));
  const { options } = ctx;
  const scan = await scanBuckets(ctx.engine, partition, table, after, upTo, {
    scanKeys: options.scanKeysPerStep, entries: options.pageEntries, bytes: options.pageBytes, pageEntries: options.pageEntries,
  }, scanPacer(ctx, false));
  const outKeys: Uint8Array[] = [];
  const outRecords: Uint8Array[] = [];
  for (const e of scan.entries) {
    const known = theirs.get(keyId(e.key));
    const mine = decodeRecord(e.value);
    if (known ? compareRecords(known, mine) >= 0 : purgeable(mine, ctx)) continue;
    outKeys.push(e.key);
    outRecords.push(e.value);
  }
  const outBytes = entryBytes(outKeys, outRecords);
  ctx.metrics.sent(outBytes);
  ctx.wireBudget.charge(outBytes);
  return {
    type: PeerMessageType.BucketEntriesReply, ready: true, keys: outKeys, records: outRecords,
    resumeAfter: scan.done ? null : scan.last, applied,
  };
}
