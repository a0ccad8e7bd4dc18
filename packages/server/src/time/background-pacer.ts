// Paces background work (partition streams, anti-entropy, hint hand-off) by the event loop's lag
// (core's nextPace): each lag sample updates the share, and admit() gives each unit of background
// work its turn: below full share, turns are spaced paceWaitMs apart across every caller, so units
// that waited do not all start at once (measured: one shared wait let sixteen chunk reads wake
// together, and the stall that made was shed as 503s). The throttles and the hint hand-off call
// admit() before each unit, on top of their byte and entry rates. No turn is given further than
// PACE_MAX_WAIT_MS ahead: the stream source admits a peer's chunk fetches here too, and a peer
// asking for many must not push every later turn (this node's own pulls and repairs included)
// minutes away. Without a lag source (the simulator, tests) the share stays 1 and admit() never
// waits.
import { nextPace, paceWaitMs, PACE_MAX_WAIT_MS } from '@ringkv/core';
import { monotonicMs, sleepOn, type Clock } from '../clock.js';

/** What background work waits on before each unit. */
export interface Pace {
  admit(): Promise<void>;
}

const NOW: Promise<void> = Promise.resolve();

/** Never waits: background work at its full budget. */
export const UNPACED: Pace = { admit: () => NOW };

export interface BackgroundPacerDeps {
  clock: Clock;
  /** Lag above this (ms) halves the share; 0 turns pacing off. */
  targetLagMs: number;
  /** How often the lag is sampled (ms): the wait per unit is in these. */
  sampleMs: number;
}

export class BackgroundPacer implements Pace {
  /** The share of its budget background work may use now, PACE_MIN_FRACTION to 1. */
  fraction = 1;
  /** Milliseconds units have been made to wait, in all. */
  waitedMs = 0;
  /** When the last turn was given (the clock's monotonic ms). */
  private lastTurnMs = -Infinity;

  constructor(private readonly deps: BackgroundPacerDeps) {}

  /** One sample of the loop's lag (ms). */
  observe(lagMs: number): void {
    this.fraction = nextPace(this.fraction, lagMs, this.deps.targetLagMs);
  }

  /**
   * The next turn: now at full share, else paceWaitMs after the turn before it, not before now and
   * not more than PACE_MAX_WAIT_MS from now.
   */
  admit(): Promise<void> {
    const nowMs = monotonicMs(this.deps.clock);
    const spacedMs = this.lastTurnMs + paceWaitMs(this.fraction, this.deps.sampleMs);
    const turnMs = Math.max(nowMs, Math.min(spacedMs, nowMs + PACE_MAX_WAIT_MS));
    this.lastTurnMs = turnMs;
    if (turnMs <= nowMs) return NOW;
    this.waitedMs += turnMs - nowMs;
    return sleepOn(this.deps.clock, turnMs - nowMs);
  }
}
