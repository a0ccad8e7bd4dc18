// When a streamed chunk may be written in bulk (no read before write, each record as it came):
// only while its partition holds nothing but what this same stream wrote. The apply pipeline
// asks the guard as it prepares a chunk, in queue order:
// - the first chunk of a stream claims the partition; the pipeline then proves it empty (no
//   unwritten batch holds a key of it and the engine has none) and settles the claim, which it
//   drops at once if a write of the partition was queued behind that chunk already;
// - any other write of the partition queued since (a foreground write to a pending owner, a
//   hint, a read repair, anti-entropy, a purge, another stream) ends the claim, so every later
//   chunk of the stream is applied last-write-wins;
// - what is queued after a bulk chunk is prepared against its winners, as after any batch.
// So a bulk write never replaces a record it did not write itself, and a stream's chunks never
// repeat a key (each starts after the last key of the one before).
import type { StoredRecord } from '@ringkv/core';

export interface BulkEntry {
  key: Uint8Array;
  record: StoredRecord;
  /** The record's encoding as received (checked when it was decoded): what the engine stores. */
  encoded: Uint8Array;
}

export interface BulkChunk {
  partition: number;
  /** Names one stream (source and attempt): only its own chunks continue a bulk. */
  stream: string;
  /** Keys strictly ascending. */
  entries: readonly BulkEntry[];
}

/** How a chunk went: in bulk or last-write-wins, and how many records it stored. */
export interface BulkResult {
  bulk: boolean;
  applied: number;
}

export type BulkCallback = (err: unknown, result?: BulkResult) => void;

interface Claim {
  stream: string;
  /** Proven empty apart from this stream's writes. */
  proven: boolean;
}

export class BulkGuard {
  private readonly claims = new Map<number, Claim>();

  /** A write of the partition other than a bulk chunk was queued: no more bulk writes there. */
  touched(partition: number): void {
    if (this.claims.size > 0) this.claims.delete(partition);
  }

  /**
   * As a chunk is prepared: 'owned' (its stream holds the partition: bulk), 'other' (someone else
   * wrote it, or another stream holds it: last-write-wins), or 'unknown' (claimed now; prove the
   * partition empty and call settle()).
   */
  claim(partition: number, stream: string): 'owned' | 'other' | 'unknown' {
    const c = this.claims.get(partition);
    if (c === undefined) {
      this.claims.set(partition, { stream, proven: false });
      return 'unknown';
    }
    return c.proven && c.stream === stream ? 'owned' : 'other';
  }

  /**
   * The outcome of the emptiness check of a claimed partition: whether this chunk goes in bulk.
   * A write queued during the check (after the chunk) ended the claim: this chunk still may, the
   * next ones may not.
   */
  settle(partition: number, stream: string, empty: boolean): boolean {
    const c = this.claims.get(partition);
    const ours = c !== undefined && c.stream === stream && !c.proven;
    if (!empty) {
      if (ours) this.claims.delete(partition);
      return false;
    }
    if (ours) c.proven = true;
    return true;
  }

  /** The stream ended: forget its claim (a later stream proves emptiness again, and fails). */
  release(partition: number, stream: string): void {
    if (this.claims.get(partition)?.stream === stream) this.claims.delete(partition);
  }
}
