// Simulated time for a whole cluster in one process. Timers of every node are events in one queue
// ordered by (time, seq); nothing waits on real time. Between two events the JavaScript microtask
// queue is drained (one real setImmediate turn: Node runs every pending microtask before it), and
// the next turns the nodes ask for (the NextTurn seam: the replica store batches its applies on
// one, tree rebuilds yield on them) queue here and run one at a time, each followed by a
// microtask drain, before simulated time moves on. Nothing global is replaced. So the run is a
// pure function of the seed, and the next timed event only runs once the cluster has nothing left
// to do "now".
import { EventQueue, type SimEvent } from './event-queue.js';
import type { Trace } from './trace.js';
import type { Clock, TimerHandle } from '@ringkv/server';

/** Unix ms that simulated time 0 maps to (any fixed instant works; HLCs need a plausible one). */
export const SIM_EPOCH_MS = 1_700_000_000_000;


/** Bounds: a run that exceeds them is a bug (a livelock), reported rather than spun forever. */
export interface SchedulerLimits {
  eventsMax: number;
  /** Next turns run back to back at one instant before we call it a livelock. */
  turnsPerInstantMax: number;
}

const DEFAULT_LIMITS: SchedulerLimits = { eventsMax: 2_000_000, turnsPerInstantMax: 100_000 };

export class Scheduler {
  nowMs = 0;
  eventsRun = 0;
  private seq = 0;
  private readonly queue = new EventQueue();
  private readonly turns: (() => void)[] = [];
  private readonly limits: SchedulerLimits;

  constructor(readonly trace: Trace, limits: Partial<SchedulerLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The nodes' NextTurn: fn runs once everything pending now has run, before time moves on. */
  readonly nextTurn = (fn: () => void): void => {
    this.turns.push(fn);
  };

  /** Runs fn after delayMs of simulated time (rounded up to whole ms, never negative). */
  schedule(delayMs: number, label: string, fn: () => void): SimEvent {
    const d = Number.isFinite(delayMs) ? Math.max(0, Math.ceil(delayMs)) : 0;
    const ev: SimEvent = { timeMs: this.nowMs + d, seq: this.seq++, label, fn, cancelled: false };
    this.queue.push(ev);
    return ev;
  }

  /** A promise resolved after delayMs of simulated time (for the workload and nemesis). */
  sleep(delayMs: number, label = 'sleep'): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, label, resolve));
  }

  /** Runs events up to and including timeMs, or until stop() holds after a drain. */
  async runUntil(timeMs: number, stop?: () => boolean): Promise<void> {
    for (;;) {
      await this.drain();
      if (stop?.()) return;
      let ev = this.queue.peek();
      while (ev?.cancelled) {
        this.queue.pop();
        ev = this.queue.peek();
      }
      if (!ev || ev.timeMs > timeMs) {
        if (Number.isFinite(timeMs)) this.nowMs = Math.max(this.nowMs, timeMs);
        return;
      }
      this.queue.pop();
      this.nowMs = ev.timeMs;
      if (++this.eventsRun > this.limits.eventsMax) throw new Error(`simulation exceeded ${this.limits.eventsMax} events (livelock?)`);
      this.trace.add(`${ev.timeMs} ${ev.label}`);
      ev.fn();
    }
  }

  /** Runs the simulation until p settles (at most maxMs of simulated time); returns its value. */
  /** Runs until cond holds, for at most maxMs of simulated time; throws naming `what` if it never does. */
  async waitFor(what: string, cond: () => boolean, maxMs = 120_000): Promise<void> {
    await this.runUntil(this.nowMs + maxMs, cond);
    if (!cond()) throw new Error(`timed out waiting for ${what} (${maxMs} ms of simulated time)`);
  }

  async runUntilSettled<T>(p: Promise<T>, maxMs: number, what: string): Promise<T> {
    let done = false;
    p.then(() => { done = true; }, () => { done = true; });
    await this.runUntil(this.nowMs + maxMs, () => done);
    if (!done) throw new Error(`${what} did not finish within ${maxMs} ms of simulated time`);
    return p;
  }

  /** Lets every microtask run, then the queued next turns one by one, until nothing is left. */
  private async drain(): Promise<void> {
    for (let n = 0; ; n++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const turn = this.turns.shift();
      if (!turn) return;
      if (n > this.limits.turnsPerInstantMax) throw new Error('next turns never quiesce at one instant (livelock?)');
      turn();
    }
  }
}

/** A node's clock offset from simulated time; survives restarts (it is the machine's clock). */
export interface ClockSkew {
  skewMs: number;
}

/**
 * One node incarnation's Clock: reads simulated time plus the node's skew (which the nemesis can
 * jump forward or back); timers run on simulated time, as setTimeout does on a monotonic clock.
 * kill() silences every timer of a crashed incarnation.
 */
export class SimClock implements Clock {
  private dead = false;

  constructor(private readonly scheduler: Scheduler, private readonly skew: ClockSkew, private readonly label: string) {}

  nowMs(): number {
    return SIM_EPOCH_MS + this.scheduler.nowMs + this.skew.skewMs;
  }

  /** Simulated time without the node's skew or jumps: intervals stay true. */
  monotonicMs(): number {
    return this.scheduler.nowMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const ev = this.scheduler.schedule(delayMs, `timer ${this.label}`, () => {
      if (!this.dead) fn();
    });
    return { cancel: () => { ev.cancelled = true; } };
  }

  kill(): void {
    this.dead = true;
  }
}
