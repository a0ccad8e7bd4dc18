// Waiting for a condition with a deadline, never a fixed sleep: the one poll helper of the tests.
// By default it polls in real time; a test under a clock it drives (a ManualClock, the simulator's
// Scheduler) passes that clock's time, so waiting between probes moves that clock instead.

/** The time a poll measures its deadline in and waits in between probes. */
export interface PollTime {
  /** Milliseconds from any origin that never jump back. */
  monotonicMs(): number;
  /** Lets ms pass (a real wait, or a driven clock moving on). */
  wait(ms: number): Promise<void>;
}

export const realTime: PollTime = {
  monotonicMs: () => performance.now(),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface PollOptions {
  /** Give up after this long (in `time`). */
  timeoutMs?: number;
  /** Between two probes. */
  intervalMs?: number;
  time?: PollTime;
}

/**
 * Probes until it returns something other than undefined or false, and returns that; a probe that
 * throws counts as not yet (the last error is named if the deadline passes).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 25, time = realTime }: PollOptions = {},
): Promise<T> {
  const deadline = time.monotonicMs() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (time.monotonicMs() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await time.wait(intervalMs);
  }
}

/**
 * Checks `invariant` again and again for ms: something that must hold throughout a window (the
 * opposite of pollUntil; it fails at the first check that throws).
 */
export async function holdsThroughout(ms: number, invariant: () => Promise<void> | void, { intervalMs = 100, time = realTime }: Omit<PollOptions, 'timeoutMs'> = {}): Promise<void> {
  const end = time.monotonicMs() + ms;
  while (time.monotonicMs() < end) {
    await invariant();
    await time.wait(intervalMs);
  }
}
