// What the leader knows of each follower's log, and how it sends to it: probe (one message per
// heartbeat until a match is found), replicate (stream optimistically) or snapshot (wait for the
// follower to install one). As etcd's tracker.Progress without inflight windows: our entries are small.

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe: a message is out, wait for its answer or the next heartbeat answer. */
  paused = false;
  /** Heard from it since the last check-quorum round. */
  recentActive = false;
  pendingSnapshot = 0;

  constructor(next: number, public isLearner: boolean) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot; probe right after it.
    this.next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.state = 'probe';
    this.paused = false;
    this.pendingSnapshot = 0;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.paused = false;
    this.pendingSnapshot = 0;
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.paused = false;
  }

  /** An ack for `n`; false if stale. */
  maybeUpdate(n: number): boolean {
    this.next = Math.max(this.next, n + 1);
    if (n <= this.match) return false;
    this.match = n;
    this.paused = false;
    return true;
  }

  /** A rejection of the append after `rejected`; lowers next (false if the rejection is stale). */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probes go one at a time, so a rejection of anything but next - 1 is an old message.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.paused = false;
    return true;
  }

  isPaused(): boolean {
    return this.state === 'snapshot' || (this.state === 'probe' && this.paused);
  }

  /** Called after an append carrying entries up to `lastSent` went out. */
  sentEntries(lastSent: number): void {
    if (this.state === 'replicate') this.next = Math.max(this.next, lastSent + 1);
    else this.paused = true;
  }
}
