// The source side of a pull with a checksum manifest (docs/design.md "Streaming"): a manifest of
// the next chunks of a partition after a key (each chunk's last key and the SHA-256 of its
// packing, and the Merkle root over them), then each chunk by its range and leaf. The packings a
// manifest was built from are kept a moment (ListedChunks: bounded in bytes, a second at most) so
// each chunk is read from the engine once; past that, or when fetched again, the range is read
// again and served only if it still hashes to the leaf the receiver names; a range written since
// is answered `stale` and the receiver asks for a new manifest from there. Corruption between the
// read and the receiver's check is what the leaf catches.
import type { Clock } from '../clock.js';
import type { PartitionReader, ScannedPair } from '../replica/partition-reader.js';
import { chunkHash, packChunk, PACKED_ENTRY_OVERHEAD } from './chunk-codec.js';
import { manifestRoot } from './stream-manifest.js';

/**
 * Bytes read from the engine per call while a manifest or a chunk is read (the engine's batched
 * iteration): large enough that the per-call cost vanishes, small enough that a manifest reads
 * little past its last chunk.
 */
export const READ_BATCH_BYTES = 256 * 1024;

export interface ManifestChunk {
  last: Uint8Array;
  leaf: Uint8Array;
  packed: Uint8Array;
}

/**
 * Up to maxChunks chunks of the partition after `after` (absent: from the start), each at most
 * chunkBytes packed (one entry always goes); done when the partition holds nothing after them.
 */
export async function readManifestChunks(reader: PartitionReader, partition: number, after: Uint8Array | undefined, chunkBytes: number, maxChunks: number): Promise<{ chunks: ManifestChunk[]; done: boolean }> {
  const chunks: ManifestChunk[] = [];
  let entries: ScannedPair[] = [];
  let bytes = 0;
  const cut = () => {
    const packed = packChunk(entries);
    chunks.push({ last: entries[entries.length - 1]![0], leaf: chunkHash(packed), packed });
    entries = [];
    bytes = 0;
  };
  for await (const batch of reader.batches(partition, after ?? null, null, Math.min(chunkBytes, READ_BATCH_BYTES))) {
    for (const entry of batch) {
      const size = PACKED_ENTRY_OVERHEAD + entry[0].length + entry[1].length;
      if (entries.length > 0 && bytes + size > chunkBytes) {
        cut();
        // Returning ends the engine iteration (the rest of this batch was read for nothing).
        if (chunks.length === maxChunks) return { chunks, done: false };
      }
      entries.push(entry);
      bytes += size;
    }
  }
  if (entries.length > 0) cut();
  return { chunks, done: true };
}

/** The manifest reply's fields: root (when there are chunks), the chunks' last keys and leaves, done. */
export function manifestOf(chunks: readonly ManifestChunk[], done: boolean): { root?: Uint8Array; chunks: [Uint8Array, Uint8Array][]; done: boolean } {
  if (chunks.length === 0) return { chunks: [], done };
  return { root: manifestRoot(chunks.map((c) => c.leaf)), chunks: chunks.map((c) => [c.last, c.leaf]), done };
}

/**
 * The entries in (after, last] packed, if they still hash to `leaf`; undefined when the range
 * changed since the manifest (it is read no further than a chunk can be).
 */
export async function readListedChunk(reader: PartitionReader, partition: number, after: Uint8Array | undefined, last: Uint8Array, leaf: Uint8Array, maxBytes: number): Promise<Uint8Array | undefined> {
  const entries: ScannedPair[] = [];
  let bytes = 0;
  for await (const batch of reader.batches(partition, after ?? null, last, Math.min(maxBytes, READ_BATCH_BYTES))) {
    for (const entry of batch) {
      bytes += PACKED_ENTRY_OVERHEAD + entry[0].length + entry[1].length;
      if (entries.length > 0 && bytes > maxBytes) return undefined;
      entries.push(entry);
    }
  }
  if (entries.length === 0) return undefined;
  const packed = packChunk(entries);
  return chunkHash(packed).equals(leaf) ? packed : undefined;
}

/** How long a manifest's packings are kept for the fetches that follow it. */
const LISTED_TTL_MS = 1000;

/**
 * The packings of manifests served lately, by partition and leaf, until fetched (once), a second
 * old, or pushed out by newer ones past maxBytes. Their content is the partition as the manifest
 * read it; a fetch after that reads the range again.
 */
export class ListedChunks {
  private readonly entries = new Map<string, { packed: Uint8Array; atMs: number }>();
  private bytes = 0;

  constructor(private readonly clock: Clock, private readonly maxBytes: number) {}

  keep(partition: number, chunks: readonly ManifestChunk[]): void {
    const now = this.clock.nowMs();
    for (const c of chunks) {
      if (c.packed.length > this.maxBytes) continue;
      const id = `${partition}:${Buffer.from(c.leaf).toString('hex')}`;
      this.drop(id);
      this.entries.set(id, { packed: c.packed, atMs: now });
      this.bytes += c.packed.length;
    }
    // Oldest first (insertion order), and whatever has aged.
    for (const [id, e] of this.entries) {
      if (this.bytes <= this.maxBytes && now - e.atMs <= LISTED_TTL_MS) break;
      this.drop(id);
    }
  }

  /** The packing listed for (partition, leaf), taken out; undefined if not kept or too old. */
  take(partition: number, leaf: Uint8Array): Uint8Array | undefined {
    const id = `${partition}:${Buffer.from(leaf).toString('hex')}`;
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    this.drop(id);
    return this.clock.nowMs() - e.atMs <= LISTED_TTL_MS ? e.packed : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    this.entries.delete(id);
    this.bytes -= e.packed.length;
  }
}
