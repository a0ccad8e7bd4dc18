// Group commit: synced writes that arrive while a synced write is in flight wait together and go
// to the engine as ONE synced batch, so N concurrent durable writers pay for one fsync instead of
// N. The first synced write of a quiet period goes out at once (no added latency). Writes without
// sync skip the queue entirely (the fast path).
//
// Each engine keeps one GroupCommitter in front of its native batch write. Callers keep their own
// promise: it resolves when the group holding its ops is synced, or rejects with that group's
// error. Ops are validated before they queue (checkOps), so one caller's bad op cannot fail the
// others' group. Ops of a group are applied in arrival order, so a later write to a key wins.
//
// Order: like classic-level itself, writes issued concurrently (without awaiting each other) have
// no defined order between a synced and an unsynced one; a caller that awaits each write gets
// its writes applied in order.
import type { BatchOp } from './engine.js';

export type BatchWriter = (ops: readonly BatchOp[], sync: boolean) => Promise<void>;

export interface GroupCommitStats {
  /** Synced batches written to the engine. */
  groups: number;
  /** Synced write calls (put, del, batch) acknowledged through those groups. */
  writes: number;
}

interface Waiter {
  ops: readonly BatchOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Bounds one group so a flood of writers cannot build an unbounded native batch. */
export const GROUP_COMMIT_MAX_OPS = 4096;

export class GroupCommitter {
  private readonly queue: Waiter[] = [];
  private flushing = false;
  private readonly statsNow: GroupCommitStats = { groups: 0, writes: 0 };

  constructor(
    private readonly writeBatch: BatchWriter,
    private readonly maxOps: number = GROUP_COMMIT_MAX_OPS,
  ) {}

  /** Writes ops; with sync, joins (or starts) a group commit. */
  write(ops: readonly BatchOp[], sync: boolean): Promise<void> {
    if (!sync) return this.writeBatch(ops, false);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  get stats(): Readonly<GroupCommitStats> {
    return { ...this.statsNow };
  }

  /** Synced writes waiting for the group in flight to finish. */
  get queued(): number {
    return this.queue.length;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        const ops = group.length === 1 ? group[0].ops : group.flatMap((w) => w.ops);
        try {
          await this.writeBatch(ops, true);
          this.statsNow.groups++;
          this.statsNow.writes += group.length;
          for (const w of group) w.resolve();
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The longest run of queued writers within maxOps (always at least one). */
  private takeGroup(): Waiter[] {
    let count = 0;
    let ops = 0;
    while (count < this.queue.length) {
      const next = this.queue[count].ops.length;
      if (count > 0 && ops + next > this.maxOps) break;
      ops += next;
      count++;
    }
    return this.queue.splice(0, count);
  }
}
