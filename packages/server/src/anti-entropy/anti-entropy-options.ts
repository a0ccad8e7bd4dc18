// Tuning of anti-entropy. The interval, the tombstone grace and the request timeout come from the
// node configuration (config/schema.ts); the rest are internal knobs with a reason each, which
// tests and the benchmark override.
import { DEFAULT_TREE_BUCKETS, DEFAULT_TREE_FANOUT } from '@ringkv/core';
import type { NodeConfig } from '../config/config.js';

export interface AntiEntropyOptions {
  /** Round per partition and peer, jittered over [0.75, 1.25) of it. */
  intervalMs: number;
  /** A tombstone this much older than now may be purged (and only once every replica has it). */
  tombstoneGraceMs: number;
  /** Timeout of each request of a round. */
  requestTimeoutMs: number;
  /** Leaf buckets per partition tree (a power of two). */
  buckets: number;
  /** Children per inner tree node (a power of two). */
  fanout: number;
  /** Rounds running at once on this node. */
  maxConcurrentRounds: number;
  /** Budget of entry bytes sent and received per second by rounds (and answered for peers). */
  bytesPerSecond: number;
  /** Budget of entries read from storage per second (tree rebuilds, bucket and tombstone scans). */
  scanEntriesPerSecond: number;
  /** Entries per storage read page, and at most this many entries in one message. */
  pageEntries: number;
  /** At most this many entry bytes in one message (at least one entry always goes). */
  pageBytes: number;
  /** Keys either side scans for one exchange step before it answers (bounds one request's work). */
  scanKeysPerStep: number;
  /** Delay before retrying a round that met a tree still being rebuilt. */
  retryMs: number;
  /** Tombstones remembered per partition between two purges. */
  maxPurgeCandidates: number;
  /** No round starts by itself (no timers, no triggers): `antiEntropy: passive`, or tools drive rounds. */
  manual?: boolean;
}

const MiB = 1024 * 1024;

export const ANTI_ENTROPY_DEFAULTS: Omit<AntiEntropyOptions, 'intervalMs' | 'tombstoneGraceMs' | 'requestTimeoutMs'> = Object.freeze({
  // 1024 buckets, fanout 16: ~9 KiB per partition; a differing bucket of a 1M-key partition is ~1000
  // keys. Fewer above Q=256 (treeBucketsFor).
  buckets: DEFAULT_TREE_BUCKETS,
  fanout: DEFAULT_TREE_FANOUT,
  // One round at a time: repair is background work and must not compete with clients for the disk.
  maxConcurrentRounds: 1,
  // 8 MiB/s: a fully divergent 1 GiB replica converges in ~2 minutes without saturating a link.
  bytesPerSecond: 8 * MiB,
  // 200k entries/s: a 1M-key partition scans in 5 s, a small share of one core.
  scanEntriesPerSecond: 200_000,
  // Pages of 512 entries keep each storage read and each message short (well under a millisecond of CPU).
  pageEntries: 512,
  pageBytes: MiB,
  scanKeysPerStep: 4096,
  retryMs: 5000,
  maxPurgeCandidates: 10_000,
});

/** Leaf buckets of all of a node's partition trees, at most: 1024 a partition at Q=256 (the default). */
const TREE_BUCKETS_PER_NODE = 256 * DEFAULT_TREE_BUCKETS;

/**
 * Leaf buckets per partition tree at Q partitions: 1024 up to Q=256, then fewer, down to one level
 * of fanout, so that a node's trees stay bounded whatever Q: at Q=65536, 1024 buckets made 65536
 * trees of ~11 KiB, ~720 MiB on a node holding every partition. A bucket still holds about as many
 * keys as at Q=256. Every node computes the same from the cluster's Q (the tree shape is checked
 * at each round).
 */
export function treeBucketsFor(partitions: number): number {
  return Math.max(DEFAULT_TREE_FANOUT, Math.min(DEFAULT_TREE_BUCKETS, TREE_BUCKETS_PER_NODE / partitions));
}

export function antiEntropyOptions(config: NodeConfig, over: Partial<AntiEntropyOptions> = {}): AntiEntropyOptions {
  const o: AntiEntropyOptions = {
    intervalMs: config.antiEntropyIntervalMs,
    tombstoneGraceMs: config.tombstoneGraceMs,
    requestTimeoutMs: config.requestTimeoutMs,
    ...ANTI_ENTROPY_DEFAULTS,
    buckets: treeBucketsFor(config.partitions),
    retryMs: Math.min(ANTI_ENTROPY_DEFAULTS.retryMs, config.antiEntropyIntervalMs),
    manual: config.antiEntropy === 'passive',
    ...over,
  };
  for (const k of ['intervalMs', 'requestTimeoutMs', 'maxConcurrentRounds', 'pageEntries', 'pageBytes', 'scanKeysPerStep', 'retryMs', 'maxPurgeCandidates'] as const) {
    if (!(o[k] >= 1)) throw new RangeError(`anti-entropy option ${k} must be >= 1, got ${o[k]}`);
  }
  if (!(o.bytesPerSecond > 0) || !(o.scanEntriesPerSecond > 0)) throw new RangeError('anti-entropy budgets must be > 0 (Infinity for none)');
  return Object.freeze(o);
}
