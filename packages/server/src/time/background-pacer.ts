// Paces background work (partition streams, anti-entropy, hint hand-off) by the event loop's lag
// (core's nextPace): each lag sample updates the share, and admit() makes a unit of background
// work wait its turn (core's paceWaitMs). The throttles and the hint hand-off call admit() before
// each unit, on top of their byte and entry rates. Without a lag source (the simulator, tests)
// the share stays 1 and admit() never waits.
import { nextPace, paceWaitMs } from '@ringkv/core';
import { sleepOn, type Clock } from '../clock.js';

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

  constructor(private readonly deps: BackgroundPacerDeps) {}

  /** One sample of the loop's lag (ms). */
  observe(lagMs: number): void {
    this.fraction = nextPace(this.fraction, lagMs, this.deps.targetLagMs);
  }

  admit(): Promise<void> {
    const waitMs = paceWaitMs(this.fraction, this.deps.sampleMs);
    if (waitMs === 0) return NOW;
    this.waitedMs += waitMs;
    return sleepOn(this.deps.clock, waitMs);
  }
}
