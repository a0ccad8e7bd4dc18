// The phi accrual failure detector (Hayashibara et al., 2004), as Akka and Cassandra use it.
// Instead of a yes/no timeout it gives a suspicion level phi = -log10(P(a heartbeat arrives later
// than now)), where the inter-arrival times of recent heartbeats are taken as normally distributed.
// phi 1 means a 10% chance that the peer is fine and merely late, phi 8 one in 10^8. The level adapts
// to each peer's observed rhythm (network jitter, gossip hops), which a fixed timeout cannot.
// Time is an input (nowMs); the detector never reads a clock.

export interface PhiAccrualOptions {
  /** phi at or above which the peer counts as down (docs/design.md "Defaults": 8). */
  readonly threshold: number;
  /** Number of recent inter-arrival intervals the mean and deviation are taken over. */
  readonly windowSize: number;
  /** Floor of the standard deviation, so very regular heartbeats do not make phi explode on tiny lateness. */
  readonly minStdDevMs: number;
  /** Lateness tolerated on top of the mean (GC pauses, a lost gossip message) before phi rises. */
  readonly acceptableHeartbeatPauseMs: number;
  /** Expected interval before any has been measured; seeds the window with mean this, deviation a quarter of it. */
  readonly firstHeartbeatEstimateMs: number;
  /**
   * Intervals longer than this are not sampled (Cassandra does the same): the gap of an outage says
   * nothing about the peer's rhythm and would make the next outage take far longer to notice.
   */
  readonly maxSampleIntervalMs?: number;
}

/**
 * Defaults for heartbeats carried by gossip every second. Unlike Akka's direct heartbeats, a peer's
 * heartbeat reaches us through other nodes, so the gaps between advances are whole rounds and
 * sometimes several: in the 100-node simulation (test/liveness/gossip-simulation.test.ts) gaps
 * reach 6 s. Regular peers are suspected about 1 + 4 + 5.2 x 0.5 = 7.6 s after their last advance.
 */
export const DEFAULT_PHI_OPTIONS: PhiAccrualOptions = Object.freeze({
  threshold: 8, // docs/design.md "Defaults", and Akka's and Cassandra's default: suspicion ~5.2 deviations late.
  windowSize: 100, // ~100 s of history at one heartbeat a second: adapts within minutes.
  minStdDevMs: 500, // half a gossip round: arrivals come in whole rounds, finer jitter is noise.
  acceptableHeartbeatPauseMs: 4000, // the multi-round gaps of epidemic spread (up to ~6 s at 100 nodes).
  firstHeartbeatEstimateMs: 1000, // the gossip interval.
  maxSampleIntervalMs: 10_000, // 10 gossip intervals: anything longer was an outage.
});

export class PhiAccrualDetector {
  readonly options: PhiAccrualOptions;
  /**
   * Ring buffer of the last intervals; count of valid ones, next slot to write. A plain array, not
   * a Float64Array: gossip clones detectors often, and small typed arrays are slow to allocate.
   */
  private readonly intervals: number[];
  private count = 0;
  private nextSlot = 0;
  private sum = 0;
  private sumSquares = 0;
  private lastHeartbeatMs: number | undefined;

  constructor(opts: PhiAccrualOptions) {
    if (!(opts.threshold > 0)) throw new RangeError(`threshold must be > 0, got ${opts.threshold}`);
    if (!Number.isInteger(opts.windowSize) || opts.windowSize < 2) {
      throw new RangeError(`windowSize must be an integer >= 2, got ${opts.windowSize}`);
    }
    if (!(opts.minStdDevMs > 0)) throw new RangeError(`minStdDevMs must be > 0, got ${opts.minStdDevMs}`);
    if (!(opts.acceptableHeartbeatPauseMs >= 0)) {
      throw new RangeError(`acceptableHeartbeatPauseMs must be >= 0, got ${opts.acceptableHeartbeatPauseMs}`);
    }
    if (!(opts.firstHeartbeatEstimateMs > 0)) {
      throw new RangeError(`firstHeartbeatEstimateMs must be > 0, got ${opts.firstHeartbeatEstimateMs}`);
    }
    this.options = opts;
    this.intervals = new Array<number>(opts.windowSize).fill(0);
    // As Akka: start from two intervals around the estimate, so phi is meaningful from the first
    // heartbeat on; real intervals push them out of the window.
    const estimate = opts.firstHeartbeatEstimateMs;
    this.record(estimate - estimate / 4);
    this.record(estimate + estimate / 4);
  }

  /** When the last heartbeat arrived, if any. */
  get lastHeartbeatAtMs(): number | undefined {
    return this.lastHeartbeatMs;
  }

  /**
   * Records a heartbeat arriving at nowMs. One at the same ms as the last (two gossip messages with
   * the same news) or earlier adds no interval: zero-length samples would fake a faster rhythm.
   */
  heartbeat(nowMs: number): void {
    const last = this.lastHeartbeatMs;
    if (last !== undefined && nowMs > last) {
      const interval = nowMs - last;
      if (interval <= (this.options.maxSampleIntervalMs ?? Infinity)) this.record(interval);
    }
    if (last === undefined || nowMs > last) this.lastHeartbeatMs = nowMs;
  }

  /** The suspicion level at nowMs; 0 before the first heartbeat (nothing to suspect yet). */
  phi(nowMs: number): number {
    if (this.lastHeartbeatMs === undefined) return 0;
    const elapsedMs = Math.max(0, nowMs - this.lastHeartbeatMs);
    const mean = this.sum / this.count + this.options.acceptableHeartbeatPauseMs;
    const variance = Math.max(0, this.sumSquares / this.count - (this.sum / this.count) ** 2);
    const stdDev = Math.max(Math.sqrt(variance), this.options.minStdDevMs);
    return phiOf(elapsedMs, mean, stdDev);
  }

  /** Whether the peer is considered up at nowMs (phi below the threshold). */
  isAvailable(nowMs: number): boolean {
    return this.phi(nowMs) < this.options.threshold;
  }

  /** An independent copy, for callers that keep their state immutable. */
  clone(): PhiAccrualDetector {
    // Skips the constructor (validation, seeding): gossip clones a detector on every advance.
    const copy = Object.create(PhiAccrualDetector.prototype) as PhiAccrualDetector;
    Object.assign(copy, { options: this.options, intervals: this.intervals.slice() });
    copy.count = this.count;
    copy.nextSlot = this.nextSlot;
    copy.sum = this.sum;
    copy.sumSquares = this.sumSquares;
    copy.lastHeartbeatMs = this.lastHeartbeatMs;
    return copy;
  }

  private record(interval: number): void {
    if (this.count === this.intervals.length) {
      const old = this.intervals[this.nextSlot];
      this.sum -= old;
      this.sumSquares -= old * old;
    } else {
      this.count++;
    }
    this.intervals[this.nextSlot] = interval;
    this.nextSlot = (this.nextSlot + 1) % this.intervals.length;
    this.sum += interval;
    this.sumSquares += interval * interval;
  }
}

/**
 * phi for a normal distribution with mean and stdDev, elapsed ms after the last heartbeat. The
 * cumulative distribution uses the logistic approximation of Bowling et al. (2009), as Akka does;
 * the two branches keep precision on either side of the mean.
 */
export function phiOf(elapsedMs: number, mean: number, stdDev: number): number {
  const y = (elapsedMs - mean) / stdDev;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (elapsedMs > mean) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}
