// Physical time enters the node only through this interface, so the simulator can supply its own.
export interface Clock {
  /** Unix milliseconds. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
