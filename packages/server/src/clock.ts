// Time enters the node only through this interface: the current time and timers. The simulator
// supplies its own, so a whole cluster runs deterministically under simulated time.
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Unix milliseconds (wall clock: may jump when it is corrected). */
  nowMs(): number;
  /**
   * Milliseconds from an arbitrary origin that never jump: for measuring intervals (failure
   * detection). Clocks without one fall back to nowMs (see monotonicMs()).
   */
  monotonicMs?(): number;
  /** Calls fn once after delayMs. Timers never keep the process alive on their own. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Runs fn on a later turn of the event loop, after the I/O already pending (setImmediate's
 * place). Components that batch what arrives within one turn take it as a dependency, so the
 * simulator drives their turns instead of the real event loop (nothing global is replaced).
 */
export type NextTurn = (fn: () => void) => void;

export const immediateTurn: NextTurn = (fn) => {
  setImmediate(fn);
};

/** Resolves on a later turn. */
export function afterTurn(next: NextTurn): Promise<void> {
  return new Promise((resolve) => next(resolve));
}

/** Resolves after delayMs of the given clock's time. */
export function sleepOn(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(delayMs, resolve));
}

/** A clock's monotonic time, or its wall time if it has none. */
export function monotonicMs(clock: Clock): number {
  return clock.monotonicMs ? clock.monotonicMs() : clock.nowMs();
}
