// One anti-entropy round of one partition with one peer, run by the initiator: descend both trees
// top-down to the differing buckets (one request per level, only differing subtrees asked for),
// then walk the partition's key range in steps, each sending this node's entries of those buckets
// in a range and getting back the peer's entries of the same range that are missing or older here.
// Each side stores the other's entries with last-write-wins, so both end with the winner.
import { ROOT_REQUEST, compareLevel } from '@ringkv/core';
import { PeerMessageType } from '../peer/message-types.js';
import type { AnyRequest, ReplyOf } from '../protocol/peer-messages.js';
import {
  entryBytes, packBuckets, unpackHashes,
  type BucketEntriesBody, type MerkleLevelBody,
} from './ae-wire.js';
import { applyEntries, scanPacer, type RoundContext } from './round-context.js';
import { scanBuckets } from './partition-scan.js';

/** in-sync: trees equal; exchanged: the differing buckets were exchanged; peer-down: not tried. */
export type RoundOutcome = 'in-sync' | 'exchanged' | 'not-ready' | 'peer-not-ready' | 'peer-down' | 'failed';

export interface RoundResult {
  partition: number;
  peer: string;
  outcome: RoundOutcome;
  startedAtMs: number;
  finishedAtMs: number;
  differingBuckets: number;
  /** Records that changed on either side. */
  keysRepaired: number;
  bytesSent: number;
  bytesReceived: number;
  error?: string;
}

/** An upper bound on exchange steps (each moves the key cursor forward; far above any real partition). */
const STEPS_MAX = 10_000_000;

export async function runRound(ctx: RoundContext, partition: number, peer: string): Promise<RoundResult> {
  const result: RoundResult = {
    partition, peer, outcome: 'failed', startedAtMs: ctx.clock.nowMs(), finishedAtMs: 0,
    differingBuckets: 0, keysRepaired: 0, bytesSent: 0, bytesReceived: 0,
  };
  try {
    result.outcome = await exchange(ctx, result);
  } catch (err) {
    result.outcome = 'failed';
    result.error = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
  }
  result.finishedAtMs = ctx.clock.nowMs();
  ctx.metrics.rounds.inc({ outcome: result.outcome });
  return result;
}

async function exchange(ctx: RoundContext, r: RoundResult): Promise<RoundOutcome> {
  const { partition } = r;
  const { buckets, fanout } = ctx.trees.shape;
  const address = ctx.cluster.peerOf(r.peer);
  const request = async <B extends AnyRequest>(body: B, sentBytes: number): Promise<ReplyOf<B['type']>> => {
    r.bytesSent += sentBytes;
    ctx.metrics.sent(sentBytes);
    return ctx.rpc.request(address, body, ctx.options.requestTimeoutMs);
  };

  // Top-down descent to the differing buckets.
  let depth = ROOT_REQUEST.depth;
  let indexes: number[] = [...ROOT_REQUEST.indexes];
  let differing: number[];
  for (;;) {
    if (!ctx.trees.ready(partition)) return 'not-ready';
    const body: MerkleLevelBody = { type: PeerMessageType.MerkleLevel, partition, buckets, fanout, depth, indexes };
    const reply = await request(body, 4 * indexes.length);
    if (reply.ready !== true || reply.hashes === undefined) return 'peer-not-ready';
    const hashes = unpackHashes(reply.hashes, indexes.length);
    r.bytesReceived += 8 * indexes.length;
    ctx.metrics.received(8 * indexes.length);
    const tree = ctx.trees.ready(partition);
    if (!tree) return 'not-ready';
    const next = compareLevel(tree, depth, indexes, hashes);
    if (next.length === 0) return 'in-sync';
    if (depth === tree.leafDepth) {
      differing = next;
      break;
    }
    depth++;
    indexes = next;
  }
  r.differingBuckets = differing.length;
  ctx.metrics.bucketsDiffering.inc(differing.length);

  // The exchange, in key-range steps.
  const table = new Uint8Array(buckets);
  for (const b of differing) table[b] = 1;
  const bucketList = packBuckets(differing);
  const { options } = ctx;
  const limits = { scanKeys: options.scanKeysPerStep, entries: options.pageEntries, bytes: options.pageBytes, pageEntries: options.pageEntries };
  let after: Uint8Array | null = null;
  for (let step = 0; step < STEPS_MAX; step++) {
    const own = await scanBuckets(ctx.reader, partition, table, after, null, limits, scanPacer(ctx, true));
    const keys = own.entries.map((e) => e.key);
    const records = own.entries.map((e) => e.value);
    const upTo = own.done ? null : own.last;
    const outBytes = entryBytes(keys, records);
    await ctx.wireBudget.take(outBytes);
    const body: BucketEntriesBody = {
      type: PeerMessageType.BucketEntries, partition, buckets, bucketList, after, upTo, keys, records,
    };
    const reply = await request(body, outBytes + bucketList.length);
    if (reply.ready !== true) return 'peer-not-ready';
    const inBytes = entryBytes(reply.keys, reply.records);
    r.bytesReceived += inBytes;
    ctx.metrics.received(inBytes);
    r.keysRepaired += reply.applied;
    r.keysRepaired += await applyEntries(ctx, partition, reply.keys, reply.records, r.peer);
    await ctx.wireBudget.take(inBytes);
    const resumeAfter = reply.resumeAfter;
    if (resumeAfter) after = resumeAfter;
    else if (own.done) return 'exchanged';
    else after = own.last;
  }
  throw new Error(`exchange of partition ${partition} did not finish in ${STEPS_MAX} steps`);
}
