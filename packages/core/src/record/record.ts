// A versioned value as replicas store and exchange it: a value or a tombstone, the HLC timestamp of
// the write, and an optional expiry. Last-write-wins picks between two records of one key.
import { compareTimestamps, type Timestamp } from '../clock/timestamp.js';

export interface StoredRecord {
  readonly ts: Timestamp;
  /** True for a delete. A tombstone's value is empty. */
  readonly tombstone: boolean;
  /** Unix ms after which the value reads as absent; 0 for never. */
  readonly expiresAtMs: number;
  readonly value: Uint8Array;
}

/**
 * Last-write-wins order. Timestamps decide; for the (impossible in practice) equal timestamp a
 * tombstone wins, then the larger value bytes, so every replica picks the same winner.
 */
export function compareRecords(a: StoredRecord, b: StoredRecord): number {
  const c = compareTimestamps(a.ts, b.ts);
  if (c !== 0) return c;
  if (a.tombstone !== b.tombstone) return a.tombstone ? 1 : -1;
  return compareBytes(a.value, b.value);
}

/** The winner of two versions of the same key (either may be absent). */
export function newerRecord(a: StoredRecord | undefined, b: StoredRecord | undefined): StoredRecord | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareRecords(a, b) >= 0 ? a : b;
}

/** Whether a record reads as absent at nowMs: deleted or expired. */
export function isLive(rec: StoredRecord, nowMs: number): boolean {
  return !rec.tombstone && (rec.expiresAtMs === 0 || rec.expiresAtMs > nowMs);
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
