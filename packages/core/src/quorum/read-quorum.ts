// When a coordinated read may answer: R replies in (the newest of them wins), or failure as soon as
// too few replicas are left to get there. Keeps every reply, also after the answer, so read repair
// sees the newest version across all of them.
import type { StoredRecord } from '../record/record.js';
import { newestReply, planReadRepair, type RepairWrite } from './read-repair.js';

export type ReadOutcome =
  | { readonly state: 'pending' }
  | {
      readonly state: 'succeeded';
      /** Newest of the replies that made up R; undefined if none of them held the key. */
      readonly winner: StoredRecord | undefined;
      /** The nodes whose replies made up R, in arrival order. */
      readonly replied: string[];
    }
  | { readonly state: 'failed'; readonly required: number; readonly acked: number };

export interface ReadQuorumOptions {
  targets: readonly string[];
  /** Replies needed, from resolveConsistency(). */
  r: number;
}

const PENDING: ReadOutcome = Object.freeze({ state: 'pending' });

/**
 * Decides a read's outcome once. Replies from unknown nodes and second replies are ignored; a
 * reply after a reported failure (a late answer after a timeout) is accepted.
 */
export class ReadQuorum {
  readonly r: number;
  private readonly targets: ReadonlySet<string>;
  private readonly replies = new Map<string, StoredRecord | undefined>();
  private readonly failed = new Set<string>();
  private decided: ReadOutcome = PENDING;

  constructor(opts: ReadQuorumOptions) {
    if (!Number.isInteger(opts.r) || opts.r < 1) throw new RangeError(`r must be a positive integer, got ${opts.r}`);
    this.r = opts.r;
    this.targets = new Set(opts.targets);
    this.decide();
  }

  reply(node: string, rec: StoredRecord | undefined): ReadOutcome {
    if (!this.targets.has(node) || this.replies.has(node)) return this.decided;
    this.replies.set(node, rec);
    this.failed.delete(node);
    return this.decide();
  }

  fail(node: string): ReadOutcome {
    if (!this.targets.has(node) || this.replies.has(node)) return this.decided;
    this.failed.add(node);
    return this.decide();
  }

  outcome(): ReadOutcome {
    return this.decided;
  }

  /** The newest version across every reply so far (may be newer than the answered winner). */
  newest(): StoredRecord | undefined {
    return newestReply(this.replies);
  }

  /** Every reply so far, in arrival order. */
  allReplies(): ReadonlyMap<string, StoredRecord | undefined> {
    return this.replies;
  }

  /**
   * Write-backs for every replier so far whose reply is older than the newest seen, or missing while
   * a version exists. Call again after late replies: a newer late reply puts earlier ones in need.
   */
  repairsNeeded(): RepairWrite[] {
    return planReadRepair(this.replies);
  }

  private decide(): ReadOutcome {
    if (this.decided.state !== 'pending') return this.decided;
    if (this.replies.size >= this.r) {
      this.decided = Object.freeze({
        state: 'succeeded',
        winner: newestReply(this.replies),
        replied: [...this.replies.keys()],
      });
    } else if (this.targets.size - this.failed.size < this.r) {
      this.decided = Object.freeze({ state: 'failed', required: this.r, acked: this.replies.size });
    }
    return this.decided;
  }
}
