// Last-write-wins over a batch of applies: which record each key ends with, and what each apply
// did. Pure; the replica store runs it on every batch it writes, with each key's record before
// the batch. An apply stores its record if it is newer than the key's current one; a purge
// removes the key only if its current record is exactly the one the purge names (a tombstone past
// its grace, unchanged since the purger read it).
import { compareRecords, newerRecord, type StoredRecord } from './record.js';

export interface BatchApply {
  /** The key, as any string naming it (the store uses the storage key's bytes). */
  readonly id: string;
  readonly record: StoredRecord;
  /** Delete the key if its current record is exactly `record`. */
  readonly purge?: boolean;
}

export interface BatchApplyOutcome {
  /** The apply changed the key: its record was newer (or the purge removed the key). */
  readonly applied: boolean;
  /** The key's record after this apply (for a purge: the record it named). */
  readonly current: StoredRecord;
}

export interface BatchWinners {
  /** One per apply, in order. */
  readonly outcomes: BatchApplyOutcome[];
  /** Each key the batch names, with its record after the whole batch (undefined: absent). */
  readonly winners: Map<string, StoredRecord | undefined>;
}

/**
 * `before` answers each key's record before the batch (undefined: absent); it is asked once per
 * key the batch names, so the caller need not build a map of them.
 */
export function chooseBatchWinners(batch: readonly BatchApply[], before: (id: string) => StoredRecord | undefined): BatchWinners {
  const winners = new Map<string, StoredRecord | undefined>();
  const outcomes: BatchApplyOutcome[] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const op = batch[i]!;
    const current = winners.has(op.id) ? winners.get(op.id) : before(op.id);
    if (op.purge) {
      const purged = current !== undefined && compareRecords(current, op.record) === 0;
      winners.set(op.id, purged ? undefined : current);
      outcomes[i] = { applied: purged, current: op.record };
      continue;
    }
    const winner = newerRecord(current, op.record)!;
    outcomes[i] = { applied: winner === op.record && (current === undefined || compareRecords(op.record, current) > 0), current: winner };
    winners.set(op.id, winner);
  }
  return { outcomes, winners };
}
