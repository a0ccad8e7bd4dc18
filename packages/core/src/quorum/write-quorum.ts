// When a coordinated write may answer: W acknowledgements from the replicas that count, or failure
// as soon as too few replicas are left to get there. Pure bookkeeping; the coordinator feeds it the
// acks and failures (errors, timeouts) its transport reports, and acts on the outcome it returns.

/** A replica the coordinator sent the write to. */
export interface WriteTarget {
  readonly node: string;
  /** A stand-in for a down replica of the preference list, holding the write as a hint. */
  readonly hinted: boolean;
  /** For a hinted target: the replica it stands in for. */
  readonly forNode?: string;
}

export type QuorumOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'succeeded'; readonly acked: number }
  | { readonly state: 'failed'; readonly required: number; readonly acked: number };

export interface WriteQuorumOptions {
  targets: readonly WriteTarget[];
  /** Acknowledgements needed, from resolveConsistency(). */
  w: number;
  /** Count only replicas of the preference list, not hinted stand-ins (as Riak's pw). */
  strict: boolean;
}

type Status = 'waiting' | 'acked' | 'failed';
const PENDING: QuorumOutcome = Object.freeze({ state: 'pending' });

/**
 * Decides a write's outcome once: the first moment W counted acks are in it succeeds, the first
 * moment W can no longer be reached it fails, and nothing after that changes the answer (the
 * client has been told). Counts keep moving after the decision for metrics and hint bookkeeping.
 *
 * An ack from a node whose failure was already reported still counts (a timeout followed by a late
 * ack: the replica does hold the write); a failure after an ack is ignored. Duplicate acks count
 * once, and replies from nodes that are not targets are ignored.
 */
export class WriteQuorum {
  readonly w: number;
  readonly strict: boolean;
  private readonly targets = new Map<string, WriteTarget>();
  private readonly status = new Map<string, Status>();
  private readonly reasons = new Map<string, string | undefined>();
  private countedAcks = 0;
  private countedWaiting = 0;
  private decided: QuorumOutcome = PENDING;

  constructor(opts: WriteQuorumOptions) {
    if (!Number.isInteger(opts.w) || opts.w < 1) throw new RangeError(`w must be a positive integer, got ${opts.w}`);
    this.w = opts.w;
    this.strict = opts.strict;
    for (const t of opts.targets) {
      if (this.targets.has(t.node)) continue; // a node listed twice is one replica
      this.targets.set(t.node, t);
      this.status.set(t.node, 'waiting');
      if (this.counts(t)) this.countedWaiting++;
    }
    this.decide(); // fewer counted targets than w: failed before anything is sent
  }

  ack(node: string): QuorumOutcome {
    const target = this.targets.get(node);
    const was = this.status.get(node);
    if (!target || was === 'acked') return this.decided;
    this.status.set(node, 'acked');
    this.reasons.delete(node);
    if (this.counts(target)) {
      this.countedAcks++;
      if (was === 'waiting') this.countedWaiting--;
    }
    return this.decide();
  }

  fail(node: string, reason?: string): QuorumOutcome {
    const target = this.targets.get(node);
    if (!target || this.status.get(node) !== 'waiting') return this.decided;
    this.status.set(node, 'failed');
    this.reasons.set(node, reason);
    if (this.counts(target)) this.countedWaiting--;
    return this.decide();
  }

  outcome(): QuorumOutcome {
    return this.decided;
  }

  /** Acks that count toward w so far, including those after the decision. */
  acked(): number {
    return this.countedAcks;
  }

  /** Every target that acknowledged, counted or not (a strict write's hints still hold the data). */
  ackedTargets(): WriteTarget[] {
    return [...this.targets.values()].filter((t) => this.status.get(t.node) === 'acked');
  }

  /** Targets that failed and have not acked since, with the reason given. */
  failures(): { node: string; reason?: string }[] {
    return [...this.reasons].map(([node, reason]) => (reason === undefined ? { node } : { node, reason }));
  }

  private counts(t: WriteTarget): boolean {
    return !t.hinted || !this.strict;
  }

  private decide(): QuorumOutcome {
    if (this.decided.state !== 'pending') return this.decided;
    if (this.countedAcks >= this.w) {
      this.decided = Object.freeze({ state: 'succeeded', acked: this.countedAcks });
    } else if (this.countedAcks + this.countedWaiting < this.w) {
      this.decided = Object.freeze({ state: 'failed', required: this.w, acked: this.countedAcks });
    }
    return this.decided;
  }
}
