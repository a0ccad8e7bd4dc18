// Which replicas a read should write back to: every one that answered with something older than the
// newest version seen, or with nothing while a version exists. Last-write-wins (compareRecords)
// decides "newer", tombstones included, so a delete spreads like any write.
import { compareRecords, newerRecord, type StoredRecord } from '../record/record.js';

export interface RepairWrite {
  readonly node: string;
  /** The newest version seen, to write to `node`. */
  readonly record: StoredRecord;
}

/** The newest record among the replies, or undefined if none holds one. */
export function newestReply(replies: ReadonlyMap<string, StoredRecord | undefined>): StoredRecord | undefined {
  let newest: StoredRecord | undefined;
  for (const rec of replies.values()) newest = newerRecord(newest, rec);
  return newest;
}

/** Repairs for the repliers that are stale or missing the key, in the replies' order. */
export function planReadRepair(replies: ReadonlyMap<string, StoredRecord | undefined>): RepairWrite[] {
  const newest = newestReply(replies);
  if (!newest) return [];
  const repairs: RepairWrite[] = [];
  for (const [node, rec] of replies) {
    if (!rec || compareRecords(rec, newest) < 0) repairs.push({ node, record: newest });
  }
  return repairs;
}
