// A Clock whose time moves only when the test says: the one test double of the server's Clock seam
// (packages/server/src/clock.ts), shared by every test that needs one. Timers run in the order
// they are due (ties in the order they were set), each at its own instant, including timers set
// by a timer that is due within the same advance. Timers run on the monotonic time; the wall time
// (nowMs) can also be jumped alone, as NTP or an operator would set a real clock.
//
// It also holds the next turns (the NextTurn seam) of the code under it when that code takes
// `clock.nextTurn`: they run only when the test lets them (runTurns, wait, runUntilSettled), so a
// test knows when nothing is left to do at the current instant, instead of guessing a number of
// setImmediate turns.
import type { Clock, NextTurn, TimerHandle } from '@ringkv/server';
import type { PollTime } from './poll.js';

interface ManualTimer {
  atMs: number;
  fn: () => void;
  live: boolean;
}

/** Next turns run back to back at one instant before the clock calls it a livelock. */
const TURNS_PER_INSTANT_MAX = 1_000_000;

export class ManualClock implements Clock, PollTime {
  private timers: ManualTimer[] = [];
  private started = 0;
  private readonly turns: (() => void)[] = [];
  /** The wall time's offset from the monotonic one (jumpWall). */
  private wallOffsetMs = 0;

  /** startMs: the time the clock starts at (Unix ms; a node's HLC wants a plausible one). */
  constructor(private now = 1_000_000) {}

  /** Wall time: the monotonic time plus any jumps of the wall clock. */
  nowMs(): number {
    return this.now + this.wallOffsetMs;
  }

  /** The time timers run on; never jumps. Equal to nowMs until the wall clock is jumped. */
  monotonicMs(): number {
    return this.now;
  }

  /** Sets the wall clock ms on (or back, if negative) without moving the monotonic time or timers. */
  jumpWall(ms: number): void {
    this.wallOffsetMs += ms;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { atMs: this.now + delayMs, fn, live: true };
    this.timers.push(t);
    this.started++;
    return { cancel: () => { t.live = false; } };
  }

  /** Moves time forward by ms, running every timer that falls due on the way (next turns do not run). */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.nextDue(until);
      if (!due) break;
      due.live = false;
      this.now = Math.max(this.now, due.atMs);
      due.fn();
    }
    this.now = until;
    this.timers = this.timers.filter((t) => t.live);
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }

  /** Timers ever set. */
  get timersStarted(): number {
    return this.started;
  }

  /** When the next live timer is due, if any. */
  get nextTimerAtMs(): number | undefined {
    return this.nextDue(Infinity)?.atMs;
  }

  /** The NextTurn of code under this clock: fn is queued until the test lets turns run. */
  readonly nextTurn: NextTurn = (fn) => {
    this.turns.push(fn);
  };

  /** Next turns queued and not run yet. */
  get pendingTurns(): number {
    return this.turns.length;
  }

  /**
   * Lets every pending microtask run, then the queued next turns one by one (each followed by the
   * microtasks it causes), until none is left: the code under the clock has nothing to do now.
   */
  async runTurns(): Promise<void> {
    for (let n = 0; ; n++) {
      // A setImmediate callback runs once every microtask queued before it has run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const turn = this.turns.shift();
      if (!turn) return;
      if (n > TURNS_PER_INSTANT_MAX) throw new Error('next turns never quiesce at one instant (livelock?)');
      turn();
    }
  }

  /** Lets ms pass: timer by timer, with the next turns run to the end before and after each. */
  async wait(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      await this.runTurns();
      const due = this.nextDue(until);
      if (!due) break;
      this.advance(Math.max(0, due.atMs - this.now));
    }
    this.advance(until - this.now);
    await this.runTurns();
  }

  /**
   * Runs turns and timers until p settles and returns its outcome; fails if it has not settled
   * once nothing is left to run within maxMs (time moves only as far as the next due timer).
   */
  async runUntilSettled<T>(p: Promise<T>, maxMs: number, what = 'the promise'): Promise<T> {
    let done = false;
    p.then(() => { done = true; }, () => { done = true; });
    const end = this.now + maxMs;
    for (;;) {
      await this.runTurns();
      if (done) return p;
      const due = this.nextDue(end);
      if (!due) throw new Error(`${what} did not settle within ${maxMs} ms of manual time`);
      this.advance(Math.max(0, due.atMs - this.now));
    }
  }

  private nextDue(untilMs: number): ManualTimer | undefined {
    let due: ManualTimer | undefined;
    for (const t of this.timers) if (t.live && t.atMs <= untilMs && (!due || t.atMs < due.atMs)) due = t;
    return due;
  }
}
