// The receiving side of a pull with a checksum manifest: one partition from one source. The
// manifest of the next chunks comes first (its leaves must make its root, else it is fetched
// again); the chunks it lists are fetched `window` at a time ahead of the one being applied, and
// the next manifest while they are; each chunk is checked against the manifest (its SHA-256 is its
// leaf, the leaf's proof leads to the root) before anything of it is applied, and fetched again
// when it does not match (bounded; then STREAM_CHECKSUM_MISMATCH and the pull resumes later from
// the last chunk that passed). A chunk whose range changed at the source since the manifest comes
// back `stale`: a new manifest is asked for from there. Chunks apply in order, through the replica
// store's bulk path (replica/bulk-guard.ts decides bulk or last-write-wins), and the last key of
// each is recorded before the next applies, so a crash of either side resumes after it. A chunk
// whose leaf and last key are those of one this node applied from another source of the same
// partition (AppliedChunks: replicas in agreement cut and pack alike) is the same bytes: it is
// not fetched at all, and the pull moves past it.
import { decodeRecord, partitionOf, type StoredRecord } from '@ringkv/core';
import { PeerMessageType as T } from '../peer/message-types.js';
import type { ReplyOf } from '../protocol/peer-messages.js';
import type { PeerRpc } from '../protocol/peer-rpc.js';
import type { RecordAdmission } from '../replica/record-admission.js';
import type { BulkEntry, ReplicaStore } from '../replica/replica-store.js';
import { PackedChunkError, unpackChunk, type PackedEntryLimits } from './chunk-codec.js';
import { StreamChecksumMismatchError } from './handoff-errors.js';
import { VerifiedManifest } from './stream-manifest.js';

/** Copies of one chunk or manifest fetched before the pull gives up on the source for now. */
export const CHECKSUM_ATTEMPTS = 3;
/** New manifests asked for in one pull because the source's ranges kept changing. */
const REPLANS_MAX = 64;

export interface PullDeps {
  rpc: PeerRpc;
  store: ReplicaStore;
  admission: RecordAdmission;
  /** Q: a key must hash to the partition it came with. */
  partitions: number;
  limits: PackedEntryLimits;
  chunkBytes: number;
  maxChunks: number;
  /** Chunks requested ahead of the one being applied. */
  window: number;
  timeoutMs: number;
  /** Waits until this many bytes may be taken in (the stream throttle). */
  take: (bytes: number) => Promise<void>;
  /** A chunk applied: its entries, payload bytes and last key (record it before the next applies). */
  applied: (entries: number, bytes: number, last: Uint8Array) => Promise<void>;
  onBadEntry: (from: string, why: string) => void;
  /** A chunk or manifest failed its checksum (it is fetched again). */
  onMismatch: (what: string) => void;
  stopped: () => boolean;
  /** Chunks of this partition applied from another source in this pass (skipped when seen again). */
  appliedChunks?: AppliedChunks;
}

/** Chunks remembered per partition pull, at most (a partition of this many chunkBytes). */
export const APPLIED_CHUNKS_MAX = 16_384;

/**
 * The chunks of one partition applied from its sources so far (this pass over them), by leaf:
 * another source's chunk with the same leaf and last key holds the very same entries (their
 * packing hashes alike), so it is already here. Bounded: past APPLIED_CHUNKS_MAX it stops
 * remembering (later chunks are fetched as usual).
 */
export class AppliedChunks {
  private readonly lasts = new Map<string, Uint8Array>();
  skipped = 0;

  add(leaf: Uint8Array, last: Uint8Array): void {
    if (this.lasts.size < APPLIED_CHUNKS_MAX) this.lasts.set(Buffer.from(leaf).toString('hex'), last);
  }

  has(leaf: Uint8Array, last: Uint8Array): boolean {
    const known = this.lasts.get(Buffer.from(leaf).toString('hex'));
    return known !== undefined && Buffer.compare(known, last) === 0;
  }
}

type Manifest = { verified: VerifiedManifest; lasts: Uint8Array[]; done: boolean } | { empty: true; done: boolean };
type Fetched = { packed: Uint8Array } | { stale: true };

let streamSeq = 0;

/** Pulls the partition from `source` after `after`; resolves once every chunk to its end applied, false if stopped. */
export async function pullPartition(deps: PullDeps, address: string, source: string, partition: number, after: Uint8Array | undefined): Promise<boolean> {
  // Names this attempt: a bulk continues only within one stream (see bulk-guard.ts).
  const stream = `${source}#${++streamSeq}`;
  try {
    return await pullLoop(deps, address, source, partition, after, stream);
  } finally {
    deps.store.endBulk(partition, stream);
  }
}

