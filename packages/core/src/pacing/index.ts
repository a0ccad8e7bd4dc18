// Pacing of background work against the event loop's lag.
export { nextPace, paceWaitMs, PACE_MAX_WAIT_MS, PACE_MIN_FRACTION } from './background-pace.js';
