// Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014). Timestamps follow
// physical time when it moves forward, and a logical counter orders events when it does not, so a
// node whose clock is slow or jumped backwards still orders its writes after everything it has
// issued or seen. Pure: the caller passes the physical time in on every call.
import { ClockDriftError, InvalidTimestampError } from '../errors.js';
import { LOGICAL_MAX, WALL_MS_MAX, type Timestamp } from './timestamp.js';

/**
 * How far ahead of our physical clock a remote timestamp may be before we refuse it: 500 ms.
 * NTP keeps healthy clocks within a few to tens of milliseconds of each other, and a message adds
 * its own latency on top, so 500 ms leaves ample room for honest skew (it is also CockroachDB's
 * default max clock offset). Any larger and one node with a clock set minutes ahead would drag every
 * node's timestamps into the future, after which fresh writes on correct nodes lose to its writes.
 */
export const DEFAULT_MAX_DRIFT_MS = 500;

export interface HybridLogicalClockOptions {
  /** This node's 32-bit tag (nodeTag(id)); stamped on every issued timestamp as the tiebreak. */
  node: number;
  /** A remote wallMs more than this ahead of our physical time is rejected by observe(). */
  maxDriftMs: number;
  /**
   * Resume after a restart from the highest timestamp persisted (its wallMs and logical; the node
   * tag is ours). Default: zero, which is only safe for a node with no history.
   */
  start?: Timestamp;
}

/**
 * Issues strictly increasing timestamps: each result is greater than every timestamp this clock
 * returned or accepted through observe().
 *
 * Bound on wallMs: a result's wallMs is at most max(highest physical time passed in, highest
 * accepted remote wallMs), plus one for each logical overflow. Since remotes are accepted only when
 * remote.wallMs <= physicalMs + maxDriftMs, that is at most max physical + maxDriftMs (+ overflows).
 * Overflow: when the logical counter would pass LOGICAL_MAX (65 536 events within one wall
 * millisecond) the clock borrows the next millisecond instead of wrapping. That is the only way the
 * clock runs ahead of every input, by 1 ms per 65 536 events, so drift stays bounded by the event
 * rate; at realistic rates physical time catches up at once.
 */
export class HybridLogicalClock {
  readonly node: number;
  readonly maxDriftMs: number;
  private wallMs: number;
  private logical: number;

  constructor(opts: HybridLogicalClockOptions) {
    if (!Number.isInteger(opts.node) || opts.node < 0 || opts.node > 0xffffffff) {
      throw new RangeError(`HLC node tag must be a 32-bit unsigned integer, got ${opts.node}`);
    }
    if (!Number.isInteger(opts.maxDriftMs) || opts.maxDriftMs < 0) {
      throw new RangeError(`HLC maxDriftMs must be a non-negative integer, got ${opts.maxDriftMs}`);
    }
    this.node = opts.node;
    this.maxDriftMs = opts.maxDriftMs;
    const start = opts.start ?? { wallMs: 0, logical: 0, node: 0 };
    checkRemote(start);
    this.wallMs = start.wallMs;
    this.logical = start.logical;
  }

  /** A timestamp for a local event (a write this node coordinates) at physical time physicalMs. */
  now(physicalMs: number): Timestamp {
    checkPhysical(physicalMs);
    if (physicalMs > this.wallMs) return this.set(physicalMs, 0);
    // Physical time stalled or went backwards: stay on our wall and count.
    return this.set(this.wallMs, this.logical + 1);
  }

  /**
   * Merge a timestamp received from another node (on a replicated write or a reply), and return a
   * timestamp for the receive event, greater than both our last and the remote one.
   * Throws ClockDriftError, leaving the clock unchanged, if the remote is too far in our future.
   */
  observe(remote: Timestamp, physicalMs: number): Timestamp {
    checkPhysical(physicalMs);
    checkRemote(remote);
    if (remote.wallMs > physicalMs + this.maxDriftMs) {
      throw new ClockDriftError(
        `remote timestamp ${remote.wallMs} ms is ${remote.wallMs - physicalMs} ms ahead of local time, over the ${this.maxDriftMs} ms allowed`,
        { remoteWallMs: remote.wallMs, physicalMs, maxDriftMs: this.maxDriftMs, remoteNode: remote.node },
      );
    }
    const wallMs = Math.max(this.wallMs, physicalMs, remote.wallMs);
    let logical: number;
    if (wallMs === this.wallMs && wallMs === remote.wallMs) logical = Math.max(this.logical, remote.logical) + 1;
    else if (wallMs === this.wallMs) logical = this.logical + 1;
    else if (wallMs === remote.wallMs) logical = remote.logical + 1;
    else logical = 0; // physical time is ahead of both
    return this.set(wallMs, logical);
  }

  /** The last timestamp issued (or the start point); for persisting across restarts. */
  last(): Timestamp {
    return { wallMs: this.wallMs, logical: this.logical, node: this.node };
  }

  private set(wallMs: number, logical: number): Timestamp {
    if (logical > LOGICAL_MAX) {
      // Borrow the next millisecond rather than wrap: see the class comment for the drift bound.
      wallMs += 1;
      logical = 0;
    }
    if (wallMs > WALL_MS_MAX) throw new RangeError('HLC wall clock exhausted (past 2^48 - 1 ms)');
    this.wallMs = wallMs;
    this.logical = logical;
    return { wallMs, logical, node: this.node };
  }
}

function checkPhysical(physicalMs: number): void {
  if (!Number.isInteger(physicalMs) || physicalMs < 0 || physicalMs > WALL_MS_MAX) {
    throw new RangeError(`physical time must be an integer in [0, 2^48 - 1] ms, got ${physicalMs}`);
  }
}

// Remote timestamps come off the wire: out-of-range fields are bad input, not a programmer error.
function checkRemote(ts: Timestamp): void {
  const ok =
    Number.isInteger(ts.wallMs) && ts.wallMs >= 0 && ts.wallMs <= WALL_MS_MAX &&
    Number.isInteger(ts.logical) && ts.logical >= 0 && ts.logical <= LOGICAL_MAX &&
    Number.isInteger(ts.node) && ts.node >= 0 && ts.node <= 0xffffffff;
  if (!ok) {
    throw new InvalidTimestampError(`timestamp out of range: ${ts.wallMs}.${ts.logical}.${ts.node}`);
  }
}
