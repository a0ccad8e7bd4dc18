// Timeouts of requests that all wait the same time, kept as a FIFO watched by one timer instead of
// a timer per request: at tens of thousands of requests a second, arming and clearing a timer
// each (a Timeout object, a list insertion, an unref through native code) cost more than the
// local write it guards. With one fixed delay, deadlines arrive in the order they were set.
import { monotonicMs, type Clock, type TimerHandle } from '../clock.js';

export interface Deadline {
  /** Settles it: onExpire will not be called. Idempotent. */
  done(): void;
}

/** One request's deadline; a class, so a request costs one object and no closure. */
class Entry implements Deadline {
  settled = false;
  constructor(private readonly queue: DeadlineQueue, readonly at: number, readonly onExpire: () => void) {}

  done(): void {
    this.settled = true;
    // Requests mostly finish in order: drop the settled ones at the front at once, so the
    // queue holds about what is in flight rather than every request of the last delayMs.
    this.queue.dropSettledHead();
  }
}

export class DeadlineQueue {
  private entries: Entry[] = [];
  /** Index of the first entry still queued (entries before it are gone). */
  private head = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock, readonly delayMs: number) {}

  /** Calls onExpire once delayMs have passed, unless done() is called first. */
  add(onExpire: () => void): Deadline {
    const entry = new Entry(this, monotonicMs(this.clock) + this.delayMs, onExpire);
    this.entries.push(entry);
    if (this.timer === undefined) this.arm();
    return entry;
  }

  /** Requests waiting (not settled, not expired); settled ones behind a waiting one count too. */
  get size(): number {
    return this.entries.length - this.head;
  }

  /**
   * Forgets the settled entries at the front. An armed timer stays armed when none is left: requests
   * answered at once (cache hits) would otherwise arm and cancel a timer each; it fires at most once
   * per delayMs for nothing.
   */
  dropSettledHead(): void {
    while (this.head < this.entries.length && this.entries[this.head].settled) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private arm(): void {
    const first = this.entries[this.head];
    const wait = Math.max(0, first.at - monotonicMs(this.clock));
    this.timer = this.clock.setTimer(wait, () => this.expire());
  }

  private expire(): void {
    this.timer = undefined;
    const now = monotonicMs(this.clock);
    while (this.head < this.entries.length && this.entries[this.head].at <= now) {
      const entry = this.entries[this.head++];
      if (!entry.settled) {
        entry.settled = true;
        entry.onExpire();
      }
    }
    this.dropSettledHead();
    if (this.head < this.entries.length && this.timer === undefined) this.arm();
  }
}
