// Time enters the node only through this interface: the current time and timers. The simulator
// supplies its own, so a whole cluster runs deterministically under simulated time.
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Unix milliseconds. */
  nowMs(): number;
  /** Calls fn once after delayMs. Timers never keep the process alive on their own. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Resolves after delayMs of the given clock's time. */
export function sleepOn(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(delayMs, resolve));
}
