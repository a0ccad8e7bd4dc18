// How much of its budget background work (partition streams, anti-entropy, hint hand-off) may use,
// from the event loop's lag: additive increase, multiplicative decrease, as TCP's congestion
// control. Foreground requests wait behind whatever runs on the loop, so background work halves
// its share as soon as the loop lags past the target and wins it back a step per quiet sample.
// A unit of background work (a chunk, a round's step, a page of hints) waits before it starts in
// proportion to how far the share is below one: nothing at full share.

/** The least share: background work never stops for good (a join must end, hints must drain). */
export const PACE_MIN_FRACTION = 1 / 64;
/** The longest wait before one unit of background work, whatever the share. */
export const PACE_MAX_WAIT_MS = 1000;
const DECREASE = 0.5;
const INCREASE = 1 / 8;

/**
 * The share after one sample of the loop's lag (ms). A target of 0 turns pacing off (share 1).
 * Lag at or under the target is quiet: the share grows back to 1 within 8 samples.
 */
export function nextPace(fraction: number, lagMs: number, targetLagMs: number): number {
  if (!(targetLagMs > 0)) return 1;
  if (lagMs > targetLagMs) return Math.max(PACE_MIN_FRACTION, fraction * DECREASE);
  return Math.min(1, fraction + INCREASE);
}

/**
 * How long a unit of background work waits at this share, with the lag sampled every sampleMs:
 * 0 at 1, a sample period at 1/2, and at most PACE_MAX_WAIT_MS.
 */
export function paceWaitMs(fraction: number, sampleMs: number): number {
  if (fraction >= 1) return 0;
  return Math.min(PACE_MAX_WAIT_MS, Math.round(sampleMs * (1 / Math.max(fraction, PACE_MIN_FRACTION) - 1)));
}