async function pullLoop(deps: PullDeps, address: string, source: string, partition: number, start: Uint8Array | undefined, stream: string): Promise<boolean> {
  let after = start;
  let next = quiet(fetchManifest(deps, address, source, partition, after));
  for (let replans = 0; ;) {
    const manifest = await next;
    if ('empty' in manifest) return true;
    const { verified, lasts } = manifest;
    const segmentEnd = lasts[lasts.length - 1]!;
    if (!manifest.done) next = quiet(fetchManifest(deps, address, source, partition, segmentEnd));
    const fetches: Promise<Fetched>[] = [];
    const known = (i: number) => deps.appliedChunks?.has(verified.leaves[i]!, lasts[i]!) === true;
    const fetch = (i: number) => {
      if (i < lasts.length && fetches[i] === undefined && !known(i)) fetches[i] = quiet(fetchChunk(deps, address, source, partition, i === 0 ? after : lasts[i - 1], lasts[i]!, verified, i));
    };
    let replanned = false;
    for (let i = 0; i < lasts.length; i++) {
      for (let j = i; j < i + deps.window; j++) fetch(j);
      if (fetches[i] === undefined) {
        // Applied from another source already (see AppliedChunks): only the position moves.
        deps.appliedChunks!.skipped++;
        await deps.applied(0, 0, lasts[i]!);
        after = lasts[i]!;
        continue;
      }
      const got = await fetches[i]!;
      if (deps.stopped()) return false;
      if ('stale' in got) {
        // Written at the source since its manifest: a new one from here (the rest of this one is dropped).
        if (++replans > REPLANS_MAX) throw new StreamChecksumMismatchError(partition, source, 'a manifest whose ranges keep changing', replans);
        next = quiet(fetchManifest(deps, address, source, partition, after));
        replanned = true;
        break;
      }
      await applyPacked(deps, source, partition, stream, got.packed, after, lasts[i]!);
      deps.appliedChunks?.add(verified.leaves[i]!, lasts[i]!);
      after = lasts[i]!;
    }
    if (!replanned && manifest.done) return true;
  }
}

/** A promise whose rejection is handled even if nobody awaits it (a dropped prefetch). */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

async function fetchManifest(deps: PullDeps, address: string, source: string, partition: number, after: Uint8Array | undefined): Promise<Manifest> {
  for (let attempt = 1; ; attempt++) {
    const reply = await deps.rpc.request(address, {
      type: T.StreamManifest, partition, chunkBytes: deps.chunkBytes, maxChunks: deps.maxChunks, ...(after ? { after } : {}),
    }, deps.timeoutMs);
    if (reply.chunks.length === 0) return { empty: true, done: reply.done };
    const verified = reply.root ? VerifiedManifest.of(reply.root, reply.chunks.map(([, leaf]) => leaf)) : undefined;
    if (verified) return { verified, lasts: reply.chunks.map(([last]) => new Uint8Array(last)), done: reply.done };
    deps.onMismatch('manifest');
    if (attempt >= CHECKSUM_ATTEMPTS) throw new StreamChecksumMismatchError(partition, source, 'a manifest', attempt);
  }
}

async function fetchChunk(deps: PullDeps, address: string, source: string, partition: number, after: Uint8Array | undefined, last: Uint8Array, manifest: VerifiedManifest, index: number): Promise<Fetched> {
  for (let attempt = 1; ; attempt++) {
    const reply: ReplyOf<typeof T.StreamChunk> = await deps.rpc.request(address, {
      type: T.StreamChunk, partition, last, leaf: manifest.leaves[index]!, chunkBytes: deps.chunkBytes, ...(after ? { after } : {}),
    }, deps.timeoutMs);
    if (reply.stale || reply.packed === undefined) return { stale: true };
    if (manifest.holds(index, reply.packed)) return { packed: reply.packed };
    deps.onMismatch(`chunk ${index}`);
    if (attempt >= CHECKSUM_ATTEMPTS) throw new StreamChecksumMismatchError(partition, source, `chunk ${index}`, attempt);
  }
}

/** Applies a verified chunk: each entry checked on its own (a bad one is skipped and counted). */
async function applyPacked(deps: PullDeps, source: string, partition: number, stream: string, packed: Uint8Array, after: Uint8Array | undefined, last: Uint8Array): Promise<void> {
  let raw: [Uint8Array, Uint8Array][];
  try {
    raw = unpackChunk(packed, deps.limits, after, last);
  } catch (err) {
    // It hashed to the manifest's leaf: the source built it wrong. Nothing of it applies.
    if (!(err instanceof PackedChunkError)) throw err;
    throw new StreamChecksumMismatchError(partition, source, `a chunk that does not unpack (${err.message})`, 1);
  }
  const decoded: BulkEntry[] = [];
  let bytes = 0;
  let newest: StoredRecord | undefined;
  for (const [key, encoded] of raw) {
    bytes += key.length + encoded.length;
    let record: StoredRecord;
    try {
      record = decodeRecord(encoded);
    } catch (err) {
      deps.onBadEntry(source, `undecodable record: ${(err as Error).message}`);
      continue;
    }
    if (partitionOf(key, deps.partitions) !== partition) {
      deps.onBadEntry(source, `a key of partition ${partitionOf(key, deps.partitions)} in a chunk of ${partition}`);
      continue;
    }
    if (newest === undefined || record.ts.wallMs > newest.ts.wallMs) newest = record;
    decoded.push({ key, record, encoded });
  }
  // The clock rule refuses by how far a stamp is ahead: when the newest record passes, all do
  // (one clock reading per chunk); otherwise each is asked, so the refused are counted and logged.
  const { admission } = deps;
  const entries = newest === undefined || admission.aheadMs(newest) <= admission.maxSkewMs
    ? decoded
    : decoded.filter((e) => admission.admits(e.record, 'stream', source));
  await deps.take(bytes);
  await deps.store.applyBulk({ partition, stream, entries });
  await deps.applied(raw.length, bytes, last);
}
