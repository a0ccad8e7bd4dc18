// Reconnect delays: exponential from baseMs up to maxMs, with "equal jitter" (half fixed, half
// random) so that peers which lost a node at the same moment do not redial it in lockstep, yet
// no delay is ever shorter than half its step.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before the next dial after `failures` consecutive failures (failures >= 1).
 * `random` returns a number in [0, 1).
 */
export function backoffDelayMs(failures: number, opts: BackoffOptions, random: () => number): number {
  if (failures < 1) return 0;
  // Cap the exponent first so a long outage cannot overflow to Infinity.
  const step = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(step / 2 + (step / 2) * random());
}
